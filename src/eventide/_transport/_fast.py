"""`FastTransport`: eventide's own HTTP/1.1 transport for httpx, built for many long streams.

Why: httpcore's pool rescans every connection for every waiting request whenever a request
starts or a connection closes (encode/httpcore#1035), which is quadratic in the number of
open connections; thousands of concurrent streams spend their time there. Here a connection
is found in O(1): each origin keeps a stack of idle connections, and a busy connection is
nobody's business but its stream's.

What it does: plain and TLS (verification on, httpx's default certificates) HTTP/1.1 on
anyio sockets (so it runs under trio and asyncio); h11 writes the request and parses the
response head; `BodyDecoder` frames the body (chunked, Content-Length, or until close) and
hands it over one socket read at a time. A connection goes back to the pool only after a
complete, delimited body with nothing left over; an early close or any error closes it.
Connect, read, write and pool timeouts come from the request, as httpx sets them; errors
are raised as the matching httpx exceptions, so everything above works unchanged.

What it leaves to httpx: proxies (httpx mounts its own transport for proxied URLs),
HTTP/2, and any custom transport a caller passes in.
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
import httpx
from anyio.streams.tls import TLSStream

from .._errors import ProtocolError
from ._h1 import BodyDecoder

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

__all__ = ["FastClient", "FastTransport", "ResponseStream"]

READ_SIZE: Final = 64 * 1024
Origin = tuple[str, str, int]


def _timeout(request: httpx.Request, name: str) -> float:
    value = request.extensions.get("timeout", {}).get(name)
    return math.inf if value is None else float(value)


async def _bounded(
    seconds: float, error: Callable[[str], Exception], what: str, step: Awaitable[Any]
) -> Any:
    if seconds == math.inf:
        return await step
    with anyio.move_on_after(seconds) as scope:
        return await step
    if scope.cancelled_caught:
        raise error(f"{what} timed out after {seconds} s")
    raise AssertionError("unreachable")  # pragma: no cover


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
            data: bytes = await _bounded(
                timeout, httpx.ReadTimeout, "read", self.stream.receive(READ_SIZE)
            )
        except (anyio.EndOfStream, anyio.IncompleteRead):
            return b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise httpx.ReadError(f"connection lost: {exc!r}") from exc
        return data

    async def send(self, data: bytes, timeout: float) -> None:
        try:
            await _bounded(timeout, httpx.WriteTimeout, "write", self.stream.send(data))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise httpx.WriteError(f"connection lost: {exc!r}") from exc


@final
class FastTransport(httpx.AsyncBaseTransport):
    """An HTTP/1.1 transport with O(1) connection reuse per origin.

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
            self._ssl = httpx.create_ssl_context(verify=self._verify)
        return self._ssl

    async def aclose(self) -> None:
        """Close every idle connection."""
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                await connection.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        head, stream = await self.send(
            url.scheme,
            url.host,
            url.port,
            request.method,
            url.raw_path or b"/",
            request.headers.raw,
            await request.aread(),
            {name: _timeout(request, name) for name in ("connect", "read", "write", "pool")},
        )
        return httpx.Response(
            head.status_code,
            headers=head.headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
        )

    async def send(
        self,
        scheme: str,
        host: str,
        port: int | None,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        timeouts: Mapping[str, float],
    ) -> tuple[h11.Response, ResponseStream]:
        """Send one request; return the response head and its body stream.

        `headers` must include ``Host`` (and ``Content-Length`` for a body). Timeouts are
        seconds for ``connect``, ``read``, ``write`` and (optional) ``pool`` (`math.inf`:
        none). Raises httpx exceptions, like any httpx transport.
        """
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        origin: Origin = (scheme, host, port or (443 if scheme == "https" else 80))
        connection = await self._acquire(
            origin, timeouts["connect"], timeouts.get("pool", math.inf)
        )
        try:
            head, decoder, first, reusable = await self._exchange(
                connection, method, target, headers, body, timeouts
            )
        except BaseException:
            await connection.aclose()
            raise
        return head, ResponseStream(self, connection, decoder, first, reusable, timeouts["read"])

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
            httpx.PoolTimeout,
            "waiting for a connection",
            limiter.acquire_on_behalf_of(permit),
        )
        return permit

    async def _connect(self, origin: Origin, timeout: float) -> _Connection:
        scheme, host, port = origin
        try:
            stream: anyio.abc.ByteStream = await _bounded(
                timeout, httpx.ConnectTimeout, "connect", self._open(scheme, host, port)
            )
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return _Connection(stream, origin)

    async def _open(self, scheme: str, host: str, port: int) -> anyio.abc.ByteStream:
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
        timeouts: Mapping[str, float],
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
            raise httpx.LocalProtocolError(str(exc)) from exc
        await connection.send(b"".join(part or b"" for part in parts), timeouts["write"])
        read_timeout = timeouts["read"]
        while True:
            try:
                event = protocol.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(f"malformed response head: {exc}") from exc
            if event is h11.NEED_DATA:
                protocol.receive_data(await connection.receive(read_timeout))
                continue
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                break
            raise httpx.RemoteProtocolError("the server closed the connection before responding")
        decoder = _framing(method, event)
        leftover, _ = protocol.trailing_data
        try:
            first = b"".join(decoder.feed(bytes(leftover))) if leftover else b""
        except ProtocolError as exc:
            raise httpx.RemoteProtocolError(exc.message) from exc
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
class ResponseStream(httpx.AsyncByteStream):
    """The response body: one socket read per step; the connection is released or closed."""

    __slots__ = (
        "_connection",
        "_decoder",
        "_failure",
        "_ready",
        "_reusable",
        "_timeout",
        "_transport",
    )

    def __init__(
        self,
        transport: FastTransport,
        connection: _Connection,
        decoder: BodyDecoder,
        first: bytes,
        reusable: bool,
        timeout: float,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self._decoder = decoder
        self._ready = first  # body bytes that arrived with the head
        self._failure: Exception | None = None
        self._reusable = reusable
        self._timeout = timeout

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    @property
    def complete(self) -> bool:
        """Whether the whole body has been handed out."""
        return self._decoder.done and not self._ready and self._failure is None

    async def __anext__(self) -> bytes:
        if self._ready:
            data, self._ready = self._ready, b""
            return data
        if self._failure is not None:
            raise self._failure
        decoder = self._decoder
        connection = self._connection
        while connection is not None and not decoder.done:
            received = await connection.receive(self._timeout)
            try:
                if not received:
                    decoder.end()
                    break
                pieces = decoder.feed(received)
            except ProtocolError as exc:
                failure = httpx.RemoteProtocolError(exc.message)
                failure.__cause__ = exc
                pending: list[bytes] = exc.pending_events  # type: ignore[assignment]
                if not pending:
                    raise failure from exc
                self._failure = failure  # the body data before the fault goes out first
                return b"".join(pending)
            if pieces:
                return pieces[0] if len(pieces) == 1 else b"".join(pieces)
        raise StopAsyncIteration

    async def aclose(self) -> None:
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


@final
class FastClient:
    """eventide's default HTTP client: requests go straight to a `FastTransport`, with no
    httpx request or response objects on the way (callers who need httpx's features pass
    their own `httpx.AsyncClient` instead)."""

    __slots__ = ("transport",)

    def __init__(self, transport: FastTransport | None = None) -> None:
        self.transport = transport if transport is not None else FastTransport()

    async def open(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes,
        timeouts: Mapping[str, float | None],
    ) -> tuple[int, dict[str, str], ResponseStream]:
        """Send a request; return the status, the headers (lower-case names) and the body.

        Raises:
            httpx.HTTPError: As an httpx transport would.
        """
        parts = urlsplit(url)
        authority = parts.netloc.rpartition("@")[2]
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        raw = [(b"host", authority.encode("ascii"))]
        raw += [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
        ]
        raw.append((b"content-length", b"%d" % len(content)))
        head, stream = await self.transport.send(
            parts.scheme,
            parts.hostname or "",
            parts.port,
            method,
            target.encode("ascii"),
            raw,
            content,
            {name: math.inf if value is None else value for name, value in timeouts.items()},
        )
        received: dict[str, str] = {}
        for name, value in head.headers:
            key = name.decode("latin-1")
            text = value.decode("latin-1")
            received[key] = f"{received[key]}, {text}" if key in received else text
        return head.status_code, received, stream

    async def aclose(self) -> None:
        """Close the transport's idle connections."""
        await self.transport.aclose()
