"""`FastTransport`: eventide's own HTTP/1.1 transport, built for many long streams.

Why: httpcore's pool rescans every connection for every waiting request whenever a request
starts or a connection closes (encode/httpcore#1035), which is quadratic in the number of
open connections; thousands of concurrent streams spend their time there. Here a connection
is found in O(1): each origin keeps a stack of idle connections, and a busy connection is
nobody's business but its stream's.

What it does: plain and TLS (verification on, the system's or certifi's certificates)
HTTP/1.1 on anyio sockets (so it runs under trio and asyncio); h11 writes the request and
parses the response head; `BodyDecoder` frames the body (chunked, Content-Length, or until
close) and hands it over one socket read at a time. A connection goes back to the pool only
after a complete, delimited body with nothing left over; an early close or any error closes
it. Connect, read, write and pool budgets come from the stream's `Timeouts`. It implements
`Transport` and raises eventide's errors; it does not import httpx.

What it leaves to the httpx adapter: proxies, HTTP/2, and any transport a caller brings.
"""

from __future__ import annotations

import errno
import ipaddress
import math
import os
import select
import socket
import ssl
from typing import TYPE_CHECKING, Any, Final, final
from urllib.parse import urlsplit

import anyio
import anyio.abc
import h11
from anyio.streams.tls import TLSStream

from .._errors import ProtocolError, StreamTimeout, TimeoutPhase, TransportError
from .._resource import AsyncResource
from ._base import TransportClosed
from ._h1 import BodyDecoder

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from .._timeouts import Timeouts
    from ._base import HTTPRequest

__all__ = ["FastResponse", "FastTransport", "tls_context"]

READ_SIZE: Final = 64 * 1024
Origin = tuple[str, str, int]
_FRAMING_HEADERS: Final = frozenset({"host", "content-length", "transfer-encoding"})


def tls_context(*, verify: bool = True) -> ssl.SSLContext:
    """The TLS context of a client, as httpx makes its default one: ``SSL_CERT_FILE`` or
    ``SSL_CERT_DIR`` when set, else certifi's certificates when certifi is installed, else
    the system's. ``verify=False`` turns verification off."""
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    try:
        import certifi  # optional: httpx brings it
    except ImportError:  # pragma: no cover
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _seconds(value: float | None) -> float:
    return math.inf if value is None else value


async def _bounded(seconds: float, phase: TimeoutPhase, what: str, step: Awaitable[Any]) -> Any:
    if seconds == math.inf:
        return await step
    with anyio.move_on_after(seconds) as scope:
        return await step
    if scope.cancelled_caught:
        raise StreamTimeout(f"{phase} timeout ({what} timed out after {seconds} s)", phase=phase)
    raise AssertionError("unreachable")  # pragma: no cover


def _broken(exc: ProtocolError) -> ProtocolError:
    return ProtocolError(f"broken HTTP response: {exc.message}", excerpt=exc.excerpt)


@final
class _Permit:
    """One connection's place under a per-origin limit."""

    __slots__ = ("_limiter",)

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self._limiter: anyio.CapacityLimiter | None = limiter

    def release(self) -> None:
        limiter, self._limiter = self._limiter, None
        if limiter is not None:
            limiter.release_on_behalf_of(self)


@final
class _Connection:
    """One HTTP/1.1 connection: a byte stream and whether it may be reused."""

    __slots__ = ("closed", "origin", "permit", "released_at", "stream")

    def __init__(
        self, stream: anyio.abc.ByteStream, origin: Origin, permit: _Permit | None = None
    ) -> None:
        self.stream = stream
        self.origin = origin
        self.permit = permit
        self.released_at = 0.0
        self.closed = False

    def stale(self) -> bool:
        """An idle connection the server has closed (or written to) is not reusable."""
        sock = self.stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        if sock is None or sock.fileno() < 0:
            return True
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)

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
        try:
            data: bytes = await _bounded(timeout, "read", "read", self.stream.receive(READ_SIZE))
        except (anyio.EndOfStream, anyio.IncompleteRead):
            return b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise TransportError(f"connection lost while reading: {exc!r}") from exc
        return data

    async def send(self, data: bytes, timeout: float) -> None:
        try:
            await _bounded(timeout, "write", "write", self.stream.send(data))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise TransportError(f"connection lost while writing: {exc!r}") from exc


