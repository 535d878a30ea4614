"""Fixtures of the port suite: a real server on 127.0.0.1 that speaks a library's wire
format, and the environment its documented examples read (they construct their clients with
no arguments, as the documentation does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.http_server import Received, Reply, ScriptedServer, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

OPENAI_KEY = "sk-port-suite-0123456789abcdef"
"""The API key the OpenAI examples find in ``OPENAI_API_KEY``."""


def openai_reply(
    texts: Sequence[str], *, model: str = "gpt-4o-mini-2024-07-18"
) -> Callable[[Received], Reply]:
    """A reply script that streams `texts` as OpenAI Chat Completions does: the usage chunk
    (empty ``choices``) only when the request asks for it with ``stream_options``."""

    def reply(request: Received) -> Reply:
        options = request.json().get("stream_options") or {}
        usage = bool(options.get("include_usage"))
        return Reply(body=openai_chunks(texts, model=model, usage=usage))

    return reply


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """A server speaking OpenAI Chat Completions (it answers ``Hello, world``), run in a
    thread so that sync, asyncio and trio code can all reach it; ``OPENAI_API_KEY`` and
    ``OPENAI_BASE_URL`` point the SDK's examples at it, and no other variable interferes."""
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_MODEL", "EVENTIDE_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    with serve_in_thread(openai_reply(["Hello", ", ", "world"])) as server:
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        yield server
