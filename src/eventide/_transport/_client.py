"""The only module that touches httpx: send a request, stream the body's bytes, always close.

`open_body()` sends a request and returns an `HTTPBody` once the response headers are in and
the status is a success; an error status raises the provider's typed error with a bounded
excerpt of the body. The body's bytes come from ``response.aiter_bytes()`` (which undoes any
Content-Encoding) through an async generator that closes the response in its ``finally``:
when a consumer abandons a stream without closing it, the runtime's async-generator
finaliser still releases the connection. httpx exceptions never leave this module: they
become `TransportError`, `StreamTimeout` or `ProtocolError`, chained with ``from``.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
import urllib.request
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from functools import partial
from typing import TYPE_CHECKING, Any, Final, final

import anyio
import httpx

from .._errors import Error, ProtocolError, ProviderError, StreamTimeout, TransportError
from .._version import __version__
from ._fast import FastClient, FastTransport

if TYPE_CHECKING:
    from .._timeouts import Timeouts
    from ._fast import ResponseStream

__all__ = [
    "USER_AGENT",
    "ClientSlot",
    "ErrorFactory",
    "HTTPBody",
    "InMemoryTransport",
    "new_client",
    "open_body",
    "parse_retry_after",
]

USER_AGENT: Final = f"eventide/{__version__}"
MAX_ERROR_BODY: Final = 64 * 1024

ErrorFactory = Callable[..., ProviderError]
"""Builds a provider's typed error: ``factory(payload, status_code=, retry_after=, raw=)``."""


