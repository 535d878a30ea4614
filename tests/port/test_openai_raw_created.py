"""The body of ``with_streaming_response`` (re-encoded from the events) carries the server's
``created``, ``service_tier`` and ``system_fingerprint`` when the server is OpenAI-shaped,
and the time of the call when it is not; each chunk read by the official SDK's own type."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from openai.types.chat import ChatCompletionChunk as SDKChunk

from eventide import Client
from eventide.compat.openai import OpenAI
from eventide.testing import Reply, ScriptedProvider

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tests.http_server import ScriptedServer

UPSTREAM_CREATED = 1750000000  # what tests.http_server.openai_chunks sends


def _chunks(lines: Iterable[str]) -> list[SDKChunk]:
    return [
        SDKChunk.model_validate(json.loads(line[6:]))
        for line in lines
        if line.startswith("data: {")
    ]


def test_streaming_response_body_carries_an_openai_servers_created(
    openai_server: ScriptedServer,
) -> None:
    with (
        OpenAI() as client,
        client.chat.completions.with_streaming_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True
        ) as response,
    ):
        chunks = _chunks(response.iter_lines())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "Hello, world"
    )
    assert {chunk.created for chunk in chunks} == {UPSTREAM_CREATED}
    assert {chunk.service_tier for chunk in chunks} == {"default"}
    assert {chunk.system_fingerprint for chunk in chunks} == {"fp_34a54ae93c"}


def test_streaming_response_body_without_a_servers_created_has_the_calls_time() -> None:
    before = int(time.time())
    with (
        Client(ScriptedProvider(Reply.text(["Hel", "lo"]))) as client,
        client.chat.completions.with_streaming_response.create(
            messages=[{"role": "user", "content": "Hi"}], stream=True
        ) as response,
    ):
        chunks = _chunks(response.iter_lines())
    after = int(time.time())
    assert len(chunks) > 2
    (created,) = {chunk.created for chunk in chunks}
    assert before <= created <= after
    assert {chunk.service_tier for chunk in chunks} == {None}
