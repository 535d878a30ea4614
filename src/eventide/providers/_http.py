"""`HTTPProvider`: what every HTTP provider shares. A provider module only says what differs:
the URL, the auth headers, the request body, the decoder and the error mapping."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._http_source import Body, HTTPSource
from .._request import Request, as_request
from .._resource import AsyncResource
from .._stream import EventStream
from .._timeouts import Timeouts
from .._transport import USER_AGENT, ClientSlot, ErrorFactory, open_body
from ..wire._sse import DEFAULT_MAX_EVENT_BYTES

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import httpx

    from ..wire import Decoder

__all__ = ["HTTPProvider"]


class HTTPProvider(AsyncResource):
    """The shared part of the providers that stream over HTTP. Not public: subclass it inside
    `eventide.providers` and mark the subclass `@final`.

    A subclass sets `error_factory` (the wire module's typed-error function, as a
    staticmethod) and implements `_url`, `_body` and `_decoder`; it may override
    `_preflight` to fail fast before anything is sent.
    """

    error_factory: ErrorFactory

    content_type: str = "application/json"
    accept: str = "text/event-stream"
    reject_content_types: tuple[str, ...] = ("text/html", "application/json")

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        model: str,
        secret: str | None,
        auth_headers: Mapping[str, str],
        http_client: httpx.AsyncClient | Callable[[], httpx.AsyncClient] | None,
        headers: Mapping[str, str] | None,
        timeouts: Timeouts | None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._name = name
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._secret = secret
        if http_client is None:
            self._client = ClientSlot(None)
        elif callable(http_client):  # a factory: the client it makes is ours to close
            self._client = ClientSlot(None, factory=http_client)
        else:
            self._client = ClientSlot(http_client)
        self._headers = {
            "user-agent": USER_AGENT,
            "accept": self.accept,
            "content-type": self.content_type,
            **auth_headers,
            **(headers or {}),
        }
        self.timeouts = timeouts if timeouts is not None else Timeouts()
        self._max_event_bytes = max_event_bytes

    @property
    def name(self) -> str:
        """The provider name reported in `Metadata` and errors."""
        return self._name

    def __repr__(self) -> str:
        key = "set" if self._secret else "unset"
        return (
            f"{type(self).__name__}(name={self._name!r}, base_url={self.base_url!r}, api_key={key})"
        )

    async def aclose(self) -> None:
        """Close the HTTP client this provider made (a client passed in is left open)."""
        await self._client.aclose()

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events of the response to `request`. Does no I/O until the stream is read.

        Args:
            request: A `Request`, or a prompt string (one user message).
            model: Overrides the request's model and the provider's default.
            timeouts: Replaces the provider's `timeouts` for this stream.
        """
        request = as_request(request, model=model)
        chosen = request.model or self.model
        content = json.dumps(
            self._body(request, chosen), ensure_ascii=False, separators=(",", ":")
        ).encode()
        url = self._url(chosen)
        budgets = timeouts if timeouts is not None else self.timeouts

        async def open_response() -> Body:
            self._preflight()
            return await open_body(
                self._client.get(),
                "POST",
                url,
                provider=self._name,
                headers=self._headers,
                content=content,
                timeouts=budgets,
                error_factory=self.error_factory,
                secrets=(self._secret,) if self._secret else (),
                reject_content_types=self.reject_content_types,
            )

        def decoder(headers: Mapping[str, str]) -> Decoder:
            return self._decoder(headers, chosen)

        return EventStream(
            HTTPSource(open_response, decoder, provider=self._name, model=chosen, timeouts=budgets)
        )

    def _preflight(self) -> None:
        """Raise an `eventide.Error` here to fail before anything is sent."""

    def _url(self, model: str) -> str:
        raise NotImplementedError

    def _body(self, request: Request, model: str) -> dict[str, Any]:
        raise NotImplementedError

    def _decoder(self, headers: Mapping[str, str], model: str) -> Decoder:
        raise NotImplementedError
