"""`FastTransport`: eventide's own HTTP/1.1 transport, built for many long streams.

Why: httpcore's pool rescans every connection for every waiting request whenever a request
starts or a connection closes (encode/httpcore#1035), which is quadratic in the number of
open connections; thousands of concurrent streams spend their time there. Here a connection
is found in O(1): each origin keeps a stack of idle connections, and a busy connection is
nobody's business but its stream's.

What it does: plain and TLS (verification on, the system's or certifi's certificates)
HTTP/1.1 on bare sockets read with the running loop's own primitives (`_connection`: so
it runs under trio and asyncio); `request_bytes` writes the request and `ResponseReader`
(llhttp, through httptools) reads the response head and frames the body (chunked,
Content-Length, or until close), handed over one socket read at a time.
A connection goes back to the pool only after a complete, delimited body with nothing left
over; an early close or any error closes it. It is reused only in the trio run or asyncio
loop that made it (one provider may serve the sync `Client`'s trio thread and an asyncio
application in turn): another's idle connection is closed plainly. Connect, read, write and
pool budgets come from the stream's `Timeouts`. It implements `Transport` and raises
eventide's errors; it does not import httpx.

Habits of real servers it survives: a compressed body (it asks for what `_content` decodes,
and decodes as the body streams); a server that keeps a connection alive by HTTP/1.1's
default yet closes it after each response (an idle connection is checked before reuse, and
a request on a reused connection that the server's close left unread is sent once more on
a new one: the race between the server's close and our next request cannot be closed
otherwise; `FastTransport.open` says how it is told from a request the server may have
processed, which is never sent twice); an early answer to a body still uploading (a 413 is
read after the write fails, as httpcore does). A redirect is never followed (`_refusal`
names it).

What it leaves to the httpx adapter: proxies, HTTP/2, and any transport a caller brings.
"""

from __future__ import annotations

import functools
import math
import os
import ssl
import string
import time
from typing import TYPE_CHECKING, Final, final
from urllib.parse import quote, urlsplit

import anyio

from .._errors import ProtocolError, StreamTimeout, TransportError
from .._resource import AsyncResource
from ._base import TransportClosed, unsendable
from ._connection import Connection, Origin, Permit, bounded, connect
from ._content import DecodedChunks, accept_encoding, decoded
from ._h1 import Unsendable, request_bytes
from ._response import ResponseReader

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable
    from urllib.parse import SplitResult

    from .._timeouts import Timeouts
    from ._base import HTTPRequest

__all__ = ["FastResponse", "FastTransport", "tls_context"]

RESET_WINDOW: Final = 0.5
"""Seconds after the write of a request on a reused connection within which a reset, before
any byte of a response, is taken for the server's close crossing the request unread, and the
request is sent once more (`FastTransport.open`).

A server that closes after every response resets the connection when our next request is
already in, as soon as it closes. Measured on loopback with such a server (a trio and an
asyncio client; the server in the same run, another thread or another process; a loaded
2-core machine), our read saw the reset 0.07-0.3 ms after the write, 5.5 ms at most over
2,000 requests one after another, and 0.27 s at most with 200 streams at once on one asyncio
loop, the server a thread of the same interpreter (its close and our read waiting their turn).
Half a second covers that race, its worst case nearly twice over; a proxy's or load
balancer's timeout, or a server that reads the request and resets after working on it, comes
far later, and is never sent twice.
"""
_FRAMING_HEADERS: Final = frozenset({"host", "content-length", "transfer-encoding"})
# What a request target may hold as it is; anything else is percent-encoded as UTF-8, as
# httpx does (non-ASCII, controls, space and the characters RFC 3986 excludes: "<>`{}).
_TARGET_SAFE: Final = "".join(
    c for c in string.printable if c not in string.whitespace and c not in '"<>`{}'
)


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


