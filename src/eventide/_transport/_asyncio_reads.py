"""Waiting reads under asyncio with the loop's reader callback registered once per
connection, as asyncio's own selector transports keep theirs, and a timer handle for the
read timeout.

anyio's `wait_readable` adds the socket to the loop's selector and removes it again for
every read that waits (two epoll_ctl system calls, and anyio's machinery around them), and
`asyncio.timeout` costs a context manager, a timer handle and a task uncancel per wait:
about three times a plain reader callback's cost when every read waits (a server that
sends one token at a time). Here a connection's first waiting read registers its
callback, which stays until the connection closes; a wait is a future the callback
completes, its read's timeout kept by one timer handle per loop (`_Deadlines`).

The selector is level-triggered: the callback that completed a wait is reported once more
by the next turn of the loop, before the woken read has run and taken the bytes, and then
it would wake the next wait for nothing. So the turn after a wake-up is skipped; were the
readiness real, the selector reports it again on the turn after (nothing is ever read
here, only waited for: the read that wakes reads the socket itself, as before). A callback
with no read waiting (the consumer is busy, and the server writes on) takes the socket off
the selector: the next wait puts it back. On a loop without reader callbacks (the proactor,
on Windows) `Reads.supported` is False and the caller waits as before.
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from typing import TYPE_CHECKING, Final, final

import anyio

from ._deadlines import ReadExpired
from ._sockio import POLLIN

if TYPE_CHECKING:
    import socket

__all__ = ["Reads"]


@final
class Reads:
    """The waits of one connection's reads (and of a TLS read's write) under asyncio.

    Args:
        sock: The connection's socket.

    Attributes:
        supported: Whether the loop has reader callbacks; else nothing is registered, and
            the caller waits as it did.
    """

    __slots__ = (
        "_deadlines",
        "_expired",
        "_fd",
        "_loop",
        "_skip",
        "_waiter",
        "_watching",
        "supported",
    )

    def __init__(self, sock: socket.socket) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._deadlines = _Deadlines.of(loop)
        self._fd = sock.fileno()
        self._waiter: asyncio.Future[None] | None = None
        self._skip = False  # the turn after a wake-up reports the same readiness again
        self._expired = False
        self._watching = False
        self.supported = True
        try:
            self._watch()
        except NotImplementedError:  # the proactor
            self.supported = False

    def current(self) -> bool:
        """Whether this is the running loop's (a connection may outlive its loop, and be
        read on the next: its reads are then made again, on that loop)."""
        return self._loop is asyncio.get_running_loop()

    def busy(self) -> bool:
        """Whether a read is waiting (a second one is refused)."""
        return self._waiter is not None

    def bound(self, timeout: float) -> None:
        """Bound the waits of the read that starts now by `timeout` seconds (inf: no
        bound), until `unbound`."""
        self._expired = False
        if timeout != math.inf:
            self._deadlines.watch(self, self._loop.time() + timeout)

    def unbound(self) -> None:
        """The read is over (whatever ended it)."""
        self._deadlines.forget(self)

    async def wait(self, sock: socket.socket, event: int) -> None:
        """Wait until `sock` is readable (`POLLIN`) or writable.

        Raises:
            ReadExpired: The read's timeout (`bound`) ran out.
            anyio.ClosedResourceError: The connection was closed (`close`).
        """
        if self._expired:
            raise ReadExpired
        waiter = self._loop.create_future()
        if event == POLLIN:
            if not self._watching:
                self._watch()
        else:  # a TLS read's answer that the socket could not take yet: rare, one wait
            self._loop.add_writer(self._fd, self._wake)
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None
            if event != POLLIN:
                self._loop.remove_writer(self._fd)

    def close(self) -> None:
        """Take the socket off the selector before it is closed; a waiting read fails with
        `anyio.ClosedResourceError`, as anyio's wait does when the socket is closed."""
        if self._watching:
            self._watching = False
            self._loop.remove_reader(self._fd)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(anyio.ClosedResourceError())

    def _watch(self) -> None:
        self._loop.add_reader(self._fd, self._readable)
        self._watching = True
        self._skip = False

    def _readable(self) -> None:
        if self._skip:
            self._skip = False
            return
        waiter = self._waiter
        if waiter is None:  # nobody waits: no callback on every turn until somebody does
            self._watching = False
            self._loop.remove_reader(self._fd)
        elif not waiter.done():
            waiter.set_result(None)
            self._skip = True

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _expire(self) -> None:
        self._expired = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ReadExpired())


@final
class _Deadlines:
    """The deadlines of one loop's waiting reads, and the one timer handle that keeps
    them (as `_deadlines.ReadDeadlines` does for a trio run): a waiting read costs a clock
    read and a dict entry, where a timer handle of its own costs a heap push and pop of
    Python objects; reads with the same timeout register deadlines in the order they
    expire, so the handle moves only when a shorter one comes."""

    __slots__ = ("__weakref__", "_loop", "_next", "_timer", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: dict[Reads, float] = {}
        self._next = math.inf  # when the handle fires
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Deadlines:
        """`loop`'s (made on first use; kept while a connection's reads or the handle
        hold it, so that nothing here keeps a loop alive)."""
        deadlines = _OF_LOOP.get(id(loop))
        if deadlines is None or deadlines._loop is not loop:  # none, or a dead loop's
            deadlines = _OF_LOOP[id(loop)] = cls(loop)
        return deadlines

    def watch(self, reads: Reads, deadline: float) -> None:
        self._waiting[reads] = deadline
        if deadline < self._next:
            self._schedule(deadline)

    def forget(self, reads: Reads) -> None:
        self._waiting.pop(reads, None)

    def _schedule(self, deadline: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._next = deadline
        self._timer = None if deadline == math.inf else self._loop.call_at(deadline, self._enforce)

    def _enforce(self) -> None:
        now = self._loop.time() + _RESOLUTION  # a handle may run this much early
        due = [reads for reads, deadline in self._waiting.items() if deadline <= now]
        for reads in due:
            del self._waiting[reads]
            reads._expire()
        self._timer = None
        self._schedule(min(self._waiting.values(), default=math.inf))


_RESOLUTION: Final = time.get_clock_info("monotonic").resolution  # as asyncio's loop's
_OF_LOOP: Final[weakref.WeakValueDictionary[int, _Deadlines]] = weakref.WeakValueDictionary()
