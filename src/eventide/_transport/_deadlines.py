"""Read timeouts under trio without a cancel scope per waiting read.

A read that has to wait for its socket is bounded by its connection's read timeout. A trio
cancel scope per such read costs about 6 µs (more, cold, when every read waits: a stream
whose server sends one token at a time), on top of the wait itself. Here each trio run has
one `ReadDeadlines`: a waiting read puts its socket and deadline in a dict, and one system
task sleeps until the earliest deadline, then wakes every read whose deadline has passed
with `trio.lowlevel.notify_closing` (its wait raises `trio.ClosedResourceError`, which
`ReadDeadlines.wait` turns into `ReadExpired`, and the read into its timeout). Reads with
the same timeout register deadlines in the order they expire, so a waiting read costs a
clock read, a dict entry and a comparison; the task wakes only when a deadline passes, and
then looks at each waiting socket once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, final

import trio

if TYPE_CHECKING:
    import socket
    from collections.abc import Awaitable, Callable

__all__ = ["ReadDeadlines", "ReadExpired"]


class ReadExpired(Exception):
    """The timeout of the read that waits ran out (under trio `ReadDeadlines`, under asyncio
    `_asyncio_reads.Reads`): the read turns it into its `StreamTimeout`."""


_RUN: Final[trio.lowlevel.RunVar[ReadDeadlines]] = trio.lowlevel.RunVar("eventide_read_deadlines")


@final
class ReadDeadlines:
    """The deadlines of one trio run's waiting reads, and the task that enforces them.

    Attributes:
        expired: The sockets whose read was woken for its deadline, until `forget`.
    """

    __slots__ = ("_next", "_scope", "_waiting", "expired")

    def __init__(self) -> None:
        self._waiting: dict[socket.socket, float] = {}
        self.expired: set[socket.socket] = set()
        self._next = math.inf  # when the task wakes next
        self._scope = trio.CancelScope()

    @classmethod
    def of_this_run(cls) -> ReadDeadlines:
        """The running trio run's (made, and its task started, on first use)."""
        try:
            return _RUN.get()
        except LookupError:
            deadlines = cls()
            _RUN.set(deadlines)
            trio.lowlevel.spawn_system_task(deadlines._enforce, name="eventide read timeouts")
            return deadlines

    def watch(self, sock: socket.socket, deadline: float) -> None:
        """Wake the read that is about to wait on `sock` at `deadline` (trio's clock).

        Raises:
            trio.BusyResourceError: Another task's read is waiting on `sock` (as trio's
                wait would say; its deadline is left as it was).
        """
        if sock in self._waiting:
            raise trio.BusyResourceError("another task is already reading this socket")
        self._waiting[sock] = deadline
        self.expired.discard(sock)
        if deadline < self._next:
            self._next = self._scope.deadline = deadline

    async def wait(
        self, wait: Callable[[socket.socket, int], Awaitable[None]], sock: socket.socket, event: int
    ) -> None:
        """`wait(sock, event)` for a read `watch` bounds.

        Raises:
            ReadExpired: Its deadline has passed; checked before the wait too, since a wait
                woken by data in the tick its deadline passed is not woken again (behind
                TLS that data may not yet be a whole record, and the read waits again).
        """
        if sock in self.expired:
            raise ReadExpired
        try:
            await wait(sock, event)
        except trio.ClosedResourceError:
            if sock in self.expired:
                raise ReadExpired from None
            raise

    def forget(self, sock: socket.socket) -> None:
        """The read on `sock` is over (whatever ended it)."""
        self._waiting.pop(sock, None)
        self.expired.discard(sock)

    async def _enforce(self) -> None:
        while True:
            self._scope = scope = trio.CancelScope(deadline=self._next)
            with scope:
                await trio.sleep_forever()
            now = trio.current_time()
            due = [sock for sock, deadline in self._waiting.items() if deadline <= now]
            for sock in due:
                del self._waiting[sock]
                self.expired.add(sock)
                if sock.fileno() >= 0:  # else closed, and its read woken, by its owner
                    trio.lowlevel.notify_closing(sock)
            self._next = min(self._waiting.values(), default=math.inf)
