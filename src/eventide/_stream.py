"""`EventStream`: the resource a consumer iterates and closes.

A stream is created without I/O. The first read sends the request, in the consumer's own
task; each later read pulls one network chunk through the decoder and hands out the events
it completes, one list per chunk, with no task switch and no per-event allocation beyond
the event itself. It stops at the decoder's terminal event (it never waits for the server
to close the connection), drains what little is left so the connection can be reused, and
closes. Every failure is raised as an `eventide.Error` after all the events received
before it were delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, final

import anyio
import trio

from ._errors import Error, ProtocolError, StreamTimeout
from ._events import CONTENT_EVENTS, Event, Metadata
from ._resource import AsyncResource
from .wire import Decoder

if TYPE_CHECKING:
    from ._timeouts import Timeouts

__all__ = ["Body", "EventStream", "OpenBody"]

DRAIN_BYTES: Final = 64 * 1024
DRAIN_SECONDS: Final = 0.25
_CONTENT: Final = frozenset(CONTENT_EVENTS)


class Body(Protocol):
    """An open response body (the transport's `HTTPBody` is one)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def chunks(self) -> Any:
        """An async iterator of body bytes (an async generator that closes the response)."""

    async def aclose(self) -> None: ...


OpenBody = Callable[[], Awaitable[Body]]
MakeDecoder = Callable[[Mapping[str, str]], Decoder]


@final
class EventStream(AsyncResource):
    """The events of one response: an async iterator and an async context manager.

    Use it in ``async with``: leaving the block closes the HTTP response at once, even
    when the loop was left early or the block was cancelled::

        async with provider.stream("Why is the sky blue?") as events:
            async for event in events:
                ...

    A plain ``async for ... break`` without ``async with`` also releases the connection,
    but only when the stream is garbage-collected (at once in CPython, through the
    runtime's async-generator finaliser); ``async with`` is the deterministic form.

    Cancellation:
        Reads are cancellable; a cancelled or failed read closes the response before the
        exception propagates. `aclose()` is shielded: it completes even when cancelled.

    Attributes:
        provider: The provider's name.
        model: The requested model.
    """

    __slots__ = (
        "__weakref__",
        "_body",
        "_chunks",
        "_closed",
        "_content_emitted",
        "_decoder",
        "_events",
        "_failure",
        "_make_decoder",
        "_open_body",
        "_pos",
        "_started",
        "_timeouts",
        "_waited",
        "model",
        "provider",
    )

    def __init__(
        self,
        open_body: OpenBody,
        make_decoder: MakeDecoder,
        *,
        provider: str,
        model: str,
        timeouts: Timeouts,
    ) -> None:
        self._open_body = open_body
        self._make_decoder = make_decoder
        self.provider = provider
        self.model = model
        self._timeouts = timeouts
        self._body: Body | None = None
        self._chunks: Any = None
        self._decoder: Decoder | None = None
        self._events: list[Event] = []
        self._pos = 0
        self._failure: Error | None = None
        self._closed = False
        self._content_emitted = False
        self._started: float | None = None
        self._waited = False  # an event was delivered: later waits are "idle" waits

    def __del__(self) -> None:
        # Abandoned without aclose() (a plain `async for ... break`): close the response in
        # the background, on the event loop that is running us.
        body = self._body
        if body is not None:
            self._body = None
            _close_later(body)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._body is not None else "new"
        return f"<EventStream provider={self.provider!r} model={self.model!r} {state}>"

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

    async def receive_batch(self) -> list[Event]:
        """The next events: everything decoded from the next network chunk (never empty).

        Collectors use this to skip the per-event await; events buffered by `__anext__`
        come first. Raises `StopAsyncIteration` at the end of the response.
        """
        if self._pos < len(self._events):
            rest = self._events[self._pos :]
            self._events = []
            self._pos = 0
            return rest
        if self._failure is not None:
            raise self._failure
        decoder = self._decoder
        if self._closed or (decoder is not None and decoder.done):
            await self.aclose()
            raise StopAsyncIteration
        try:
            events = await self._read()
            if not events:  # the decoder reached its end with nothing more to say
                await self.aclose()
                raise StopAsyncIteration
            if not self._waited and type(events[0]) is not Metadata:
                raise ProtocolError(f"decoder emitted {type(events[0]).__name__} before Metadata")
        except Error as exc:
            return await self._fail(exc)
        except BaseException:
            await self._close(drain=False)
            raise
        if not self._content_emitted:
            self._content_emitted = any(type(event) in _CONTENT for event in events)
        self._waited = True
        return events

    async def aclose(self) -> None:
        """Close the HTTP response. Idempotent; completes even when cancelled.

        After a complete response, up to 64 KiB or 0.25 s of trailing body is read first so
        that the connection can go back to the pool; otherwise the connection is closed.
        """
        decoder = self._decoder
        await self._close(drain=decoder is not None and decoder.done and self._failure is None)

    def _deadline(self, now: float) -> tuple[float, str]:
        timeouts = self._timeouts
        started = self._started if self._started is not None else now
        deadline, phase = math.inf, ""
        if timeouts.total is not None:
            deadline, phase = started + timeouts.total, "total"
        budget = timeouts.first_event if not self._waited else timeouts.idle
        if budget is not None:
            base = started if not self._waited else now
            if base + budget < deadline:
                deadline, phase = base + budget, "first_event" if not self._waited else "idle"
        return deadline, phase

    async def _read(self) -> list[Event]:
        timeouts = self._timeouts
        if self._started is None:
            self._started = anyio.current_time()
        if timeouts.total is None and timeouts.idle is None and timeouts.first_event is None:
            return await self._pull()
        deadline, phase = self._deadline(anyio.current_time())
        with anyio.CancelScope(deadline=deadline):
            return await self._pull()
        budget = {"total": timeouts.total, "first_event": timeouts.first_event}.get(
            phase, timeouts.idle
        )
        raise StreamTimeout(
            f"no event within the {phase.replace('_', '-')} timeout of {budget} s",
            phase=phase,  # type: ignore[arg-type]
            timeout=budget,
            provider=self.provider,
        )

    async def _pull(self) -> list[Event]:
        decoder = self._decoder
        if decoder is None:
            body = self._body = await self._open_body()
            self._chunks = body.chunks
            decoder = self._decoder = self._make_decoder(body.headers)
        chunks = self._chunks
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return decoder.end()
            events = decoder.feed(chunk)
            if events or decoder.done:
                return events

    async def _fail(self, exc: Error) -> list[Event]:
        if exc.provider is None:
            exc.provider = self.provider
        pending, exc.pending_events = exc.pending_events, []
        self._failure = exc
        await self._close(drain=False)
        if pending and not self._content_emitted:
            self._content_emitted = any(type(event) in _CONTENT for event in pending)
        exc.content_emitted = self._content_emitted
        if pending:
            return pending  # delivered first; the next read raises the failure
        raise exc

    async def _close(self, *, drain: bool) -> None:
        self._closed = True
        body, self._body = self._body, None
        self._chunks = None
        if body is None:
            return
        with anyio.CancelScope(shield=True):
            if drain:
                await self._drain(body)
            await body.aclose()

    @staticmethod
    async def _drain(body: Body) -> None:
        left = DRAIN_BYTES
        with anyio.move_on_after(DRAIN_SECONDS):
            try:
                async for chunk in body.chunks:
                    left -= len(chunk)
                    if left <= 0:
                        break
            except Error:
                pass  # the response was already complete: a broken tail changes nothing


_closing: set[Any] = set()  # strong references to asyncio close tasks while they run


async def _close_quietly(body: Body) -> None:
    with contextlib.suppress(Exception):
        await body.aclose()


def _close_later(body: Body) -> None:
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