def new_client(*, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` set up for many long-lived streams.

    By default it sends through `FastTransport` (O(1) connection reuse, no pool cap);
    proxies from the environment still go through httpx's own transport. Timeouts are set
    per request from the stream's `Timeouts`.
    """
    return httpx.AsyncClient(
        transport=transport if transport is not None else FastTransport(),
        timeout=None,
        follow_redirects=False,
    )


def default_client() -> httpx.AsyncClient | FastClient:
    """The client a provider makes when given none: `FastClient`, straight to eventide's own
    transport; or, when the environment configures a proxy, an httpx client (with the same
    transport for direct connections) so that the proxy is honoured."""
    if any(urllib.request.getproxies().get(scheme) for scheme in ("http", "https", "all")):
        return new_client()
    return FastClient()


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``retry-after`` as seconds or an HTTP date."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _translate(exc: httpx.HTTPError, provider: str) -> Error:
    """The eventide error for an httpx error (never with the request headers or the key)."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connect",
            httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "pool",
        }.get(type(exc), "read")
        return StreamTimeout(f"{phase} timeout ({detail})", phase=phase, provider=provider)  # type: ignore[arg-type]
    if isinstance(exc, httpx.RemoteProtocolError):
        # "peer closed connection without sending complete message body" and friends
        return ProtocolError(f"broken HTTP response: {detail}", provider=provider)
    if isinstance(exc, httpx.DecodingError):
        return ProtocolError(f"undecodable response body: {detail}", provider=provider)
    if isinstance(exc, httpx.ConnectError):
        return TransportError(f"cannot connect: {detail}", provider=provider)
    return TransportError(f"{type(exc).__name__}: {detail}", provider=provider)


@final
class HTTPBody:
    """An open response: its headers now, its body bytes on demand, closed exactly once."""

    __slots__ = ("_response", "chunks", "headers", "status_code")

    def __init__(self, response: httpx.Response, provider: str) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.chunks: AsyncGenerator[bytes, None] = _iter_body(response, provider)

    @property
    def complete(self) -> bool:
        """Whether httpx has read the whole body (it does not say before the end: False)."""
        return self._response.is_stream_consumed and self._response.is_closed

    async def aclose(self) -> None:
        """Close the response: the connection goes back to the pool only if fully read."""
        with anyio.CancelScope(shield=True):
            try:
                await self.chunks.aclose()
            finally:
                await self._response.aclose()


async def _iter_body(response: httpx.Response, provider: str) -> AsyncGenerator[bytes, None]:
    try:
        async with aclosing(response.aiter_bytes()) as chunks:  # type: ignore[type-var]
            async for chunk in chunks:
                yield chunk
    except httpx.HTTPError as exc:
        raise _translate(exc, provider) from exc
    finally:
        await response.aclose()


def _refusal(
    status_code: int,
    headers: Mapping[str, str],
    raw: str,
    *,
    provider: str,
    error_factory: ErrorFactory,
    secrets: Sequence[str],
) -> Error:
    """The error for a response that is not a stream: an error status, or a JSON/HTML page."""
    raw = _redact(raw, secrets)
    try:
        payload: Any = json.loads(raw) if raw.lstrip().startswith(("{", "[")) else None
    except (ValueError, RecursionError):
        payload = None
    retry_after = parse_retry_after(headers)
    if 200 <= status_code < 300:
        content_type = headers.get("content-type", "")
        if isinstance(payload, dict) and payload.get("error"):
            error: Error = error_factory(
                payload, status_code=None, retry_after=retry_after, raw=raw
            )
        else:
            error = ProtocolError(
                f"expected an event stream, got {content_type or 'no content type'}",
                excerpt=" ".join(raw.split())[:200],
            )
    else:
        error = error_factory(payload, status_code=status_code, retry_after=retry_after, raw=raw)
    error.provider = provider
    return error


async def _read_text(chunks: AsyncIterator[bytes], limit: int = MAX_ERROR_BODY) -> str:
    """Up to `limit` bytes of a body, as text; what cannot be read is left out."""
    data = bytearray()
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in chunks:
            data += chunk
            if len(data) >= limit:
                break
    return bytes(data[:limit]).decode("utf-8", "replace")


async def open_body(
    client: httpx.AsyncClient | FastClient,
    method: str,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    content: bytes,
    timeouts: Timeouts,
    error_factory: ErrorFactory,
    secrets: Sequence[str] = (),
    reject_content_types: Sequence[str] = ("text/html", "application/json"),
) -> HTTPBody | FastBody:
    """Send a request and return its body once the headers say it is a stream.

    Raises:
        ProviderError: An HTTP error status (the provider's typed subclass).
        ProtocolError: A success status whose content type is in `reject_content_types`.
        TransportError: The connection failed; `StreamTimeout` for connect/write/pool/read.

    Cancellation:
        Safe to cancel at any point: a response already opened is closed.
    """
    refuse = partial(_refusal, provider=provider, error_factory=error_factory, secrets=secrets)
    rejected = tuple(reject_content_types)
    if isinstance(client, FastClient):
        budgets = {
            "connect": timeouts.connect,
            "read": timeouts.read,
            "write": timeouts.write,
            "pool": timeouts.pool,
        }
        try:
            status, received, stream = await client.open(method, url, headers, content, budgets)
        except httpx.HTTPError as exc:
            raise _translate(exc, provider) from exc
        if 200 <= status < 300 and not received.get("content-type", "").lower().startswith(
            rejected
        ):
            return FastBody(stream, received, provider)
        try:
            raw = await _read_text(stream)
        finally:
            await stream.aclose()
        raise refuse(status, received, raw)
    request = client.build_request(
        method,
        url,
        headers=headers,
        content=content,
        timeout=httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        ),
    )
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise _translate(exc, provider) from exc
    try:
        content_type = response.headers.get("content-type", "").lower()
        if not response.is_success or content_type.startswith(rejected):
            raw = await _read_text(response.aiter_bytes())
            raise refuse(response.status_code, response.headers, raw)
    except BaseException:
        await response.aclose()
        raise
    return HTTPBody(response, provider)


@final
class FastBody:
    """An open response from `FastClient`: headers now, body bytes on demand."""

    __slots__ = ("_stream", "chunks", "headers")

    def __init__(self, stream: ResponseStream, headers: Mapping[str, str], provider: str) -> None:
        self._stream = stream
        self.headers = headers
        self.chunks = _Translated(stream, provider)

    @property
    def complete(self) -> bool:
        """Whether the whole body has been read."""
        return self._stream.complete

    async def aclose(self) -> None:
        """Close the response: its connection goes back to the pool only if fully read."""
        await self._stream.aclose()  # cancel-safe: releasing is sync, closing is shielded


@final
class _Translated:
    """Body bytes, with httpx errors turned into eventide errors."""

    __slots__ = ("_provider", "_stream")

    def __init__(self, stream: AsyncIterator[bytes], provider: str) -> None:
        self._stream = stream
        self._provider = provider

    def __aiter__(self) -> _Translated:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._stream.__anext__()
        except httpx.HTTPError as exc:
            raise _translate(exc, self._provider) from exc


BodySource = Callable[[Mapping[str, Any]], AsyncIterator[bytes]]
"""Makes a response body for a decoded JSON request: an async iterator of byte chunks."""


@final
class InMemoryTransport(httpx.AsyncBaseTransport):
    """An httpx transport answering every request with a streamed body made in process.

    The offline `demo` provider and `eventide.testing` use it, so that their bytes travel the
    same path as a real server's: httpx response, body iterator, decoder, stream.
    """

    def __init__(
        self,
        source: BodySource,
        *,
        content_type: str = "text/event-stream",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._source = source
        self._headers = {"content-type": content_type, **(headers or {})}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        payload = json.loads(body) if body else {}
        return httpx.Response(200, headers=self._headers, stream=_ByteStream(self._source(payload)))


@final
class _ByteStream(httpx.AsyncByteStream):
    # An iterator class, not an async generator: closing early leaves nothing to finalise.
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        close: Callable[[], Awaitable[None]] | None = getattr(self._chunks, "aclose", None)
        if close is not None:
            await close()


@final
class ClientSlot:
    """The client a provider sends through: the caller's, or one it makes on first use.

    A client made here is owned here and closed by `aclose()`; a caller's is never closed.
    Making it lazily keeps construction free of I/O (no certificate loading at import or
    construction time).
    """

    __slots__ = ("_client", "_factory", "_owned")

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        *,
        factory: Callable[[], httpx.AsyncClient | FastClient] = default_client,
    ) -> None:
        self._client: httpx.AsyncClient | FastClient | None = client
        self._factory = factory
        self._owned = client is None

    def get(self) -> httpx.AsyncClient | FastClient:
        """The client, made on first use if the caller gave none."""
        if self._client is None:
            self._client = self._factory()
        return self._client

    async def aclose(self) -> None:
        """Close the client if this slot made it."""
        client = self._client
        if self._owned and client is not None:
            self._client = None
            await client.aclose()
