"""`EventStream`: the resource a consumer iterates and closes.

A stream is created without I/O, over a `Source` (one HTTP response, or a router's
attempts). It hands out the source's events one batch at a time, in the consumer's own task,
with no per-event work beyond a list index. It guarantees `Metadata` first, tracks whether
content has been handed out, and raises every failure as an `eventide.Error` after all the
events received before it were delivered. Its telemetry (`eventide._telemetry`: a span, metrics,
a log record) starts on the first read and ends exactly once, on whichever path ends the
stream: complete, failed, cancelled, or closed (or dropped) early.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn, Protocol, final

import trio

from ._errors import Error, ProtocolError
from ._events import CONTENT_EVENTS, Event, Metadata
from ._resource import AsyncResource
from ._telemetry import Outcome, Tracker, outcome_of, watch

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextvars import Token

__all__ = ["EventStream", "Source"]

_CONTENT: Final = frozenset(CONTENT_EVENTS)
_NO_EVENTS: Final[list[Event]] = []  # shared, never changed: a stream before its first batch


class Source(Protocol):
    """Where an `EventStream` gets its events: one HTTP response (`HTTPSource`), or a router
    choosing among attempts. Used from one task at a time."""

    @property
    def provider(self) -> str:
        """The provider serving (or about to serve) the events."""

    @property
    def model(self) -> str:
        """The requested model."""

    async def open(self) -> None:
        """Send the request and wait until the response has been accepted (its headers)."""

    async def receive(self) -> list[Event]:
        """The next events, in order; an empty list at the end of the response."""

    async def aclose(self) -> None:
        """Release everything; idempotent; completes even when cancelled."""

    def abandon(self) -> Any:
        """Detach what needs closing, without awaiting, for `_close_later` (or None)."""

    # A source with an HTTP response also has ``headers`` (a ``Mapping[str, str]``, or None
    # before the response is accepted) and ``status_code`` (``int | None``): `EventStream`
    # reads them when asked, so a source without them (an in-process one) needs neither.


@final
class EventStream(AsyncResource):
    """The events of one response: an async iterator and an async context manager.

    Use it in ``async with``: leaving the block closes the HTTP response at once, even
    when the loop was left early or the block was cancelled:

    ```python
    from eventide.providers import demo

    provider = demo()
    async with provider.stream("Why is the sky blue?") as events:
        async for event in events:
            print(event)
    ```

    A plain ``async for ... break`` without ``async with`` also releases the connection,
    but only when the stream is garbage-collected (at once in CPython); ``async with`` is
    the deterministic form.

    Events come one network chunk at a time, in the consumer's own task: there is no
    background task and no channel, and the stream checkpoints once per network read,
    not once per event.

    Cancellation:
        Reads are cancellable; a cancelled or failed read closes the response before the
        exception propagates. `aclose()` is shielded: it completes even when cancelled.
    """

    __slots__ = (
        "__weakref__",
        "_closed",
        "_content_emitted",
        "_delivered",
        "_events",
        "_failure",
        "_pos",
        "_source",
        "_tracker",
    )

    def __init__(self, source: Source) -> None:
        self._source = source
        self._events = _NO_EVENTS  # the batch `__anext__` hands out
        self._pos = 0
        self._failure: Error | None = None
        self._closed = False
        self._content_emitted = False
        self._delivered = False
        self._tracker: Tracker | Literal[False] | None = False  # False: not looked for yet

    def __del__(self) -> None:
        # Abandoned without aclose() (a plain `async for ... break`): close the response in
        # the background, on the event loop that is running us.
        if not self._closed:
            with contextlib.suppress(Exception):  # a finaliser must not raise
                self._end(Outcome.ABANDONED)
            body = self._source.abandon()
            if body is not None:
                _close_later(body)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._delivered else "new"
        return f"<EventStream provider={self.provider!r} model={self.model!r} {state}>"

    @property
    def provider(self) -> str:
        """The provider's name (for a router: the one serving, once it has committed)."""
        return self._source.provider

    @property
    def model(self) -> str:
        """The requested model."""
        return self._source.model

    @property
    def headers(self) -> Mapping[str, str] | None:
        """The response's HTTP headers once the stream has opened (the provider accepted the
        request), read-only and found by name in any case (``headers["X-Request-ID"]``); they
        stay readable after the stream is closed. None before the stream opens, and for a
        source with no HTTP response. For a router: the headers of the attempt that served."""
        headers: Mapping[str, str] | None = getattr(self._source, "headers", None)
        return headers

    @property
    def status_code(self) -> int | None:
        """The response's HTTP status once the stream has opened; None before, and for a
        source with no HTTP response. For a router: the status of the attempt that served."""
        status: int | None = getattr(self._source, "status_code", None)
        return status

    @property
    def content_emitted(self) -> bool:
        """Whether a content event (text, reasoning, tool call) has been handed out."""
        return self._content_emitted

    @property
    def closed(self) -> bool:
        """Whether the stream has been closed (its HTTP response released)."""
        return self._closed

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        events = self._events
        i = self._pos
        if i < len(events):
            self._pos = i + 1
            return events[i]
        events = self._events = await self.receive_batch()
        self._pos = 1
        return events[0]

    async def open(self) -> None:
        """Send the request and wait for the provider to accept it (its response headers),
        without reading any event. Reading does this by itself; call it to fail early.

        Raises:
            Error: The request failed (HTTP error status, connection error, timeout).
        """
        if self._failure is not None:
            raise self._failure
        token = self._enter()
        try:
            try:
                await self._source.open()
            finally:
                if token is not None:
                    Tracker.leave(token)
        except Error as exc:
            await self._fail(exc)
        except BaseException:
            await self.aclose()
            raise

    async def receive_batch(self) -> list[Event]:
        """The next events: everything decoded from the next network chunk (never empty).

        Collectors use this to skip the per-event await; events buffered by `__anext__`
        come first. Raises `StopAsyncIteration` at the end of the response.
        """
        if self._pos < len(self._events):
            rest = self._events[self._pos :]
            self._events = _NO_EVENTS
            self._pos = 0
            return rest
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise StopAsyncIteration
        token = None if self._delivered else self._enter()
        try:
            try:
                events = await self._source.receive()
            finally:
                if token is not None:
                    Tracker.leave(token)
            if not self._delivered and events and type(events[0]) is not Metadata:
                raise ProtocolError(f"{type(events[0]).__name__} came before Metadata")
            if not events:  # the end of the response
                self._end(Outcome.COMPLETE)
                await self.aclose()
                raise StopAsyncIteration
        except Error as exc:
            await self._fail(exc)
        except BaseException as exc:
            if type(exc) is not StopAsyncIteration:
                self._end(outcome_of(exc), exc)
            await self.aclose()
            raise
        if not self._content_emitted:
            self._content_emitted = any(type(event) in _CONTENT for event in events)
        self._delivered = True
        tracker = self._tracker
        if tracker:
            tracker.batch(events)
        return events

    async def aclose(self) -> None:
        """Close the HTTP response. Idempotent; completes even when cancelled.

        After a complete response, up to 64 KiB or 0.25 s of trailing body is read first so
        that the connection can go back to the pool; otherwise the connection is closed.
        """
        self._closed = True
        self._end(Outcome.ABANDONED)
        await self._source.aclose()

    def _enter(self) -> Token[Any] | None:
        """Before a read that comes before any event was delivered: telemetry starts here
        (on the first), and the streams that read opens (a router's attempts) see this
        stream as their parent until `Tracker.leave` is given the token back. Inline in
        the caller's coroutine: no frame of its own per waiting stream."""
        tracker = self._tracker
        if tracker is False:
            tracker = self._tracker = watch(self._source)
        return None if tracker is None else tracker.enter()

    def _end(self, outcome: Outcome, error: BaseException | None = None) -> None:
        """End the telemetry of this stream (only the first call counts)."""
        tracker = self._tracker
        if tracker:
            tracker.end(outcome, error)

    async def _fail(self, exc: Error) -> NoReturn:
        if exc.provider is None:
            exc.provider = self.provider
        self._failure = exc
        exc.content_emitted = self._content_emitted
        self._end(Outcome.ERROR, exc)
        await self.aclose()
        raise exc


_closing: set[Any] = set()  # strong references to asyncio close tasks while they run


async def _close_quietly(body: Any) -> None:
    with contextlib.suppress(Exception):
        await body.aclose()


def _close_later(body: Any) -> None:
    """Schedule `body.aclose()` on the running event loop (trio or asyncio), from a finaliser.

    Outside any loop nothing can be awaited: the body's own async-generator finaliser is
    then all there is.
    """
    try:
        trio.lowlevel.spawn_system_task(_close_quietly, body)
    except RuntimeError:  # not inside trio
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(_close_quietly(body))
        _closing.add(task)
        task.add_done_callback(_closing.discard)
