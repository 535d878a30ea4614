"""Waiting reads under asyncio with the loop's reader callback registered once per
connection, as asyncio's own selector transports keep theirs, and a timer handle for the
read timeout.

anyio's `wait_readable` adds the socket to the loop's selector and removes it again for
every read that waits (two epoll_ctl system calls, and anyio's machinery around them), and
`asyncio.timeout` costs a context manager and a task uncancel per wait: about three times a
plain reader callback's cost when every read waits (a server that sends one token at a
time). Here a connection's first waiting read registers its callback, which stays until
the connection closes; a wait is a future the callback completes, bounded by one
`loop.call_at` per read.

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
from typing import TYPE_CHECKING, Final, final

import anyio

from ._sockio import POLLIN

if TYPE_CHECKING:
    import socket

__all__ = ["ReadExpired", "Reads"]


class ReadExpired(Exception):
    """The read timeout of the read that waits ran out (`Reads.bound`)."""


@final
class Reads:
    """The waits of one connection's reads (and of a TLS read's write) under asyncio.

    Args:
        sock: The connection's socket.

    Attributes:
        supported: Whether the loop has reader callbacks; else nothing is registered, and
            the caller waits as it did.
    """

    __slots__ = ("_expired", "_fd", "_loop", "_skip", "_waiter", "_watching", "supported")

    def __init__(self, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
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

    def bound(self, timeout: float) -> asyncio.TimerHandle | None:
        """Bound the waits of the read that starts now by `timeout` seconds (inf: no bound);
        the caller cancels the handle when the read is over."""
        self._expired = False
        if timeout == _UNBOUNDED:
            return None
        return self._loop.call_at(self._loop.time() + timeout, self._expire)

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


_UNBOUNDED: Final = float("inf")
