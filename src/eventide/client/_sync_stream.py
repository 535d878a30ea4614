"""The sync `Client`'s streams: `Stream` (OpenAI-shaped chunks) and `EventIterator` (events).

Both are objects, not bare generators, after openai-python's ``Stream``: an iterator
(``for``, ``next()``), a context manager (``with ... as stream``) and an idempotent
`close()`. A task on the client's event loop reads the async stream ahead of the consumer
(1,024 events at most) into a queue, one list per read (a `Reader`); the consumer takes one
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
- an exception raised in the consuming thread while it waits or makes the items
  (``KeyboardInterrupt``, wherever it lands): the stream is closed the same way before
  the exception goes on, and reading on raises `eventide.Error`, never a silent end;
- garbage collection (a ``for ... break`` over a call's result): closed the same way.
  An unfinished stream keeps its `Client` alive.
"""

from __future__ import annotations

import functools
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


__all__ = [
    "EventIterator",
    "Loop",
    "Reader",
    "Shape",
    "Stream",
    "closed_before_its_end",
    "closed_during_call",
]

T = TypeVar("T")

READ_AHEAD: Final = 16
"""Lists (network reads) a `Reader` reads ahead of its consumer, by default (bounded memory,
few crossings)."""

READ_AHEAD_EVENTS: Final = 1024
"""Events a sync event stream reads ahead of its consumer, whatever the size of its reads.
The two threads hand the interpreter over to each other about once per half of it (a
hand-over costs tens of µs); more would keep events waiting long enough for the cyclic
garbage collector to move them to its older generations, whose collections cost more than
the hand-overs saved (docs/performance.md)."""


def closed_during_call() -> Error:
    """The error of a call, or a stream, whose `Client` was closed while it ran."""
    return Error("the Client was closed while this call was running")


def closed_before_its_end() -> Error:
    """The error of reading a stream that was closed before its end."""
    return Error("this stream was closed before its end: make a new request to read again")


class Shape(Protocol[T]):
    """What a `Reader` makes of each list it reads, in the consumer's thread (the
    OpenAI-shaped chunks of a list of events: `eventide.client.Chunker`)."""

    def slices(self, items: list[Any], /) -> Iterator[list[T]]:
        """The items for one list read, made a few at a time as the lists are asked for
        (new lists, none empty)."""

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


def _lists(items: list[Any], /) -> int:
    return 1


def _items(items: list[Any], /) -> int:
    return len(items) or 1


_Item = tuple[bool, Any]  # (True, a list of items) or (False, the failure or None: the end)

_OPEN, _ENDED, _CLOSED = "open", "ended", "closed"


