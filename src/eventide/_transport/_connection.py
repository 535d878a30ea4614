"""The connections of `FastTransport`: opening one (TCP, then TLS), reading and writing it in
eventide's errors, and telling whether an idle one may be reused.

A plain TCP connection, to an address or to a host name, is a bare non-blocking
`socket.socket`, read and written with the running event loop's own primitives (`_Trio`,
`_Asyncio`; the loop is found once per connection, for its connect, TLS handshake, reads
and writes): no stream object, resource guards or
anyio cancel scope per connection or per read. Those were an eighth of a waiting stream's
Python memory; and of a short stream's five task steps three are gone: the write's and the
close's (neither yields when it completes at once) and the connect's where it completes at
once, as on loopback. A name is resolved, and
its addresses tried as RFC 8305 says (happy eyeballs: no task group for a single address). A
TLS connection is that socket with a TLS session in memory (`_sockio.Session`: OpenSSL does
the record layer on bytes read plainly), its handshake driven on the same primitives within
the connect budget, read and written as a plain one: a read that cannot complete (no whole
record yet) waits for the socket, bounded. The reads and writes that never wait are
`_sockio`'s; the waiting, the budgets and the errors are this module's.

Every way a connection can fail becomes a `TransportError` here (a `StreamTimeout` for a
budget): refused, unreachable, reset or closed during the TLS handshake (in the words
anyio's TLS stream gave it), a certificate that
does not verify, a group of failed attempts from happy eyeballs (a single one unwrapped). An
idle connection is checked with poll(2), which takes any descriptor number, where select(2)
refuses those of 1024 and above (httpcore checks the same way).
"""

from __future__ import annotations

import asyncio
import errno
import functools
import ipaddress
import itertools
import math
import os
import socket
import ssl
from typing import TYPE_CHECKING, Any, Final, final

import anyio
import anyio.abc
import anyio.lowlevel
import trio