def _broken(exc: ProtocolError) -> ProtocolError:
    return ProtocolError(f"broken HTTP response: {exc.message}", excerpt=exc.excerpt)


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
        self._idle: dict[Origin, list[Connection]] = {}
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

    async def open(
        self, request: HTTPRequest, timeouts: Timeouts, *, decode_content: bool = True
    ) -> FastResponse:
        """Send one request; return the response once its head is in (see `Transport`).

        ``Host`` and ``Content-Length`` are set here, from the URL and the body (given ones,
        and ``Transfer-Encoding``, are dropped); ``Accept-Encoding`` too, for the codings
        this process can decode, unless the request has its own. A non-ASCII path or query
        is percent-encoded as UTF-8 and a non-ASCII host name IDNA-encoded, as httpx does.

        A request on a reused connection that the server closed without reading (the check
        before reuse cannot see a close on its way) is sent once more, on a new connection.
        Unread means: its write failed; or the close (an EOF or a reset) was there at once,
        on the first read after the write, without it having to wait; or the connection was
        reset before any byte of a response within `RESET_WINDOW` of the write (a TCP that
        closes with bytes unread resets the connection, RFC 1122 section 4.2.2.13: so does a
        server that closes after every response, as llama.cpp's does, when the next request
        is already in, and it does so at once). A reset later than that, or an EOF that the
        first read waits for, may follow a request the server read and worked on (a worker
        killed, a proxy's timeout, a close with ``SO_LINGER`` 0): it is not sent again
        (httpcore sends again only what never left; urllib3 retries no POST after a read
        error; the openai SDK leaves it to its retries) but raised as a retryable
        `TransportError`, for the retry policy to decide.

        Args:
            request: The request.
            timeouts: The connect, read, write and pool budgets.
            decode_content: Undo the response's Content-Encoding (False: the body's bytes as
                sent, for a caller that decodes them itself).

        Raises:
            TransportError: The connection failed, the server closed it without answering
                (retryable), or the URL is not HTTP(S); `TransportClosed` after `aclose()`.
            RequestError: The request cannot be encoded (a header value that is not
                Latin-1, a broken URL): before any I/O, never quoting the value.
            StreamTimeout: The connect, write, read or pool budget ran out.
            ProtocolError: The response head is not HTTP/1.1.
        """
        if self._closed:
            raise TransportClosed("the transport has been closed")
        origin, host, target = _address(request.url)
        headers = [(b"host", host), *_header_bytes(request.headers)]
        if decode_content and not any(name == b"accept-encoding" for name, _ in headers):
            headers.append((b"accept-encoding", accept_encoding().encode("ascii")))
        headers.append((b"content-length", b"%d" % len(request.body)))
        message = (request.method, target, headers, request.body)
        connect_timeout, pool_timeout = _seconds(timeouts.connect), _seconds(timeouts.pool)
        write, read = _seconds(timeouts.write), _seconds(timeouts.read)
        connection = await self._acquire(origin, connect_timeout, pool_timeout)
        try:
            try:
                exchanged = await _exchange(connection, message, write, read)
            except _NoResponse as exc:
                if not (connection.reused and exc.unread):
                    raise
                await connection.aclose()  # the server closed it while it was idle
                connection = await self._acquire(origin, connect_timeout, pool_timeout, reuse=False)
                exchanged = await _exchange(connection, message, write, read)
        except _NoResponse as exc:
            await connection.aclose()
            note = "; not sent again: the server may have processed it" if connection.reused else ""
            raise TransportError(exc.message + note) from exc.__cause__
        except BaseException:
            await connection.aclose()
            raise
        return FastResponse(self, connection, *exchanged, read, decode_content=decode_content)

    async def _acquire(
        self, origin: Origin, connect_timeout: float, pool_timeout: float, *, reuse: bool = True
    ) -> Connection:
        idle = self._idle.get(origin) if reuse else None
        now = anyio.current_time()
        while idle:
            connection = idle.pop()
            if (
                connection.made_here()  # else another run's: its clock, its loop's primitives
                and now - connection.released_at < self._expiry
                and not connection.stale()
            ):
                return connection
            await connection.aclose()
        permit = await self._permit(origin, pool_timeout)
        try:
            connection = await connect(
                origin, connect_timeout, self._ssl_context() if origin[0] == "https" else None
            )
        except BaseException:
            if permit is not None:
                permit.release()
            raise
        connection.permit = permit
        return connection

    async def _permit(self, origin: Origin, timeout: float) -> Permit | None:
        if self._max_connections is None:
            return None
        limiter = self._limiters.get(origin)
        if limiter is None:
            limiter = self._limiters[origin] = anyio.CapacityLimiter(self._max_connections)
        permit = Permit(limiter)
        await bounded(
            timeout,
            "pool",
            "waiting for a connection",
            limiter.acquire_on_behalf_of(permit),
        )
        return permit

    def _release(self, connection: Connection) -> bool:
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
        connection.reused = True
        idle.append(connection)
        return True


class _NoResponse(TransportError):
    """The server closed the connection (or reset it) before any byte of a response: sent
    again once if the connection was reused and the request left unread, else a plain
    `TransportError`.

    Attributes:
        unread: The server cannot have read the request: the write failed, the close was
            there at once after it, or the connection was reset within `RESET_WINDOW`.
    """

    def __init__(self, message: str, *, unread: bool) -> None:
        super().__init__(message)
        self.unread = unread


