"""The sync `Client`'s streams: `Stream` (OpenAI-shaped chunks) and `EventIterator` (events).

Both are objects, not bare generators, after openai-python's ``Stream``: an iterator
(``for``, ``next()``), a context manager (``with ... as stream``) and an idempotent
`close()`. A task on the client's event loop reads the async stream a few network reads
ahead of the consumer into a queue, one list per read (a `Reader`); the consumer takes one
list at a time and hands out its items through a C iterator over the lists
(`itertools.chain`), so it crosses threads only when it has caught up with the network and
pays no Python frame per item in a ``for`` loop.

What ends a stream, and what comes after:

- its end (or its error): `next()` raises `StopIteration` from then on;
- `close()` (or leaving the ``with`` block) before its end: the loop's task is cancelled
  and has closed the connection when `close()` returns; the items already read ahead are
  dropped, and `next()` raises `eventide.Error`, as openai-python's stream raises
  ``StreamClosed`` once closed. Closing from another thread wakes a consumer waiting on
  the next item with that error;
- an exception raised in the consuming thread while it waits (``KeyboardInterrupt``):
  the stream is closed the same way before the exception goes on;
- garbage collection (a ``for ... break`` over a call's result): closed the same way.
  An unfinished stream keeps its `Client` alive.
"""

from __future__ import annotations

import itertools
import queue
import threading
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, Self, TypeVar, final

import trio

from .._errors import Error
from .._events import Event
from .._resource import SyncResource

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator


__all__ = ["EventIterator", "Loop", "Reader", "Shape", "Stream", "closed_during_call"]

T = TypeVar("T")

READ_AHEAD: Final = 16
"""Network reads a sync stream reads ahead of its consumer (bounded memory, few crossings)."""


def closed_during_call() -> Error:
    """The error of a call, or a stream, whose `Client` was closed while it ran."""
    return Error("the Client was closed while this call was running")


def _stream_closed() -> Error:
    return Error("this stream was closed before its end: make a new request to read again")


class Shape(Protocol[T]):
    """What a `Reader` makes of each list it reads, in the consumer's thread (the
    OpenAI-shaped chunks of a list of events: `eventide.client.Chunker`)."""

    def batch(self, items: list[Any], /) -> list[T]:
        """The items for one list read (a new list; maybe empty)."""

    def end(self) -> T | None:
        """One last item after the end of the stream (not after an error), if any."""


class Loop(Protocol):
    """What a `Reader` needs of the client's event loop thread."""

    streams: set[Callable[[Exception | None], None]]
    """The `end` of every stream being read (the fork handler ends them)."""

    def soon(self, function: Callable[[], object]) -> bool:
        """Run `function` on the loop soon; False if the loop has ended."""

    def start(self, job: Callable[[], Awaitable[None]], refuse: Callable[[], None]) -> None:
        """Start `job` on the loop, or call `refuse` if the loop is stopping."""

    def abandon(self, scope: trio.CancelScope, finished: Callable[[float], object]) -> None:
        """Cancel a job; wait (a bounded time) until it has closed what it opened."""


_Item = tuple[bool, Any]  # (True, a list of items) or (False, the failure or None: the end)

_OPEN, _ENDED, _CLOSED = "open", "ended", "closed"


@final
class _Pump(Generic[T]):
    """The loop's side of a `Reader`: the task that reads ahead. It holds no reference to
    the `Reader`, so that a `Reader` nobody iterates any more is collected (and stops it)."""

    __slots__ = ("_aclose", "_credits", "_receive", "batches", "finished", "scope")

    def __init__(
        self,
        receive: Callable[[], Awaitable[list[T]]],
        aclose: Callable[[], Awaitable[None]],
        ahead: int,
    ) -> None:
        self._receive = receive
        self._aclose = aclose
        self._credits = trio.Semaphore(ahead)
        self.batches: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.scope = trio.CancelScope()
        self.finished = threading.Event()

    def end(self, failure: Exception | None) -> None:
        """End the consumer's side: it gets `failure`, or the end of the stream (None)."""
        self.batches.put((False, failure))
        self.finished.set()

    def refuse(self) -> None:
        """The loop is stopping: the task will not run."""
        self.end(closed_during_call())

    def release(self, count: int) -> None:
        """Let the task read `count` more lists ahead (on the loop)."""
        for _ in range(count):
            self._credits.release()

    async def run(self) -> None:
        """Read lists into `batches` until the end; close the stream, whatever happens."""
        failure: Exception | None = None
        put = self.batches.put
        try:
            with self.scope:
                while True:
                    try:  # no checkpoint when a credit is there: `receive` has its own
                        self._credits.acquire_nowait()
                    except trio.WouldBlock:
                        await self._credits.acquire()
                    put((True, await self._receive()))
        except StopAsyncIteration:
            pass
        except Exception as exc:
            failure = exc
        except BaseException:  # the loop is stopping: the client was closed
            failure = closed_during_call()
            raise
        finally:
            try:
                with trio.CancelScope(shield=True):
                    await self._aclose()
            except Exception as exc:
                failure = failure or exc
            finally:
                self.end(failure)


