"""The OpenAI chat encoder gives back what the server said about itself: ``created``,
``service_tier`` and ``system_fingerprint`` from `Metadata.extra` (as the decoder keeps
them), else `ChatStyle.created` (None: the time the encoder was made)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from eventide import Event, Finish, Metadata, TextDelta
from eventide.wire import ChatStyle, OpenAIChatDecoder, encode_chat_stream

SERVED = {"created": 1750000000, "service_tier": "flex", "system_fingerprint": "fp_1"}


def _metadata(**extra: Any) -> Metadata:
    return Metadata("openai", "gpt-4o", "gpt-4o", response_id="chatcmpl-1", extra=extra)


def _chunks(body: bytes) -> list[dict[str, Any]]:
    lines = body.decode().splitlines()
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


@pytest.mark.parametrize("style", [ChatStyle(), ChatStyle(created=None), ChatStyle(created=7)])
def test_encoder_writes_the_servers_created_tier_and_fingerprint(style: ChatStyle) -> None:
    events: list[Event] = [_metadata(**SERVED), TextDelta("Hi"), Finish("stop", "stop")]
    chunks = _chunks(encode_chat_stream(events, style=style))
    assert len(chunks) == 3
    for chunk in chunks:
        assert (chunk["id"], chunk["model"]) == ("chatcmpl-1", "gpt-4o")
        assert {key: chunk[key] for key in SERVED} == SERVED


def test_encoded_served_fields_decode_back_to_the_same_metadata() -> None:
    events: list[Event] = [_metadata(**SERVED), TextDelta("Hi"), Finish("stop", "stop")]
    decoder = OpenAIChatDecoder(provider="openai", requested_model="gpt-4o")
    decoded = decoder.feed(encode_chat_stream(events)) + decoder.end()
    assert decoded == events


def test_encoder_without_a_servers_created_uses_the_styles() -> None:
    events: list[Event] = [_metadata(), TextDelta("Hi"), Finish("stop", "stop")]
    assert {c["created"] for c in _chunks(encode_chat_stream(events))} == {0}
    fixed = _chunks(encode_chat_stream(events, style=ChatStyle(created=1234)))
    assert {c["created"] for c in fixed} == {1234}
    before = int(time.time())
    now = _chunks(encode_chat_stream(events, style=ChatStyle(created=None)))
    after = int(time.time())
    (created,) = {c["created"] for c in now}
    assert before <= created <= after
    assert all("service_tier" not in c and "system_fingerprint" not in c for c in now)


@pytest.mark.parametrize(
    "extra", [{"created": 0}, {"created": "1750000000"}, {"created": True}, {"service_tier": ""}]
)
def test_encoder_ignores_served_fields_of_the_wrong_kind(extra: dict[str, Any]) -> None:
    (chunk, *_) = _chunks(encode_chat_stream([_metadata(**extra)], style=ChatStyle(created=5)))
    assert chunk["created"] == 5
    assert "service_tier" not in chunk
