"""What a provider is, for the code that consumes one (routers, clients, the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    from types import TracebackType

    from .._request import Request
    from .._stream import EventStream
    from .._timeouts import Timeouts

__all__ = ["Provider"]


@runtime_checkable
class Provider(Protocol):
    """Anything that turns a request into an `EventStream`.

    `stream()` does no I/O: the request is sent when the stream is first read. A provider
    is an async context manager that releases what it holds on exit.
    """

    @property
    def name(self) -> str:
        """The provider's name, as it appears in `Metadata.provider`."""

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events of the response to `request` (a `Request`, or a prompt string)."""

    async def aclose(self) -> None:
        """Release what the provider holds (the HTTP client it made, if any)."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Calls `aclose()`."""
