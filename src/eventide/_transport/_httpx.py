"""The httpx adapter, and the only module of eventide that imports httpx.

`HTTPXTransport` wraps a caller's `httpx.AsyncClient` (proxies, custom or mock transports,
HTTP/2) as a `Transport`: httpx's exceptions become eventide's here, chained with ``from``,
and nowhere else. `FastHTTPXTransport` goes the other way, for an httpx client that should
send its direct requests through the built-in `FastTransport`: it is what `default_transport()`
uses when the environment configures a proxy (httpx mounts its own transports for the
proxied URLs). Errors of the built-in transport pass through httpx unchanged.
"""

from __future__ import annotations

import functools
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias, final

import anyio
import httpx

from .._errors import (
    Error,
    ProtocolError,
    RequestError,
    StreamTimeout,
    TimeoutPhase,
    TransportError,
)
from .._resource import AsyncResource
from .._timeouts import Timeouts
from ._base import HTTPRequest, TransportClosed, TransportSlot, unsendable
from ._content import decoded
from ._fast import FastTransport

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from ._base import Response, Transport
    from ._fast import FastResponse

__all__ = [
    "FastHTTPXTransport",
    "HTTPClientOption",
    "HTTPXTransport",
    "default_transport",
    "proxied_client",
    "transport_slot",
]

HTTPClientOption: TypeAlias = httpx.AsyncClient | Callable[[], httpx.AsyncClient] | None
"""What a provider's ``http_client=`` takes: a client (the caller's to close), a function
that makes one on first use (closed with the provider), or None (the default transport)."""

_PHASES: dict[type[httpx.TimeoutException], TimeoutPhase] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


def default_transport() -> Transport:
    """The transport a provider makes when given none: `FastTransport`; or, when the
    environment configures a proxy, an httpx client (sending its direct requests through
    `FastTransport` all the same) so that the proxy is honoured."""
    if any(urllib.request.getproxies().get(scheme) for scheme in ("http", "https", "all")):
        client = httpx.AsyncClient(
            transport=FastHTTPXTransport(), timeout=None, follow_redirects=False
        )
        return HTTPXTransport(client, owned=True)
    return FastTransport()


def transport_slot(http_client: HTTPClientOption, transport: Transport | None) -> TransportSlot:
    """The slot of a provider given ``http_client=`` and ``transport=`` (at most one)."""
    if transport is not None:
        if http_client is not None:
            raise TypeError("pass http_client= or transport=, not both")
        return TransportSlot(transport)
    if http_client is None:
        return TransportSlot(factory=default_transport)
    if isinstance(http_client, httpx.AsyncClient):
        return TransportSlot(HTTPXTransport(http_client))
    make = http_client
    return TransportSlot(factory=lambda: HTTPXTransport(make(), owned=True))


def proxied_client(proxy: str) -> Callable[[], httpx.AsyncClient]:
    """An ``http_client=`` factory: an httpx client that sends every request through `proxy`
    (an ``http://``, ``https://`` or ``socks5://`` URL); made on first use, closed with the
    provider."""
    return lambda: httpx.AsyncClient(proxy=proxy, timeout=None, follow_redirects=False)


def _unsendable(exc: UnicodeError | httpx.InvalidURL) -> RequestError:
    """The error for a request httpx cannot encode, without the offending text."""
    if isinstance(exc, UnicodeEncodeError):
        return unsendable(f"a header has a character that is not {exc.encoding.upper()}")
    return unsendable(f"invalid URL ({type(exc).__name__})")


def _parsed(url: str) -> httpx.URL:
    """`url` parsed by httpx. One without a query string is kept: a provider sends to the
    same URL request after request, and parsing it costs more than the rest of building the
    request (an httpx URL is immutable, so one serves every request); a query string may
    hold a credential, which no cache keeps.

    Raises:
        httpx.InvalidURL: httpx cannot send to it (nothing is kept).
    """
    return httpx.URL(url) if "?" in url else _parsed_plain(url)


_parsed_plain = functools.lru_cache(maxsize=64)(httpx.URL)