from .._errors import StreamTimeout, TimeoutPhase, TransportError
from ._asyncio_reads import Reads
from ._deadlines import ReadDeadlines, ReadExpired
from ._sockio import (
    POLLIN,
    POLLOUT,
    READ_SIZE,
    Session,
    is_ready,
    tls_eof,
    try_recv,
    try_send,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    _Wait = Callable[[socket.socket, int], Awaitable[None]]

__all__ = [
    "READ_BUDGET",
    "READ_COST",
    "READ_SIZE",
    "Connection",
    "Origin",
    "Permit",
    "bounded",
    "connect",
]

READ_BUDGET: Final = READ_SIZE
"""How much reads that complete at once cost between two schedule points (`Connection.spend`)."""
READ_COST: Final = READ_BUDGET // 16
"""What such a read costs on top of its bytes: the budget lasts 16 reads at most."""
Origin = tuple[str, str, int]
"""Scheme, host (an IDNA-encoded name or an address) and port."""
_CONNECT_ERRORS: Final = (OSError, anyio.BrokenResourceError, anyio.EndOfStream)
_SOCKET_ERRORS: Final = (OSError, trio.ClosedResourceError, anyio.ClosedResourceError)


async def bounded(seconds: float, phase: TimeoutPhase, what: str, step: Awaitable[Any]) -> Any:
    """Await `step` within `seconds` (inf: no bound), else raise `StreamTimeout`.

    The running loop's own timeout: a trio cancel scope under trio (anyio's wraps one),
    `asyncio.timeout` under asyncio."""
    if not trio.lowlevel.in_trio_run():
        return await _asyncio_bounded(seconds, phase, what, step)
    with trio.move_on_after(seconds):
        return await step
    raise _timed_out(seconds, phase, what)


async def _asyncio_bounded(
    seconds: float, phase: TimeoutPhase, what: str, step: Awaitable[Any]
) -> Any:
    """`bounded` under asyncio: `asyncio.timeout`."""
    if seconds == math.inf:
        return await step
    try:
        async with asyncio.timeout(seconds) as budget:
            return await step
    except TimeoutError:
        if not budget.expired():
            raise  # the step's own (a socket's ETIMEDOUT)
    raise _timed_out(seconds, phase, what)


def _timed_out(seconds: float, phase: TimeoutPhase, what: str) -> StreamTimeout:
    return StreamTimeout(f"{phase} timeout ({what} timed out after {seconds} s)", phase=phase)


async def _receive_waiting(
    wait: _Wait, sock: socket.socket, tls: Session | None, event: int
) -> bytes:
    """The next bytes of a socket whose read has to wait for `event` first."""
    while True:
        await wait(sock, event)
        data, event = try_recv(sock, tls)
        if not event:
            return data


async def _send_waiting(wait: _Wait, sock: socket.socket, rest: memoryview, event: int) -> None:
    """Write `rest` to a socket that has to wait for `event` (0: writable) first."""
    while rest:
        await wait(sock, event or POLLOUT)
        sent, event = try_send(sock, rest)
        rest = rest[sent:]


@final
class _Trio:
    """A socket (plain or TLS) under trio: a read checks for cancellation first, always;
    one that can complete does, and is a schedule point when its connection's budget is
    spent (`Connection.spend`: so a stream whose server runs ahead never starves the
    others); a write that can complete does, after a cancellation check only (the read of
    the response that follows it is the schedule point). One that cannot waits for the
    socket, its timeout kept by the run's `ReadDeadlines` (a write's, rarer, by a cancel
    scope). Nothing else is made per call: a waiting read holds this frame, a dict entry
    and trio's wait."""

    @staticmethod
    async def wait(sock: socket.socket, event: int) -> None:
        """Wait until `sock` is readable (`POLLIN`) or writable."""
        if event == POLLIN:
            await trio.lowlevel.wait_readable(sock)
        else:
            await trio.lowlevel.wait_writable(sock)

    @staticmethod
    async def receive(connection: Connection, timeout: float) -> bytes:
        await trio.lowlevel.checkpoint_if_cancelled()
        sock = connection.sock
        data, event = try_recv(sock, connection._tls)
        if not event:
            if connection.spend(data):
                await trio.lowlevel.cancel_shielded_checkpoint()
            return data
        connection.spent = 0  # waiting is a schedule point
        if timeout == math.inf:
            return await _receive_waiting(_Trio.wait, sock, connection._tls, event)
        deadlines = ReadDeadlines.of_this_run()  # no cancel scope per waiting read
        deadlines.watch(sock, trio.current_time() + timeout)
        bounded_wait = functools.partial(deadlines.wait, _Trio.wait)
        try:
            return await _receive_waiting(bounded_wait, sock, connection._tls, event)
        except ReadExpired:
            raise _timed_out(timeout, "read", "read") from None
        finally:
            deadlines.forget(sock)

    @staticmethod
    async def send(sock: socket.socket, data: bytes, timeout: float) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        sent, event = try_send(sock, data)
        if sent == len(data):
            return
        with trio.move_on_after(timeout):
            return await _send_waiting(_Trio.wait, sock, memoryview(data)[sent:], event)
        raise _timed_out(timeout, "write", "write")

    @staticmethod
    def notify_closing(sock: socket.socket) -> None:
        trio.lowlevel.notify_closing(sock)  # a task waiting on it gets ClosedResourceError


@final
class _Asyncio:
    """A socket (plain or TLS) under asyncio, as under trio (`_Trio`): a read that can
    complete does, and yields once when its connection's budget is spent; a write that can
    does not yield. A read that cannot waits on the connection's reader callback, which
    stays registered on the loop's selector until the connection closes, bounded by one
    timer handle per loop (`_asyncio_reads.Reads`; on a loop without reader callbacks, as `wait`
    and a write that cannot complete do: on anyio's wait, bounded by `asyncio.timeout`).
    asyncio has no cancellation to check for without yielding: a task's cancellation (its
    timeout's, or an anyio scope's, delivered by a loop callback) is met where it yields,
    so within one budget of reads that complete at once."""

    @staticmethod
    async def wait(sock: socket.socket, event: int, reads: Reads | None = None) -> None:
        """Wait until `sock` is readable (`POLLIN`) or writable: on its connection's
        `reads`, if given; else anyio's wait, which watches the descriptor on the loop's
        selector (or, on a loop without one, as the proactor on Windows, on a selector
        thread of its own), and which `close` wakes with `anyio.ClosedResourceError` (the
        loop's `sock_recv` refuses a TLS socket)."""
        if reads is not None:
            await reads.wait(sock, event)
        elif event == POLLIN:
            await anyio.wait_readable(sock)
        else:
            await anyio.wait_writable(sock)

    @staticmethod
    async def receive(connection: Connection, timeout: float) -> bytes:
        sock = connection.sock
        data, event = try_recv(sock, connection._tls)
        if not event:
            if connection.spend(data):
                await asyncio.sleep(0)
            return data
        connection.spent = 0  # waiting is a schedule point
        reads = connection._reads
        if reads is None or not reads.current():
            if reads is not None:
                reads.close()  # off the selector of the loop it was read on before
            reads = connection._reads = Reads(sock)
        if not reads.supported:  # the proactor: anyio's wait, `asyncio.timeout`
            waiting = _receive_waiting(_Asyncio.wait, sock, connection._tls, event)
            received: bytes = await _asyncio_bounded(timeout, "read", "read", waiting)
            return received
        if reads.busy():  # as anyio's wait says it
            raise anyio.BusyResourceError("reading from")
        reads.bound(timeout)
        bounded_wait = functools.partial(_Asyncio.wait, reads=reads)
        try:
            return await _receive_waiting(bounded_wait, sock, connection._tls, event)
        except ReadExpired:
            raise _timed_out(timeout, "read", "read") from None
        finally:
            reads.unbound()

    @staticmethod
    async def send(sock: socket.socket, data: bytes, timeout: float) -> None:
        sent, event = try_send(sock, data)
        if sent < len(data):
            waiting = _send_waiting(_Asyncio.wait, sock, memoryview(data)[sent:], event)
            await _asyncio_bounded(timeout, "write", "write", waiting)

    @staticmethod
    def notify_closing(sock: socket.socket) -> None:
        anyio.notify_closing(sock)  # a task waiting on it gets ClosedResourceError


@final
class Permit:
    """One connection's place under a per-origin limit."""

    __slots__ = ("_limiter",)

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self._limiter: anyio.CapacityLimiter | None = limiter

    def release(self) -> None:
        limiter, self._limiter = self._limiter, None
        if limiter is not None:
            limiter.release_on_behalf_of(self)


@final
class Connection:
    """One HTTP/1.1 connection: a connected non-blocking socket (with a TLS session over
    it, for https), read and written with the primitives of the loop it was made in (a
    trio run or an asyncio loop: `made_here`), and whether it has served a response before.

    Args:
        sock: The socket.
        origin: Where it goes.
        permit: Its place under a per-origin limit, if any.
        tls: Its TLS session (made by `connect`), if any.
        native: The running loop's primitives, if known (`connect` finds them once for
            the connect, the TLS handshake and the connection); else found here.

    Attributes:
        sock: The socket.
        spent: What reads that completed at once have cost since the last schedule point.

    A read or write that can complete at once does, with no timeout scope; only one that
    has to wait is bounded.
    """

    __slots__ = (
        "_native",
        "_reads",
        "_run",
        "_tls",
        "closed",
        "origin",
        "permit",
        "released_at",
        "reused",
        "sock",
        "spent",
    )

    def __init__(
        self,
        sock: socket.socket,
        origin: Origin,
        permit: Permit | None = None,
        *,
        tls: Session | None = None,
        native: _Native | None = None,
    ) -> None:
        self.sock = sock
        self._native = native or _native()
        self._run = _current_run()
        self._tls = tls
        self._reads: Reads | None = None  # under asyncio, made by the first read that waits
        self.origin = origin
        self.permit = permit
        self.released_at = 0.0
        self.reused = False
        self.closed = False
        self.spent = 0  # of the read budget, since the last schedule point (`spend`)

    def made_here(self) -> bool:
        """Whether the running trio run or asyncio loop is the one it was made in: only there
        can it be read and written (its primitives are that loop's), and its idle time be
        measured (a trio run's clock has an offset of its own). A pool shared by several
        (the sync `Client`'s trio thread and an asyncio application) must not reuse it
        elsewhere."""
        return self._run is _current_run()

    def stale(self) -> bool:
        """Whether an idle connection is unusable: the server has closed it (or written to
        it, which no idle HTTP/1.1 connection may see). Never raises."""
        sock, tls = self.sock, self._tls
        if tls is not None and (tls.eof or tls.incoming.pending or tls.failure):
            return True  # what the server sent after the response is already read
        try:
            return sock.fileno() < 0 or is_ready(sock, POLLIN)
        except (OSError, ValueError):
            return True

    def spend(self, data: bytes) -> bool:
        """Count a read that completed at once against the connection's budget; True when
        it is spent, and the read must be a schedule point (the budget starts again).

        A read costs its bytes plus `READ_COST`, and the budget is `READ_BUDGET`: a full read
        is a schedule point, as every read was; small reads, which a stream makes when its
        reader and its server take turns on the CPU, are one every 16 at most, so that their
        fixed cost (trio's schedule point is a turn of its run loop, about 3.5 µs) is paid
        once for about `READ_BUDGET` bytes, however the reads were cut (tokio's cooperative
        budget does the same, per task). The bytes read between two schedule points, and so
        the consumer's work on them while other tasks wait, are bounded as with one full read.
        """
        spent = self.spent + len(data) + READ_COST
        if spent >= READ_BUDGET:
            self.spent = 0
            return True
        self.spent = spent
        return False

    async def aclose(self) -> None:
        """Close the connection and give its permit back (once; later calls do nothing).

        A task of the loop it was made in that waits on it is woken; elsewhere (an idle
        connection of another run) the socket is closed plainly. The socket is closed and
        the permit given back whatever the waking raises.

        Cancellation:
            Closing completes when cancelled: the socket is closed at once.
        """
        if not self.closed:
            self.closed = True
            try:
                if self._reads is not None:
                    self._reads.close()  # off the selector before the descriptor is free
                if self.made_here():
                    self._native.notify_closing(self.sock)
            finally:
                self.sock.close()
                if self.permit is not None:
                    self.permit.release()

    async def receive(self, timeout: float) -> bytes:
        """The next bytes; b"" when the server has closed its side."""
        try:
            return await self._native.receive(self, timeout)
        except _SOCKET_ERRORS as exc:
            raise TransportError(f"connection lost while reading: {_broke(exc)}") from exc

    async def send(self, data: bytes, timeout: float) -> None:
        """Write all of `data`."""
        try:
            if self._tls is not None:
                data = self._tls.encrypt(data)
            await self._native.send(self.sock, data, timeout)
        except _SOCKET_ERRORS as exc:
            raise TransportError(f"connection lost while writing: {_broke(exc)}") from exc


_Native = type[_Trio | _Asyncio]


def _native() -> _Native:
    """The running loop's primitives."""
    return _Trio if trio.lowlevel.in_trio_run() else _Asyncio


def _current_run() -> object:
    """The running trio run (its token) or asyncio loop; None outside both."""
    if trio.lowlevel.in_trio_run():
        return trio.lowlevel.current_trio_token()
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # no loop: a connection made by hand
        return None


async def connect(origin: Origin, timeout: float, ssl_context: ssl.SSLContext | None) -> Connection:
    """Open a connection to `origin` (TLS with `ssl_context` for https).

    Raises:
        TransportError: The connection or the TLS handshake failed.
        StreamTimeout: The connect budget ran out.
    """
    _, host, port = origin
    native = _native()
    try:
        sock, tls = await bounded(
            timeout, "connect", "connect", _open(host, port, ssl_context, native.wait)
        )
    except _CONNECT_ERRORS as exc:
        raise TransportError(f"cannot connect to {host}:{port}: {_why(exc)}") from exc
    except ExceptionGroup as group:  # happy eyeballs: one error per failed attempt
        leaves = _leaves(group)
        if not all(isinstance(leaf, _CONNECT_ERRORS) for leaf in leaves):
            raise
        reasons = "; ".join(_why(leaf) for leaf in leaves)
        cause = leaves[0] if len(leaves) == 1 else group
        raise TransportError(f"cannot connect to {host}:{port}: {reasons}") from cause
    return Connection(sock, origin, tls=tls, native=native)


async def _open(
    host: str, port: int, ssl_context: ssl.SSLContext | None, wait: _Wait
) -> tuple[socket.socket, Session | None]:
    """A plain socket to `host` (an address, or a name resolved and its addresses tried);
    for https, with a TLS session over it, its handshake done."""
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a name: resolve it, then try its addresses
        sock = await _connect_name(host, port)
    else:  # an address: one plain connect, without a task group for a single candidate
        sock = await _connect_address(family, (host, port))
    if ssl_context is None:
        return sock, None
    tls: Session | None = None
    try:
        tls = Session(ssl_context, host)
        await _handshake(sock, tls, wait)
    except BaseException as exc:  # a failed handshake still owns a connected socket
        if tls is not None:
            tls.answer(sock)  # its alert, if OpenSSL wrote one (a certificate refused)
        sock.close()
        if isinstance(exc, ssl.SSLError) and tls_eof(exc):
            raise anyio.EndOfStream from exc  # the server closed during the handshake
        reset = isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError)
        if reset or isinstance(exc, ssl.SSLSyscallError):  # as anyio's TLS stream says it
            raise anyio.BrokenResourceError from exc
        raise
    return sock, tls


