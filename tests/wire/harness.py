"""What every decoder test needs: drive a decoder over chunks, and check the event contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from eventide import Error, Finish, Metadata, ProtocolError, ToolCall, Usage

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from eventide import Event
    from eventide.wire import Decoder

__all__ = [
    "assert_keeps_event_contract",
    "decode_garbage",
    "feed_all",
    "feed_until_failure",
    "one_byte_chunks",
]


def one_byte_chunks(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def feed_all(decoder: Decoder, chunks: Iterable[bytes]) -> list[Event]:
    """Feed every chunk, then end the body; return every event, in order."""
    events: list[Event] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.end())
    return events


def feed_until_failure(decoder: Decoder, chunks: Iterable[bytes]) -> tuple[list[Event], Error]:
    """Feed until the decoder raises; return the events delivered before it, and the error.

    "Delivered before" is what a stream would deliver: everything earlier `feed()` calls
    returned, then the failing call's `pending_events`.
    """
    events: list[Event] = []
    try:
        for chunk in chunks:
            events.extend(decoder.feed(chunk))
        events.extend(decoder.end())
    except Error as exc:
        return events + exc.pending_events, exc
    pytest.fail(f"decoded without an error: {events!r}")


def decode_garbage(
    decoder: Decoder,
    chunks: Iterable[bytes],
    *,
    provider: str = "fuzz",
    allowed: type[Error] = ProtocolError,
) -> list[Event]:
    """Decode untrusted bytes; return the events delivered. An `allowed` error (naming the
    decoder's `provider`) is a fine outcome; anything else escapes and fails the test."""
    events: list[Event] = []
    failure: Error | None = None
    try:
        for chunk in chunks:
            events.extend(decoder.feed(chunk))
        events.extend(decoder.end())
    except allowed as exc:
        failure = exc
        events.extend(exc.pending_events)
    assert failure is None or failure.provider == provider
    return events


def assert_keeps_event_contract(events: Sequence[Event]) -> None:
    """DESIGN.md's rules: Metadata first and once; Usage at most once; Finish at most once,
    last; tool calls complete once each, in index order."""
    kinds = [type(event) for event in events]
    if events:
        assert kinds[0] is Metadata
    assert kinds.count(Metadata) <= 1
    assert kinds.count(Usage) <= 1
    assert kinds.count(Finish) <= 1
    if Finish in kinds:
        assert kinds[-1] is Finish
    calls = [event.index for event in events if isinstance(event, ToolCall)]
    assert calls == list(range(len(calls))), "tool calls out of order or completed twice"