def _translate(exc: httpx.HTTPError) -> Error:
    """The eventide error for an httpx error (never with the request headers or the key)."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        phase = _PHASES.get(type(exc), "read")
        return StreamTimeout(f"{phase} timeout ({detail})", phase=phase)
    if isinstance(exc, httpx.RemoteProtocolError):
        if detail.startswith("Server disconnected without sending a response"):
            # httpcore's words for a connection closed before any byte of the response
            # (a kept-alive one the server had closed): the connection failed, no bytes did
            return TransportError(f"the server closed the connection before responding ({detail})")
        # "peer closed connection without sending complete message body" and friends
        return ProtocolError(f"broken HTTP response: {detail}")
    if isinstance(exc, httpx.DecodingError):
        return ProtocolError(f"undecodable response body: {detail}")
    if isinstance(exc, httpx.ConnectError):
        return TransportError(f"cannot connect: {detail}")
    return TransportError(f"{type(exc).__name__}: {detail}")


@final
class HTTPXTransport(AsyncResource):
    """A `Transport` over an `httpx.AsyncClient`.

    Args:
        client: The client to send through.
        owned: Whether `aclose()` closes the client (False: it stays the caller's).
    """

    __slots__ = ("_closed", "_headers", "_owned", "_timeout", "client")

    def __init__(self, client: httpx.AsyncClient, *, owned: bool = False) -> None:
        self.client = client
        self._owned = owned
        self._closed = False
        # The last budgets and headers sent, as httpx's: a provider sends the same ones
        # every time (httpx copies a Headers it is given, so one serves every request).
        self._timeout: tuple[Timeouts, httpx.Timeout] | None = None
        self._headers: tuple[tuple[tuple[str, str], ...], httpx.Headers] | None = None

    async def open(self, request: HTTPRequest, timeouts: Timeouts) -> Response:
        """Send `request` through the client (see `Transport.open`)."""
        if self._closed:
            raise TransportClosed("the transport has been closed")
        client = self.client
        try:
            sent = client.build_request(
                request.method,
                _parsed(request.url),
                headers=self._headers_of(request.headers),
                content=request.body,
                timeout=self._budgets(timeouts),
            )
        except (UnicodeError, httpx.InvalidURL) as exc:
            raise _unsendable(exc) from None  # a header's exception holds its value: the key
        try:
            response = await client.send(sent, stream=True)
        except httpx.HTTPError as exc:
            raise _translate(exc) from exc
        return HTTPXResponse(response)

    def _budgets(self, timeouts: Timeouts) -> httpx.Timeout:
        """The HTTP budgets of `timeouts` as httpx's (the last ones are kept)."""
        last = self._timeout
        if last is None or last[0] is not timeouts:
            budgets = httpx.Timeout(
                connect=timeouts.connect,
                read=timeouts.read,
                write=timeouts.write,
                pool=timeouts.pool,
            )
            last = self._timeout = (timeouts, budgets)
        return last[1]

    def _headers_of(self, headers: tuple[tuple[str, str], ...]) -> httpx.Headers:
        """`headers` as httpx's (the last ones are kept).

        Raises:
            UnicodeEncodeError: A header httpx cannot encode (nothing is kept).
        """
        last = self._headers
        if last is None or last[0] != headers:
            last = self._headers = (headers, httpx.Headers(list(headers)))
        return last[1]

    async def aclose(self) -> None:
        """Close the client if it is owned; later requests raise `TransportClosed`."""
        self._closed = True
        if self._owned:
            await self.client.aclose()


@final
class HTTPXResponse:
    """An httpx response as a `Response`, httpx's errors turned into eventide's. Its body is
    read with ``aiter_raw()`` and decoded by eventide's own content decoders, as the built-in
    transport's is, so that both treat every Content-Encoding alike (httpx would pass one it
    does not know through untouched)."""

    __slots__ = ("_body", "_chunks", "_ended", "_response")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._ended = False  # the body iterator has ended: there is nothing left in it to close
        self._body: AsyncIterator[bytes]
        self._chunks: AsyncIterator[bytes]
        if response.is_stream_consumed:  # read already (a mock, a hook): httpx decoded it
            self._body = response.aiter_bytes()
            self._chunks = self
        else:
            self._body = response.aiter_raw()
            self._chunks = decoded(self, response.headers)

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:  # httpx's: any case finds them
        return self._response.headers

    @property
    def chunks(self) -> AsyncIterator[bytes]:
        """The body, its Content-Encoding undone."""
        return self._chunks

    @property
    def complete(self) -> bool:  # httpx does not say before the end
        return self._response.is_stream_consumed and self._response.is_closed

    def __aiter__(self) -> HTTPXResponse:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._body.__anext__()
        except StopAsyncIteration:
            self._ended = True
            raise
        except httpx.HTTPError as exc:
            raise _translate(exc) from exc

    async def aclose(self) -> None:
        """Close the response: the connection goes back to the pool only if fully read."""
        if self._ended and self._response.is_closed:
            # Read to its end: httpx closed the response at its end, and an async generator
            # that has finished has nothing to run; closing would await nothing at all.
            return
        with anyio.CancelScope(shield=True):
            try:
                await self._body.aclose()  # type: ignore[attr-defined]
            finally:
                await self._response.aclose()


@final
class FastHTTPXTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through a `FastTransport` (made here when not given)."""

    def __init__(self, transport: FastTransport | None = None) -> None:
        self.transport = transport if transport is not None else FastTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send an httpx request through the built-in transport."""
        budgets = request.extensions.get("timeout", {})
        response = await self.transport.open(  # httpx undoes the Content-Encoding itself
            HTTPRequest(
                request.method,
                str(request.url),
                [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in request.headers.raw
                ],
                await request.aread(),
            ),
            Timeouts(**{name: budgets.get(name) for name in ("connect", "read", "write", "pool")}),
            decode_content=False,
        )
        return httpx.Response(
            response.status,
            headers=list(response.headers.items()),
            stream=_ByteStream(response),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        """Close the built-in transport."""
        await self.transport.aclose()


@final
class _ByteStream(httpx.AsyncByteStream):
    # An iterator class, not an async generator: closing early leaves nothing to finalise.
    def __init__(self, response: FastResponse) -> None:
        self._response = response

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._response  # the bytes as sent: httpx decodes them

    async def aclose(self) -> None:
        await self._response.aclose()