@final
class FastTransport(AsyncResource):
    """An HTTP/1.1 `Transport` with O(1) connection reuse per origin.

    Args:
        verify: Verify TLS certificates (True, the default), or an `ssl.SSLContext`.
        max_connections: Open connections per origin (idle ones included); None: no limit.
            A request beyond it waits for a connection, up to the pool timeout.
        max_keepalive: Idle connections kept per origin.
        keepalive_expiry: Seconds an idle connection is kept.
    """

    def __init__(
        self,
        *,
        verify: bool | ssl.SSLContext = True,
        max_connections: int | None = None,
        max_keepalive: int = 100,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._max_connections = max_connections
        self._limiters: dict[Origin, anyio.CapacityLimiter] = {}
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[_Connection]] = {}
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:  # made on first use: it reads the certificate store
            self._ssl = tls_context(verify=bool(self._verify))
        return self._ssl

    async def aclose(self) -> None:
        """Close every idle connection; later requests raise `TransportClosed`."""
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                await connection.aclose()

    async def open(self, request: HTTPRequest, timeouts: Timeouts) -> FastResponse:
        """Send one request; return the response once its head is in (see `Transport`).

        ``Host`` and ``Content-Length`` are set here, from the URL and the body (given ones,
        and ``Transfer-Encoding``, are dropped).

        Raises:
            TransportError: The connection failed, or the URL's scheme is not HTTP(S);
                `TransportClosed` after `aclose()`.
            StreamTimeout: The connect, write, read or pool budget ran out.
            ProtocolError: The response head is not HTTP/1.1.
        """
        if self._closed:
            raise TransportClosed("the transport has been closed")
        parts = urlsplit(request.url)
        scheme = parts.scheme
        if scheme not in ("http", "https"):
            raise TransportError(f"unsupported URL scheme {scheme!r}")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [(b"host", parts.netloc.rpartition("@")[2].encode("ascii"))]
        headers += [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers
            if name.lower() not in _FRAMING_HEADERS
        ]
        headers.append((b"content-length", b"%d" % len(request.body)))
        port = parts.port or (443 if scheme == "https" else 80)
        origin: Origin = (scheme, parts.hostname or "", port)
        connection = await self._acquire(
            origin, _seconds(timeouts.connect), _seconds(timeouts.pool)
        )
        read = _seconds(timeouts.read)
        try:
            head, decoder, first, reusable = await self._exchange(
                connection,
                request.method,
                target.encode("ascii"),
                headers,
                request.body,
                _seconds(timeouts.write),
                read,
            )
        except BaseException:
            await connection.aclose()
            raise
        return FastResponse(self, connection, head, decoder, first, reusable, read)

    async def _acquire(
        self, origin: Origin, connect_timeout: float, pool_timeout: float
    ) -> _Connection:
        idle = self._idle.get(origin)
        now = anyio.current_time()
        while idle:
            connection = idle.pop()
            if now - connection.released_at < self._expiry and not connection.stale():
                return connection
            await connection.aclose()
        permit = await self._permit(origin, pool_timeout)
        try:
            connection = await self._connect(origin, connect_timeout)
        except BaseException:
            if permit is not None:
                permit.release()
            raise
        connection.permit = permit
        return connection

    async def _permit(self, origin: Origin, timeout: float) -> _Permit | None:
        if self._max_connections is None:
            return None
        limiter = self._limiters.get(origin)
        if limiter is None:
            limiter = self._limiters[origin] = anyio.CapacityLimiter(self._max_connections)
        permit = _Permit(limiter)
        await _bounded(
            timeout,
            "pool",
            "waiting for a connection",
            limiter.acquire_on_behalf_of(permit),
        )
        return permit

    async def _connect(self, origin: Origin, timeout: float) -> _Connection:
        scheme, host, port = origin
        try:
            stream: anyio.abc.ByteStream = await _bounded(
                timeout, "connect", "connect", self._connect_stream(scheme, host, port)
            )
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"cannot connect to {host}:{port}: {exc}") from exc
        return _Connection(stream, origin)

    async def _connect_stream(self, scheme: str, host: str, port: int) -> anyio.abc.ByteStream:
        try:
            family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        except ValueError:  # a name: resolve it, trying its addresses (happy eyeballs)
            stream: anyio.abc.ByteStream = await anyio.connect_tcp(host, port)
        else:  # an address: one plain connect, without a task group for a single candidate
            stream = await _connect_address(family, host, port)
        if scheme == "https":
            try:
                return await TLSStream.wrap(
                    stream,
                    hostname=host,
                    ssl_context=self._ssl_context(),
                    standard_compatible=False,
                )
            except BaseException:  # a failed handshake still owns a connected socket
                with anyio.CancelScope(shield=True):
                    await stream.aclose()
                raise
        return stream

    def _release(self, connection: _Connection) -> bool:
        """Keep a connection for reuse; False when it must be closed instead."""
        if self._closed:
            return False
        idle = self._idle.setdefault(connection.origin, [])
        if len(idle) >= self._max_keepalive:
            return False
        limiter = self._limiters.get(connection.origin)
        if limiter is not None and limiter.statistics().tasks_waiting:
            return False  # closing it lets a waiting request open its own
        connection.released_at = anyio.current_time()
        idle.append(connection)
        return True

    async def _exchange(
        self,
        connection: _Connection,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        write_timeout: float,
        read_timeout: float,
    ) -> tuple[h11.Response, BodyDecoder, bytes, bool]:
        """Send the request; read the response head and whatever body came with it."""
        protocol = h11.Connection(h11.CLIENT)
        try:
            parts = [
                protocol.send(h11.Request(method=method, target=target, headers=headers)),
                protocol.send(h11.Data(data=body)) if body else b"",
                protocol.send(h11.EndOfMessage()),
            ]
        except h11.LocalProtocolError as exc:
            raise TransportError(f"cannot send the request: {exc}") from exc
        await connection.send(b"".join(part or b"" for part in parts), write_timeout)
        while True:
            try:
                event = protocol.next_event()
            except h11.RemoteProtocolError as exc:
                message = f"broken HTTP response: malformed response head: {exc}"
                raise ProtocolError(message) from exc
            if event is h11.NEED_DATA:
                protocol.receive_data(await connection.receive(read_timeout))
                continue
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                break
            raise ProtocolError(
                "broken HTTP response: the server closed the connection before responding"
            )
        decoder = _framing(method, event)
        leftover, _ = protocol.trailing_data
        try:
            first = b"".join(decoder.feed(bytes(leftover))) if leftover else b""
        except ProtocolError as exc:
            raise _broken(exc) from exc
        reusable = (
            event.http_version == b"1.1"
            and decoder.delimited
            and not _says_close(event.headers)
            and not _says_close(headers)
        )
        return event, decoder, first, reusable


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