@final
class Reader(Generic[T]):
    """The consumer's side of a task on the client's loop that reads an async stream: an
    iterator of its lists (network reads), each a list of items.

    The task starts at once, reads up to `ahead` lists ahead into a queue, and closes the
    stream (`aclose`) when it ends, fails or is cancelled. Credits for more reads go back
    to it in groups, so the loop is woken once per half of `ahead`. With a `shape`, each
    list is made into the items handed out in the consumer's thread (objects made and
    dropped by one thread stay in its CPU's cache). Collected unfinished,
    the reader stops its task (and waits until the stream is closed). `owner` is kept alive
    as long as the reader is.
    """

    __slots__ = (
        "__weakref__",
        "_batch",
        "_handback",
        "_loop",
        "_owner",
        "_pump",
        "_shape",
        "_taken",
        "state",
    )

    def __init__(
        self,
        loop: Loop,
        receive: Callable[[], Awaitable[list[Any]]],
        aclose: Callable[[], Awaitable[None]],
        *,
        ahead: int = READ_AHEAD,
        owner: object = None,
        shape: Shape[T] | None = None,
    ) -> None:
        self._loop = loop
        self._owner = owner
        self._shape = shape
        self._pump = pump = _Pump(receive, aclose, ahead)
        self._handback = max(ahead // 2, 1)
        self._taken = 0
        self._batch: list[T] = []
        self.state = _OPEN
        """``"open"``, ``"ended"`` (its end or error was read) or ``"closed"`` (by
        `close()`, before the end)."""
        loop.streams.add(pump.end)
        loop.start(pump.run, pump.refuse)

    def __del__(self) -> None:
        if hasattr(self, "_pump"):  # else __init__ failed: nothing was started
            self.stop()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> list[T]:
        """The next list of items (never empty), waiting for it if need be.

        Raises:
            StopIteration: The stream has ended.
            Error: What ended the stream (the client was closed, say), once; or the stream
                was closed by `close()` before its end.
            BaseException: What was raised in this thread while it waited (an interrupt);
                the stream has been closed first.
        """
        pump = self._pump
        while self.state == _OPEN:
            try:
                more, got = pump.batches.get()
            except BaseException:
                self._ended()
                self.stop()
                raise
            if not more:
                self._ended()
                self._loop.streams.discard(pump.end)
                if got is not None:
                    raise got
                last = None if self._shape is None else self._shape.end()
                if last is None:
                    break
                self._batch = batch = [last]
                return batch
            self._taken += 1
            if self._taken == self._handback:
                self._taken = 0
                self._loop.soon(lambda: pump.release(self._handback))
            # a list of our own (emptied on close()), made in this thread
            batch = got.copy() if self._shape is None else self._shape.batch(got)
            if batch:
                self._batch = batch
                return batch
        if self.state == _CLOSED:
            raise _stream_closed()
        raise StopIteration

    def _ended(self) -> None:
        if self.state == _OPEN:
            self.state = _ENDED

    def close(self) -> None:
        """Drop what was read ahead, stop the task and wait until the stream is closed."""
        if self.state == _OPEN:
            self.state = _CLOSED
        self._batch.clear()  # the items of the list being handed out end here too
        self.stop()

    def stop(self) -> None:
        """Cancel the task, unless it has ended, and wait until it has closed the stream."""
        pump = self._pump
        self._loop.streams.discard(pump.end)
        if not pump.finished.is_set():
            self._loop.abandon(pump.scope, pump.finished.wait)


class _SyncStream(SyncResource, Generic[T]):
    """The items of a `Reader`'s lists, with ``with`` and `close()`.

    ``for`` iterates a C iterator over the lists (`itertools.chain`): no Python frame per
    item. `next()` reads from the same iterator.
    """

    __slots__ = ("__weakref__", "_items", "_reader")

    def __init__(self, reader: Reader[T]) -> None:
        self._reader = reader
        self._items: Iterator[T] = itertools.chain.from_iterable(reader)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._reader.state}>"

    @property
    def closed(self) -> bool:
        """Whether the stream has ended or been closed (its connection released)."""
        return self._reader.state != _OPEN

    def __iter__(self) -> Iterator[T]:
        if self._reader.state == _CLOSED:
            raise _stream_closed()
        return self._items

    def __next__(self) -> T:
        try:
            return next(self._items)
        except StopIteration:
            if self._reader.state == _CLOSED:
                raise _stream_closed() from None
            raise

    def close(self) -> None:
        """Close the stream: the connection is closed when this returns. Idempotent; from
        any thread. Reading on afterwards raises `eventide.Error` (unless it had ended)."""
        self._reader.close()


@final
class Stream(_SyncStream[T]):
    """``Client.chat.completions.create(stream=True)``: the `ChatCompletionChunk` objects of
    one response, as openai-python's ``Stream``:

    ```python
    from eventide import Client

    with Client("demo") as client:
        with client.chat.completions.create(messages="hi", stream=True) as stream:
            for chunk in stream:
                print(chunk.choices[0].delta.content or "", end="")
    ```

    Leaving the block (or `close()`) closes the connection at once; a plain ``for ...
    break`` over the call's result does too, when the stream is collected (at once in
    CPython). See `eventide.client._sync_stream` for what iteration does after the end.
    """

    __slots__ = ()


@final
class EventIterator(_SyncStream[Event]):
    """``Client.stream()``: the events of one response, the sync `EventStream`:

    ```python
    from eventide import Client

    with Client("demo") as client:
        with client.stream("Why is the sky blue?") as events:
            for event in events:
                print(event)
    ```

    The same lifetime as `Stream`: `close()`, ``with``, closed on collection.
    """

    __slots__ = ()
