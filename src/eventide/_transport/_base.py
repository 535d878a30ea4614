"""The transport interface, in eventide's own vocabulary: a request value in, a response out.

Every transport (the built-in HTTP/1.1 one, the in-memory one, the adapter for a caller's
httpx client) implements `Transport`: `open()` sends an `HTTPRequest` and returns a
`Response` once its head is in; the body's bytes come from `Response.chunks`. A transport
raises only eventide errors: `TransportError` (the connection failed), `StreamTimeout`
(with the phase that ran out: connect, read, write or pool) and `ProtocolError` (the
server's bytes are not HTTP). A closed transport raises `TransportClosed`, and a request
it cannot encode `RequestError` (see `unsendable`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, final

import attrs

from .._errors import RequestError, TransportError
from .._resource import AsyncResource
from .._secrets import REDACTED, is_credential

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Coroutine

    from .._timeouts import Timeouts

__all__ = [
    "HTTPRequest",
    "Response",
    "Transport",
    "TransportClosed",
    "TransportSlot",
    "unsendable",
]


def _shown(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The headers with the values of credentials hidden, for the repr."""
    return tuple((name, REDACTED if is_credential(name) else value) for name, value in headers)


def _pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(headers.items()) if isinstance(headers, Mapping) else tuple(headers)


@final
@attrs.frozen
class HTTPRequest:
    """One HTTP request, as a value: what a provider builds and a transport sends.

    Attributes:
        method: ``"POST"``, ``"GET"``, ...
        url: The absolute URL.
        headers: Name and value pairs, in order (a mapping or any iterable of pairs is
            accepted and kept in order).
        body: The request body.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_pairs, repr=lambda headers: repr(_shown(headers))
    )
    body: bytes = b""


class Response(Protocol):
    """An open response: `status` and `headers` (by lower-case name, repeated fields joined
    with ``", "``) now; `chunks`, the body's bytes one network read at a time (with any
    Content-Encoding the transport negotiated undone); `complete` once the whole body is
    read (so the connection can be reused); `aclose()`, idempotent and cancel-safe."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def chunks(self) -> AsyncIterator[bytes]: ...
    @property
    def complete(self) -> bool: ...
    async def aclose(self) -> None: ...


class Transport(Protocol):
    """Sends requests. See the module docstring for the errors it may raise."""

    async def open(self, request: HTTPRequest, timeouts: Timeouts) -> Response:
        """Send `request`; return the response once its head is in. `timeouts` gives the
        connect, read, write and pool budgets (the others belong to the stream).

        Cancellation:
            Safe to cancel: a connection opened for the request is closed.
        """

    async def aclose(self) -> None:
        """Release what the transport holds; later `open()` calls raise `TransportClosed`."""


class TransportClosed(TransportError):
    """A request went to a transport (or a provider) that has been closed."""

    kind = "closed"
    retryable = False


def unsendable(reason: str) -> RequestError:
    """The error for a request a transport cannot encode (a URL or a header value HTTP cannot
    carry): found before any I/O, and never with a header's value, which may be the key."""
    return RequestError(f"cannot send the request: {reason}")


@final
class TransportSlot(AsyncResource):
    """The transport a provider sends through: the caller's, or one made on first use.

    A transport made here is owned here and closed by `aclose()`; the caller's is left
    open. Making it lazily keeps construction free of I/O. After `aclose()` the slot is
    closed for good: `open()` raises `TransportClosed` rather than making a new transport.

    Args:
        transport: The caller's transport; None to make one with `factory` on first use.
        factory: Makes the transport this slot owns.
    """

    __slots__ = ("_closed", "_factory", "_owned", "_transport")

    def __init__(
        self, transport: Transport | None = None, *, factory: Callable[[], Transport] | None = None
    ) -> None:
        self._transport = transport
        self._factory = factory
        self._owned = transport is None
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether `aclose()` has been called."""
        return self._closed

    def get(self) -> Transport:
        """The transport, made on first use.

        Raises:
            TransportClosed: The slot has been closed.
        """
        if self._closed:
            raise TransportClosed("the provider has been closed: make a new one to send again")
        if self._transport is None:
            assert self._factory is not None
            self._transport = self._factory()
        return self._transport

    def open(self, request: HTTPRequest, timeouts: Timeouts) -> Coroutine[Any, Any, Response]:
        """Send through the slot's transport (see `Transport.open`): its own coroutine,
        without one of the slot's around it (a frame less to keep per waiting stream).

        Raises:
            TransportClosed: The slot has been closed.
        """
        return self.get().open(request, timeouts)

    async def aclose(self) -> None:
        """Close the slot, and the transport if this slot made it."""
        self._closed = True
        transport, self._transport = self._transport, None
        if self._owned and transport is not None:
            await transport.aclose()
