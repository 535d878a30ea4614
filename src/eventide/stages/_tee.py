"""`tee`: two (or more) consumers of one `EventStream`, with a bounded buffer between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

import anyio

from .._errors import Error
from .._resource import AsyncResource
from .._stream import EventStream

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._events import Event

__all__ = ["Tee", "TeeConsumer", "TeeError", "TeeOverflow", "tee"]


class TeeError(Error):
    """A `tee` consumer cannot go on: it fell too far behind (`TeeOverflow`), or another
    consumer's read of the shared stream was cancelled."""

    kind = "tee"


class TeeOverflow(TeeError):
    """A `tee` consumer fell more than ``max_buffer`` events behind the fastest one and was
    dropped, so that it could not make the buffer grow without bound. The other
    consumers go on."""

    kind = "tee_overflow"


@final
class Tee(AsyncResource):
    """One `EventStream` read by several consumers (`tee` makes it; see there).

    Iterating a `Tee` gives its consumers, so ``first, second = tee(stream)`` works.
    Closing it closes every consumer and the stream.
    """

    __slots__ = (
        "_base",
        "_broken",
        "_buffer",
        "_ended",
        "_error",
        "_lock",
        "_positions",
        "_stream",
        "consumers",
        "max_buffer",
    )

    def __init__(self, stream: EventStream, n: int = 2, *, max_buffer: int = 1024) -> None:
        if not isinstance(stream, EventStream):
            raise TypeError(f"tee reads an EventStream, not {stream!r}")
        for name, value in (("n", n), ("max_buffer", max_buffer)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer of at least 1, not {value!r}")
        self._stream = stream
        self.max_buffer = max_buffer
        self._buffer: list[Event] = []
        self._base = 0  # the position (in the whole stream) of _buffer[0]
        self._positions: dict[int, int] = dict.fromkeys(range(n), 0)  # live consumers only
        self._ended = False
        self._error: Error | None = None
        self._broken = False
        self._lock = anyio.Lock()
        self.consumers: tuple[TeeConsumer, ...] = tuple(TeeConsumer(self, i) for i in range(n))

    def __iter__(self) -> Iterator[TeeConsumer]:
        return iter(self.consumers)

    def __repr__(self) -> str:
        return f"<Tee of {self._stream!r}: {len(self.consumers)} consumers>"

    @property
    def buffered(self) -> int:
        """How many events are held for consumers that have not read them yet."""
        return len(self._buffer)

    async def aclose(self) -> None:
        """Close every consumer and the stream. Idempotent."""
        self._positions.clear()
        await self._stream.aclose()

    async def _next(self, index: int) -> Event:
        while True:
            position = self._positions.get(index)
            if position is None:
                raise self.consumers[index].failure()
            offset = position - self._base
            if offset < len(self._buffer):
                self._positions[index] = position + 1
                return self._buffer[offset]
            if self._error is not None:
                raise _twin(self._error)
            if self._ended:
                raise StopAsyncIteration
            if self._broken:
                raise TeeError("the stream was cancelled while another consumer read it")
            async with self._lock:
                if position - self._base == len(self._buffer):
                    await self._pull(position)

    async def _pull(self, position: int) -> None:
        """Read the next batch for the consumer at `position` (at the end of the buffer)."""
        positions = self._positions
        lowest = min(positions.values())
        if lowest > self._base:
            del self._buffer[: lowest - self._base]
            self._base = lowest
        try:
            batch = await self._stream.receive_batch()
        except StopAsyncIteration:
            self._ended = True
            return
        except Error as exc:
            self._error = exc
            return
        except BaseException:
            self._broken = True
            raise
        buffer = self._buffer
        buffer.extend(batch)
        # Drop the consumers furthest behind until the buffer is back within its bound.
        while len(buffer) > self.max_buffer and lowest < position:
            for index in [i for i, p in positions.items() if p == lowest]:
                del positions[index]
                self.consumers[index].overflowed = True
            lowest = min(positions.values())
            del buffer[: lowest - self._base]
            self._base = lowest

    async def _release(self, index: int) -> None:
        if self._positions.pop(index, None) is not None and not self._positions:
            await self._stream.aclose()


def _twin(error: Error) -> Error:
    """A copy of `error` for one consumer, so that each gets its own ``partial``. Built
    without calling ``__init__``: error classes differ in what theirs requires."""
    twin = type(error).__new__(type(error), *error.args)
    twin.args = error.args
    twin.__dict__.update(error.__dict__)
    twin.__cause__ = error.__cause__
    twin.__suppress_context__ = error.__suppress_context__
    twin.partial = None
    return twin


@final
class TeeConsumer(AsyncResource):
    """One consumer of a `Tee`: an async iterator of the stream's events and an async
    context manager (leaving it lets the stream go once every consumer has)."""

    __slots__ = ("_index", "_tee", "overflowed")

    def __init__(self, tee: Tee, index: int) -> None:
        self._tee = tee
        self._index = index
        self.overflowed = False

    def __repr__(self) -> str:
        state = "overflowed" if self.overflowed else "open"
        return f"<TeeConsumer {self._index} {state}>"

    def __aiter__(self) -> TeeConsumer:
        return self

    async def __anext__(self) -> Event:
        return await self._tee._next(self._index)

    def failure(self) -> Error | StopAsyncIteration:
        """What reading this consumer raises once it has been dropped or closed."""
        if self.overflowed:
            return TeeOverflow(
                f"this consumer fell more than {self._tee.max_buffer} events behind "
                "the others and was dropped",
                provider=self._tee._stream.provider,
            )
        return StopAsyncIteration()

    async def aclose(self) -> None:
        """Stop consuming; the last consumer to close closes the stream. Idempotent."""
        await self._tee._release(self._index)


def tee(stream: EventStream, n: int = 2, *, max_buffer: int = 1024) -> Tee:
    """`n` consumers of one `EventStream`, each seeing every event, in any tasks.

    Whichever consumer is ahead reads the next network batch; the events wait in a shared
    buffer until every consumer has read them. The buffer is bounded: a consumer that
    falls more than `max_buffer` events behind the fastest one is dropped, and its next
    read raises `TeeOverflow` (an `eventide.Error`; ``collect`` attaches its partial
    result), while the others go on. So memory never holds more than `max_buffer` events
    (or one network batch, when a single batch is larger). Why an error rather than
    back-pressure: back-pressure deadlocks the most natural use, one task that reads one
    consumer to its end and then the other. To have it back-pressure, read the consumers
    in lock step (`anyio` task group, one task per consumer) with a `max_buffer` above
    the largest network batch.

    Errors of the stream reach every consumer (each its own copy, after the events before
    it). The stream is closed when it ends, when every consumer is closed, or by
    `Tee.aclose`.

    Args:
        stream: The stream to share; read it only through the consumers.
        n: How many consumers (default 2).
        max_buffer: The most events any consumer may lag behind (default 1024).

    Returns:
        A `Tee`: unpack it (``first, second = tee(stream)``) or use ``.consumers``.

    Raises:
        TypeError: `stream` is not an `EventStream`.
        ValueError: `n` or `max_buffer` is not a positive integer.
    """
    return Tee(stream, n, max_buffer=max_buffer)
