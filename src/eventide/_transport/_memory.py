"""`InMemoryTransport`: a `Transport` that answers every request with a body made in process.

The offline `demo` provider uses it, so that its bytes travel the same path as a real
server's: response, body chunks, decoder, stream.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, final

import anyio.lowlevel

from .._resource import AsyncResource
from ._base import TransportClosed

if TYPE_CHECKING:
    from .._timeouts import Timeouts
    from ._base import HTTPRequest

__all__ = ["BodySource", "InMemoryTransport", "MemoryResponse"]

BodySource = Callable[[Mapping[str, Any]], AsyncIterator[bytes]]
"""Makes a response body for a decoded JSON request: an async iterator of byte chunks."""


@final
class InMemoryTransport(AsyncResource):
    """Answers every request with status 200 and the body `source` makes for its JSON.

    Args:
        source: Makes the body's chunks from the request's decoded JSON body.
        content_type: The response's content type.
        headers: More response headers.
    """

    __slots__ = ("_closed", "_headers", "_source")

    def __init__(
        self,
        source: BodySource,
        *,
        content_type: str = "text/event-stream",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._source = source
        self._headers = {"content-type": content_type, **(headers or {})}
        self._closed = False

    async def open(self, request: HTTPRequest, timeouts: Timeouts) -> MemoryResponse:
        """Answer `request` (see `Transport.open`); it checkpoints like a real send."""
        if self._closed:
            raise TransportClosed("the transport has been closed")
        await anyio.lowlevel.checkpoint()
        payload = json.loads(request.body) if request.body else {}
        return MemoryResponse(200, self._headers, self._source(payload))

    async def aclose(self) -> None:
        """Refuse later requests."""
        self._closed = True


@final
class MemoryResponse:
    """A response whose body is an async iterator of bytes made in process."""

    __slots__ = ("_body", "complete", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: AsyncIterator[bytes]) -> None:
        self.status = status
        self.headers = headers
        self._body = body
        self.complete = False

    @property
    def chunks(self) -> MemoryResponse:
        return self

    def __aiter__(self) -> MemoryResponse:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._body.__anext__()
        except StopAsyncIteration:
            self.complete = True
            raise

    async def aclose(self) -> None:
        """Close the body's iterator (an async generator is finalised here, not at GC)."""
        close: Callable[[], Awaitable[None]] | None = getattr(self._body, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()