@final
class _Pump(Generic[T]):
    """The loop's side of a `Reader`: the task that reads ahead. It holds no reference to
    the `Reader`, so that a `Reader` nobody iterates any more is collected (and stops it)."""

    __slots__ = (
        "_aclose",
        "_open",
        "_receive",
        "_room",
        "_wake",
        "_weigh",
        "accepted",
        "batches",
        "finished",
        "opened",
        "scope",
    )

    def __init__(
        self,
        receive: Callable[[], Awaitable[list[T]]],
        aclose: Callable[[], Awaitable[None]],
        ahead: int,
        weigh: Callable[[list[T]], int],
        open_first: Callable[[], Awaitable[None]] | None,
    ) -> None:
        self._receive = receive
        self._aclose = aclose
        self._open = open_first
        self._room = ahead  # what the task may still read ahead, in `weigh`'s units
        self._wake: trio.Event | None = None  # set when `release` makes room
        self._weigh = weigh
        self.batches: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.scope = trio.CancelScope()
        self.finished = threading.Event()
        self.opened = threading.Event()  # set once `open_first` returned, or at the end
        self.accepted = False  # whether `open_first` returned

    def end(self, failure: Exception | None) -> None:
        """End the consumer's side: it gets `failure`, or the end of the stream (None)."""
        self.batches.put((False, failure))
        self.finished.set()
        self.opened.set()

    def refuse(self) -> None:
        """The loop is stopping: the task will not run."""
        self.end(closed_during_call())

    def release(self, count: int) -> None:
        """Let the task read `count` more (in `weigh`'s units) ahead (on the loop)."""
        self._room += count
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Read lists into `batches` until the end; close the stream, whatever happens."""
        failure: Exception | None = None
        put, receive, weigh = self.batches.put, self._receive, self._weigh
        try:
            with self.scope:
                if self._open is not None:
                    await self._open()
                    self.accepted = True
                    self.opened.set()
                while True:
                    while self._room <= 0:  # with room, no checkpoint: `receive` has one
                        self._wake = trio.Event()
                        await self._wake.wait()
                        self._wake = None
                    batch = await receive()
                    self._room -= weigh(batch)
                    put((True, batch))
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

    The task starts at once (with `open_first`, it awaits that first: `wait_open` waits
    for it in the consumer's thread), reads up to `ahead` lists (with `by_items`: up to `ahead` of
    their items, a list counting one at least) ahead into a queue, and closes the stream
    (`aclose`) when it ends, fails or is cancelled. Room for more reads goes back to it in
    groups, so the loop is woken once per half of `ahead`. With a `shape`, each list is
    made into the items handed out in the consumer's thread (objects made and dropped by
    one thread stay in its CPU's cache), a few at a time (`Shape.slices`), and a list
    handed out is emptied when the next is asked for: a read's items do not all live at
    once, and the garbage collector is set off less often. Collected unfinished,
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
        "_slices",
        "_taken",
        "_weigh",
        "state",
    )

    def __init__(
        self,
        loop: Loop,
        receive: Callable[[], Awaitable[list[Any]]],
        aclose: Callable[[], Awaitable[None]],
        *,
        ahead: int = READ_AHEAD,
        by_items: bool = False,
        owner: object = None,
        shape: Shape[T] | None = None,
        open_first: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._loop = loop
        self._owner = owner
        self._shape = shape
        self._weigh = weigh = _items if by_items else _lists
        self._pump = pump = _Pump(receive, aclose, ahead, weigh, open_first)
        self._handback = max(ahead // 2, 1)
        self._taken = 0
        self._batch: list[T] = []
        self._slices: Iterator[list[T]] | None = None  # the rest of a read, with a shape
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
        """The next list of items (never empty), waiting for it if need be; the list
        returned before is emptied.

        Raises:
            StopIteration: The stream has ended.
            Error: What ended the stream (the client was closed, say), once; or the stream
                was closed by `close()` before its end.
            BaseException: What was raised in this thread while it waited or made the
                items (an interrupt, wherever it lands); the stream has been closed first,
                and reading on raises `Error`, as after `close()`.
        """
        self._batch.clear()  # handed out: its items go before more are made
        try:
            return self._read()
        except BaseException:
            if self.state == _OPEN:  # raised in this thread (an interrupt), not the stream's
                self.close()
            raise

    def _read(self) -> list[T]:
        pump = self._pump
        while self.state == _OPEN:
            if self._slices is not None:
                batch = next(self._slices, None)
                if batch is not None:
                    self._batch = batch
                    return batch
                self._slices = None
            more, got = pump.batches.get()
            if not more:
                self._loop.streams.discard(pump.end)
                if got is not None:
                    self._ended()
                    raise got
                last = None if self._shape is None else self._shape.end()
                self._ended()
                if last is None:
                    break
                self._batch = batch = [last]
                return batch
            self._taken = taken = self._taken + self._weigh(got)
            if taken >= self._handback:
                self._taken = 0
                self._loop.soon(functools.partial(pump.release, taken))
            if self._shape is not None:
                self._slices = self._shape.slices(got)
            elif got:
                own: list[T] = got.copy()  # emptied on close()
                self._batch = own
                return own
        if self.state == _CLOSED:
            raise closed_before_its_end()
        raise StopIteration

    def wait_open(self) -> None:
        """Wait until the task's `open_first` has returned (the provider accepted the
        request), in this thread; no other hand-over: the task goes on reading ahead.

        Raises:
            Error: What `open_first` raised (the request was refused: its typed error;
                the connection is closed), or what ended the stream before.
            BaseException: What was raised in this thread while it waited (an interrupt);
                the stream has been closed first.
        """
        pump = self._pump
        try:
            pump.opened.wait()
        except BaseException:
            self.close()
            raise
        if not pump.accepted:
            next(self)  # raises what ended the stream

    def _ended(self) -> None:
        if self.state == _OPEN:
            self.state = _ENDED

    def close(self) -> None:
        """Drop what was read ahead, stop the task and wait until the stream is closed."""
        if self.state == _OPEN:
            self.state = _CLOSED
        self._slices = None
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
            raise closed_before_its_end()
        return self._items

    def __next__(self) -> T:
        try:
            return next(self._items)
        except StopIteration:
            if self._reader.state == _CLOSED:
                raise closed_before_its_end() from None
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