def _says_close(headers: Any) -> bool:
    return any(
        name.lower() == b"connection" and b"close" in value.lower() for name, value in headers
    )


def _framing(method: str, response: h11.Response) -> BodyDecoder:
    status = response.status_code
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return BodyDecoder.length(0)
    length = None
    for name, value in response.headers:
        if name == b"transfer-encoding" and value.lower().endswith(b"chunked"):
            return BodyDecoder.chunked()
        if name == b"content-length":
            length = int(value)  # h11 has validated it
    return BodyDecoder.until_close() if length is None else BodyDecoder.length(length)


@final
class FastResponse:
    """A response of `FastTransport`: its head, then its body one socket read per step; the
    connection is released for reuse or closed."""

    __slots__ = (
        "_connection",
        "_decoder",
        "_ready",
        "_reusable",
        "_timeout",
        "_transport",
        "headers",
        "status",
    )

    def __init__(
        self,
        transport: FastTransport,
        connection: _Connection,
        head: h11.Response,
        decoder: BodyDecoder,
        first: bytes,
        reusable: bool,
        timeout: float,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self.status: int = head.status_code
        headers: dict[str, str] = {}
        for raw_name, raw_value in head.headers:  # h11 gives lower-case names
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers: dict[str, str] = headers
        self._decoder = decoder
        self._ready = first  # body bytes that arrived with the head
        self._reusable = reusable
        self._timeout = timeout

    @property
    def chunks(self) -> FastResponse:
        return self

    def __aiter__(self) -> FastResponse:
        return self

    @property
    def complete(self) -> bool:
        """Whether the whole body has been handed out."""
        return self._decoder.done and not self._ready

    async def __anext__(self) -> bytes:
        if self._ready:
            data, self._ready = self._ready, b""
            return data
        decoder = self._decoder
        connection = self._connection
        try:
            while connection is not None and not decoder.done:
                if decoder.failed:
                    decoder.end()  # raises the fault held after the data before it
                received = await connection.receive(self._timeout)
                if not received:
                    decoder.end()
                    break
                pieces = decoder.feed(received)
                if pieces:
                    return pieces[0] if len(pieces) == 1 else b"".join(pieces)
        except ProtocolError as exc:
            raise _broken(exc) from exc
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Release the connection for reuse after a complete body, else close it.

        Cancellation:
            Releasing is synchronous and closing is shielded: it completes when cancelled.
        """
        connection, self._connection = self._connection, None
        if connection is None:
            return
        decoder = self._decoder
        if (
            self._reusable
            and decoder.done
            and not decoder.leftover
            and self._transport._release(connection)
        ):
            return
        await connection.aclose()
