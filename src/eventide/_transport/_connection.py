"""The connections of `FastTransport`: opening one (TCP, then TLS), reading and writing it in
eventide's errors, and telling whether an idle one may be reused.

Every way a connection can fail becomes a `TransportError` here (a `StreamTimeout` for a
budget): refused, unreachable, reset or closed during the TLS handshake, a certificate that
does not verify, a group of failed attempts from happy eyeballs (a single one unwrapped). An
idle connection is checked with poll(2), which takes any descriptor number, where select(2)
refuses those of 1024 and above (httpcore checks the same way).
"""

from __future__ import annotations

import errno
import ipaddress
import math
import os
import select
import socket
from typing import TYPE_CHECKING, Any, Final, final

import anyio
import anyio.abc
from anyio.streams.tls import TLSStream

from .._errors import StreamTimeout, TimeoutPhase, TransportError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Awaitable

__all__ = ["READ_SIZE", "Connection", "Origin", "Permit", "bounded", "connect"]

READ_SIZE: Final = 64 * 1024
Origin = tuple[str, str, int]
"""Scheme, host (an IDNA-encoded name or an address) and port."""
_CONNECT_ERRORS: Final = (OSError, anyio.BrokenResourceError, anyio.EndOfStream)


async def bounded(seconds: float, phase: TimeoutPhase, what: str, step: Awaitable[Any]) -> Any:
    """Await `step` within `seconds` (inf: no bound), else raise `StreamTimeout`."""
    if seconds == math.inf:
        return await step
    with anyio.move_on_after(seconds) as scope:
        return await step
    if scope.cancelled_caught:
        raise StreamTimeout(f"{phase} timeout ({what} timed out after {seconds} s)", phase=phase)
    raise AssertionError("unreachable")  # pragma: no cover


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
    """One HTTP/1.1 connection: a byte stream, and whether it has served a response before.

    A read that cannot block (a plain TCP socket with data or EOF waiting, as poll(2) says)
    skips its read-timeout cancel scope: the scope costs more than the read itself (about
    7 of 16 µs on a loaded core), and a stream whose server runs ahead reads that way.
    Behind TLS a readable socket may hold only part of a record, so every read there is
    bounded; and so is every read that has to wait.
    """

    __slots__ = ("_poll", "closed", "origin", "permit", "released_at", "reused", "stream")

    def __init__(
        self, stream: anyio.abc.ByteStream, origin: Origin, permit: Permit | None = None
    ) -> None:
        self.stream = stream
        self.origin = origin
        self.permit = permit
        self.released_at = 0.0
        self.reused = False
        self.closed = False
        self._poll: Any = None  # select.poll of a plain socket, made on the first read

    def stale(self) -> bool:
        """Whether an idle connection is unusable: the server has closed it (or written to
        it, which no idle HTTP/1.1 connection may see). Never raises."""
        sock = self.stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        try:
            return sock is None or sock.fileno() < 0 or _readable(sock)
        except (OSError, ValueError):
            return True

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                with anyio.CancelScope(shield=True):
                    await self.stream.aclose()
            finally:
                if self.permit is not None:
                    self.permit.release()

    async def receive(self, timeout: float) -> bytes:
        """The next bytes; b"" when the server has closed its side."""
        poll = self._poll
        if poll is None:
            poll = self._poll = _poller(self.stream)
        try:
            if poll and poll.poll(0):  # data or EOF waiting: the read cannot block
                data: bytes = await self.stream.receive(READ_SIZE)
            else:
                data = await bounded(timeout, "read", "read", self.stream.receive(READ_SIZE))
        except (anyio.EndOfStream, anyio.IncompleteRead):
            return b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise TransportError(f"connection lost while reading: {_why(exc)}") from exc
        return data

    async def send(self, data: bytes, timeout: float) -> None:
        try:
            await bounded(timeout, "write", "write", self.stream.send(data))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise TransportError(f"connection lost while writing: {_why(exc)}") from exc


def _poller(stream: anyio.abc.ByteStream) -> Any:
    """A poll(2) object watching `stream`'s socket for input, or False: none (TLS, where a
    readable socket may hold part of a record; no socket; no poll(2))."""
    if isinstance(stream, TLSStream) or not hasattr(select, "poll"):
        return False
    sock = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
    if sock is None:
        return False
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return poller


def _readable(sock: socket.socket) -> bool:
    """Whether a read would return at once (data or EOF). poll(2) where there is one; else
    (Windows) select(2), whose limit there is a count of sockets, not a descriptor number."""
    if not hasattr(select, "poll"):  # pragma: no cover - Windows
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


async def connect(origin: Origin, timeout: float, ssl_context: ssl.SSLContext | None) -> Connection:
    """Open a connection to `origin` (TLS with `ssl_context` for https).

    Raises:
        TransportError: The connection or the TLS handshake failed.
        StreamTimeout: The connect budget ran out.
    """
    _, host, port = origin
    try:
        stream: anyio.abc.ByteStream = await bounded(
            timeout, "connect", "connect", _open_stream(host, port, ssl_context)
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
    return Connection(stream, origin)


async def _open_stream(
    host: str, port: int, ssl_context: ssl.SSLContext | None
) -> anyio.abc.ByteStream:
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a name: resolve it, trying its addresses (happy eyeballs)
        stream: anyio.abc.ByteStream = await anyio.connect_tcp(host, port)
    else:  # an address: one plain connect, without a task group for a single candidate
        stream = await _connect_address(family, host, port)
    if ssl_context is None:
        return stream
    try:
        return await TLSStream.wrap(
            stream, hostname=host, ssl_context=ssl_context, standard_compatible=False
        )
    except BaseException:  # a failed handshake still owns a connected socket
        with anyio.CancelScope(shield=True):
            await stream.aclose()
        raise


async def _connect_address(family: int, host: str, port: int) -> anyio.abc.SocketStream:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if sock.connect_ex((host, port)) not in (0, errno.EINPROGRESS):
            sock.connect((host, port))  # raises the OSError that says why
        await anyio.wait_writable(sock)
        failure = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if failure:
            raise OSError(failure, os.strerror(failure))
        return await anyio.abc.SocketStream.from_socket(sock)
    except BaseException:
        sock.close()
        raise


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        leaves.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return leaves


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