async def _handshake(sock: socket.socket, tls: Session, wait: _Wait) -> None:
    """Do the TLS handshake of `tls` over a non-blocking socket, waiting with `wait`."""
    while True:
        try:
            tls.tls.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        flight = tls.encrypt(b"")
        sent, event = try_send(sock, flight)
        if sent < len(flight):
            await _send_waiting(wait, sock, memoryview(flight)[sent:], event)
        if done:
            return
        while not tls._fill(sock):
            await wait(sock, POLLIN)


_ATTEMPT_DELAY: Final = 0.25
"""Seconds between the starts of two connection attempts (RFC 8305 section 5)."""
_Candidate = tuple[int, tuple[Any, ...]]
"""An address family and a socket address of that family."""


async def _connect_name(host: str, port: int) -> socket.socket:
    """A plain socket to the first of `host`'s addresses that accepts: one address is one
    plain connect; several are tried as RFC 8305 says (`_happy_eyeballs`)."""
    found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    candidates = _interleaved([(family, address) for family, _, _, _, address in found])
    if len(candidates) == 1:
        return await _connect_address(*candidates[0])
    return await _happy_eyeballs(candidates, _ATTEMPT_DELAY)


def _interleaved(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    """The resolver's addresses without repeats, their families alternating, the first
    family first (RFC 8305 section 4); each family's addresses in the resolver's order."""
    unique = list(dict.fromkeys(candidates))
    first = [candidate for candidate in unique if candidate[0] == unique[0][0]]
    other = [candidate for candidate in unique if candidate[0] != unique[0][0]]
    pairs = itertools.zip_longest(first, other)
    return [candidate for pair in pairs for candidate in pair if candidate is not None]


async def _happy_eyeballs(candidates: list[_Candidate], delay: float) -> socket.socket:
    """The first of `candidates` to connect: each attempt starts `delay` seconds after the
    previous one started, or as soon as it failed; the first to connect wins and the others
    are cancelled, their sockets closed.

    Raises:
        ExceptionGroup: Every attempt failed, one `OSError` each, in the order tried.
    """
    won: list[socket.socket] = []
    failures: dict[int, OSError] = {}

    async def attempt(index: int, candidate: _Candidate, failed: anyio.Event) -> None:
        try:
            sock = await _connect_address(*candidate)
        except OSError as exc:
            failures[index] = exc
            failed.set()
            return
        won.append(sock)
        attempts.cancel_scope.cancel()

    try:
        async with anyio.create_task_group() as attempts:
            for index, candidate in enumerate(candidates):
                failed = anyio.Event()
                attempts.start_soon(attempt, index, candidate, failed)
                with anyio.move_on_after(delay):
                    await failed.wait()
    except BaseException:
        for sock in won:
            sock.close()
        raise
    for sock in won[1:]:  # connected in the same moment as the winner
        sock.close()
    if not won:
        raise ExceptionGroup("every attempt failed", [failures[i] for i in sorted(failures)])
    return won[0]


async def _connect_address(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A non-blocking plain socket of `family` connected to `address`."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if sock.connect_ex(address) not in (0, errno.EINPROGRESS):
            sock.connect(address)  # raises the OSError that says why
        if is_ready(sock, POLLOUT):  # connected (or refused) at once, as on loopback
            await anyio.lowlevel.checkpoint_if_cancelled()
        else:
            await anyio.wait_writable(sock)
        failure = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if failure:
            raise OSError(failure, os.strerror(failure))
    except BaseException:
        sock.close()
        raise
    return sock


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        leaves.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return leaves


def _broke(exc: BaseException) -> str:
    """What went wrong with a plain socket, in the words anyio's streams give it."""
    closed = (trio.ClosedResourceError, anyio.ClosedResourceError)
    if isinstance(exc, closed) or getattr(exc, "errno", None) == errno.EBADF:
        return "the connection was already closed"
    return f"the connection broke ({_why(exc)})"


def _why(exc: BaseException) -> str:
    """What went wrong, in words: anyio's stream errors say nothing by themselves."""
    if isinstance(exc, anyio.EndOfStream):
        return "the server closed the connection during the TLS handshake"
    if isinstance(exc, anyio.BrokenResourceError):
        cause = exc.__cause__
        return f"the connection broke ({_why(cause) if cause is not None else 'no reason given'})"
    if isinstance(exc, anyio.ClosedResourceError):
        return "the connection was already closed"
    return str(exc) or type(exc).__name__