@functools.lru_cache(maxsize=256)
def _address(url: str) -> tuple[Origin, bytes, bytes]:
    """The origin, the Host header and the request target of an absolute URL (remembered:
    a client sends to the same few URLs, and splitting and quoting one costs about 10 µs)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a port that is not a number, a broken IPv6 literal
        raise unsendable(f"invalid URL: {exc}") from exc
    scheme = parts.scheme
    if scheme not in ("http", "https"):
        raise TransportError(f"unsupported URL scheme {scheme!r}")
    host = _ascii_host(parts)
    if not host:
        raise unsendable("the URL has no host")
    authority = f"[{host}]" if ":" in host else host
    if port is None:
        port = 443 if scheme == "https" else 80
    else:
        authority += f":{port}"
    path = quote(parts.path or "/", safe=_TARGET_SAFE)
    query = f"?{quote(parts.query, safe=_TARGET_SAFE)}" if parts.query else ""
    return (scheme, host, port), authority.encode("ascii"), (path + query).encode("ascii")


def _ascii_host(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise unsendable(f"the host name {host!r} cannot be IDNA-encoded") from exc


def _header_bytes(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    encoded: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        lower = name.lower()
        if lower in _FRAMING_HEADERS:
            continue
        try:
            encoded.append((lower.encode("ascii"), value.encode("latin-1")))
        except UnicodeEncodeError as exc:  # never the value: it may be the key
            raise unsendable(
                f"header {name!r} has a character that is not Latin-1 "
                f"(at position {exc.start} of its {'value' if exc.object is value else 'name'})"
            ) from None
    return encoded


def _request_bytes(
    method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The bytes of the request, written by `request_bytes`."""
    try:
        return request_bytes(method.encode("ascii"), target, headers, body)
    except UnicodeError:
        raise unsendable("the method is not an HTTP token") from None
    except Unsendable as exc:
        raise unsendable(str(exc)) from None


async def _exchange(
    connection: Connection,
    message: tuple[str, bytes, list[tuple[bytes, bytes]], bytes],
    write_timeout: float,
    read_timeout: float,
) -> tuple[ResponseReader, bytes, bool]:
    """Send the request; read the response head and whatever body came with it.

    A write error does not end it at once: a server may answer early (a 413 to a body it will
    not read) and close, and that answer is read and returned, as httpcore does.

    Raises:
        _NoResponse: The connection closed or broke before any byte of the response.
    """
    method, target, headers, body = message
    data = _request_bytes(method, target, headers, body)
    reader = ResponseReader(method)
    failed: TransportError | None = None
    try:
        await connection.send(data, write_timeout)
    except StreamTimeout:
        raise
    except TransportError as exc:
        failed = exc
    sent_at = time.monotonic()  # the loop's clock may be a test's, or another run's
    # A close the first read finds without waiting crossed the request (only a reused
    # connection's matters: `FastTransport.open`), as did a reset within `RESET_WINDOW`; an
    # EOF it waits for, or a later reset, may follow its processing.
    crossed = failed is not None or (connection.reused and connection.stale())
    received = False
    try:
        while True:
            try:
                data = await connection.receive(read_timeout)
            except StreamTimeout:
                raise
            except TransportError as exc:
                if received:
                    raise
                reset = (
                    isinstance(exc.__cause__, ConnectionResetError)
                    and time.monotonic() - sent_at < RESET_WINDOW
                )
                raise _NoResponse(
                    f"{exc.message} (before any response)", unread=crossed or reset
                ) from exc
            if not data:
                if not received:
                    raise _NoResponse(
                        "the server closed the connection before responding"
                        + (f" ({failed.message})" if failed is not None else ""),
                        unread=crossed,
                    ) from failed
                reader.end()  # raises: the head is cut short
            received = True
            if reader.feed_head(data):
                break
    except ProtocolError as exc:
        raise _broken(exc) from exc
    reusable = failed is None and reader.reusable and not _says_close(headers)
    return reader, reader.take(), reusable


def _says_close(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"connection" and b"close" in value.lower() for name, value in headers)


@final
class FastResponse:
    """A response of `FastTransport`: its head, then its body one socket read per step (as
    sent when iterated itself; its Content-Encoding undone in `chunks`); the connection is
    released for reuse or closed."""

    __slots__ = (
        "_chunks",
        "_connection",
        "_reader",
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
        connection: Connection,
        reader: ResponseReader,
        first: bytes,
        reusable: bool,
        timeout: float,
        *,
        decode_content: bool = True,
    ) -> None:
        self._transport = transport
        self._connection: Connection | None = connection
        self.status: int = reader.status
        headers: dict[str, str] = {}
        for raw_name, raw_value in reader.fields:  # lower-case names
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers: dict[str, str] = headers
        self._chunks = decoded(self, headers) if decode_content else self
        self._reader = reader
        self._ready = first  # body bytes that arrived with the head
        self._reusable = reusable
        self._timeout = timeout

    @property
    def chunks(self) -> AsyncIterator[bytes]:
        """The body, its Content-Encoding undone (unless made with ``decode_content=False``)."""
        return self._chunks

    def __aiter__(self) -> FastResponse:
        return self

    @property
    def complete(self) -> bool:
        """Whether the whole body has been handed out."""
        decoded = self._chunks
        return (
            self._reader.done
            and not self._ready
            and (not isinstance(decoded, DecodedChunks) or decoded.ended)
        )

    async def __anext__(self) -> bytes:
        if self._ready:
            data, self._ready = self._ready, b""
            return data
        reader = self._reader
        connection = self._connection
        try:
            while connection is not None and not reader.done:
                if reader.failed:
                    reader.end()  # raises the fault held after the data before it
                received = await connection.receive(self._timeout)
                if not received:
                    reader.end()
                    break
                data = reader.feed(received)
                if data:
                    return data
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
        reader = self._reader
        if (
            self._reusable
            and reader.done
            and not reader.leftover
            and self._transport._release(connection)
        ):
            return
        await connection.aclose()
