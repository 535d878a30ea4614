"""Consumers of a stream: `collect`, `collect_text`, `first_metadata`, and the sync
`CompletionCollector` they are built on.

The async functions own the stream's lifetime: they close it when they return or raise,
so `first_metadata` releases the connection right after the first event and the server
stops generating (and billing) tokens. An error raised while collecting carries
``partial``, the `Completion` of everything received before it.

Accumulation is O(n): pieces are appended to lists and joined once, at the end.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, assert_never, final

from ._completion import CompletedToolCall, Completion, Timing
from ._errors import Error, ProtocolError
from ._events import (
    Finish,
    Metadata,
    Reasoning,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._stream import EventStream

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, Iterable

    from ._events import Event

__all__ = ["CompletionCollector", "collect", "collect_text", "first_metadata"]


def _parse_arguments(arguments: str) -> tuple[object, bool]:
    if not arguments.strip():
        return {}, True  # a call without arguments; some servers send "" for "{}"
    try:
        return json.loads(arguments), True
    except (ValueError, RecursionError):  # deeply nested JSON too
        return None, False


@final
class CompletionCollector:
    """Builds a `Completion` from events fed one at a time or a batch at a time. No I/O.

    Args:
        started: The `time.perf_counter()` value that timings are measured from
            (default: now).
    """

    __slots__ = (
        "_arguments",
        "_blocks",
        "_calls",
        "_finish",
        "_first_content_at",
        "_metadata_at",
        "_reasoning",
        "_refusal",
        "_started",
        "_text",
        "_usage",
        "metadata",
    )

    def __init__(self, *, started: float | None = None) -> None:
        self._started = time.perf_counter() if started is None else started
        self.metadata: Metadata | None = None
        self._text: list[str] = []
        # The rarer pieces: made by their first event (a stream waiting keeps none of them).
        self._reasoning: list[str] | None = None
        self._refusal: list[str] | None = None
        self._blocks: list[Reasoning] | None = None
        self._calls: dict[int, ToolCall] | None = None
        self._arguments: dict[int, tuple[str, str, list[str]]] | None = None  # id, name, parts
        self._usage: Usage | None = None
        self._finish: Finish | None = None
        self._metadata_at: float | None = None
        self._first_content_at: float | None = None

    def feed(self, event: Event) -> None:
        """Take one event."""
        self.feed_batch((event,))

    def feed_batch(self, events: Iterable[Event]) -> None:
        """Take events in order (one network chunk's worth, typically)."""
        text = self._text
        for event in events:
            kind = type(event)
            if kind is TextDelta:
                text.append(event.text)  # type: ignore[union-attr]
            elif kind is ReasoningDelta:
                reasoning = self._reasoning
                if reasoning is None:
                    reasoning = self._reasoning = []
                reasoning.append(event.text)  # type: ignore[union-attr]
            else:
                self._other(event)
        if self._first_content_at is None and (
            text or self._reasoning or self._arguments or self._refusal or self._blocks
        ):
            self._first_content_at = time.perf_counter()

    def _other(self, event: Event) -> None:
        match event:
            case ToolCallDelta(index=index, id=call_id, name=name, arguments=piece):
                arguments = self._arguments
                if arguments is None:
                    arguments = self._arguments = {}
                known = arguments.get(index)
                if known is None:
                    arguments[index] = (call_id or "", name or "", [piece])
                else:
                    known[2].append(piece)
            case ToolCall():
                if self._calls is None:
                    self._calls = {}
                self._calls[event.index] = event
                if self._arguments is None:
                    self._arguments = {}
                self._arguments.setdefault(event.index, (event.id, event.name, []))
            case Metadata():
                if self.metadata is None:
                    self.metadata = event
                    self._metadata_at = time.perf_counter()
            case Usage():
                self._usage = event
            case RefusalDelta(text=piece):
                if self._refusal is None:
                    self._refusal = []
                self._refusal.append(piece)
            case Reasoning():
                if self._blocks is None:
                    self._blocks = []
                self._blocks.append(event)
            case Finish():
                self._finish = event
            case TextDelta() | ReasoningDelta():  # pragma: no cover - handled by feed_batch
                pass
            case _:  # pragma: no cover - mypy proves every event class is handled
                assert_never(event)

    def result(self) -> Completion:
        """The `Completion` so far (a partial one while the response is unfinished).

        Tool calls still streaming when the response stopped are included with the
        arguments received so far (and ``arguments_valid`` False if they do not parse).
        """
        calls = []
        found = self._arguments or {}
        complete_calls = self._calls or {}
        for index in sorted(found):
            complete = complete_calls.get(index)
            signature = None
            if complete is not None:
                call_id, name, arguments = complete.id, complete.name, complete.arguments
                signature = complete.signature
            else:
                call_id, name, parts = found[index]
                arguments = "".join(parts)
            parsed, valid = _parse_arguments(arguments)
            calls.append(CompletedToolCall(call_id, name, arguments, parsed, valid, signature))
        finish = self._finish
        now = time.perf_counter()
        started = self._started
        return Completion(
            metadata=self.metadata,
            text="".join(self._text),
            reasoning="".join(self._reasoning) if self._reasoning else "",
            tool_calls=tuple(calls),
            refusal="".join(self._refusal) if self._refusal else None,
            usage=self._usage,
            finish_reason=finish.reason if finish is not None else None,
            raw_finish_reason=finish.raw_reason if finish is not None else None,
            late_model=finish.model if finish is not None else None,
            reasoning_blocks=tuple(self._blocks) if self._blocks else (),
            timing=Timing(
                to_metadata=None if self._metadata_at is None else self._metadata_at - started,
                to_first_content=None
                if self._first_content_at is None
                else self._first_content_at - started,
                total=now - started if finish is not None else None,
            ),
        )


async def collect(stream: EventStream | AsyncIterable[Event]) -> Completion:
    """Read a stream to its end and return the whole response; the stream is closed after.

    Raises:
        Error: Whatever the stream raised, with ``partial`` set to the `Completion` of
            everything received before the failure.

    Cancellation:
        Cancelling closes the stream; what was collected is lost with the cancellation.
    """
    collector = CompletionCollector()
    try:
        if isinstance(stream, EventStream):
            try:
                while True:
                    try:
                        batch = await stream.receive_batch()
                    except StopAsyncIteration:
                        break
                    collector.feed_batch(batch)
            finally:
                await stream.aclose()
        else:
            async for event in stream:
                collector.feed(event)
    except Error as exc:
        exc.partial = collector.result()
        raise
    return collector.result()


async def collect_text(stream: EventStream | AsyncIterable[Event]) -> str:
    """Read a stream to its end and return the answer text; the stream is closed after.

    Raises:
        Error: As `collect`, with ``partial`` set.
    """
    return (await collect(stream)).text


async def first_metadata(stream: EventStream) -> Metadata:
    """Read only the first event, `Metadata`, and close the stream at once.

    The connection is closed right after the metadata arrives, so the provider stops
    generating: use it to learn who serves a request, or to check a route, cheaply.

    Raises:
        Error: The request failed before metadata arrived (``partial`` set, empty).
        ProtocolError: The stream ended without any event.
    """
    async with stream:
        try:
            event = await stream.__anext__()
        except StopAsyncIteration:
            raise ProtocolError(
                "stream ended before its metadata", provider=stream.provider
            ) from None
        except Error as exc:
            exc.partial = Completion(metadata=None)
            raise
    if not isinstance(event, Metadata):  # pragma: no cover - EventStream guarantees it
        raise ProtocolError(f"first event was {type(event).__name__}, not Metadata")
    return event
