"""`HTTPProvider`: what every HTTP provider shares. A provider module only says what differs:
the URL, the auth headers, the request body, the decoder and the error mapping."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from .._errors import AuthenticationError
from .._http_source import HTTPSource
from .._request import Request, as_request
from .._resource import AsyncResource
from .._stream import EventStream
from .._timeouts import Timeouts
from .._transport import USER_AGENT, HTTPRequest, Refusal, transport_slot
from ..wire._sse import DEFAULT_MAX_EVENT_BYTES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._transport import ErrorFactory, HTTPClientOption, Transport
    from ..wire import Decoder

__all__ = ["HTTPProvider"]


class HTTPProvider(AsyncResource):
    """The shared part of the providers that stream over HTTP. Not public: subclass it inside
    `eventide.providers` and mark the subclass `@final`.

    A subclass sets `error_factory` (the wire module's typed-error function, as a
    staticmethod) and implements `_url`, `_body` and `_decoder`. With `official_host` set,
    a request to that host without a key fails before anything is sent, with an
    `AuthenticationError` saying ``no API key: {missing_key}``.
    """

    error_factory: ErrorFactory
    official_host: ClassVar[str | None] = None
    missing_key: ClassVar[str] = ""

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
        http_client: HTTPClientOption,
        transport: Transport | None,
        headers: Mapping[str, str] | None,
        timeouts: Timeouts | None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._name = name
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._secret = secret
        self._transport = transport_slot(http_client, transport)
        self._refusal = Refusal(
            name,
            self.error_factory,
            secrets=(secret,) if secret else (),
            reject_content_types=self.reject_content_types,
        )
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
        """Close the provider, and the HTTP client or transport it made (one passed in is
        left open). Streams asked of it afterwards raise `TransportClosed`."""
        await self._transport.aclose()

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
        body = json.dumps(self._body(request, chosen), ensure_ascii=False, separators=(",", ":"))
        sent = HTTPRequest("POST", self._url(chosen), self._headers, body.encode())
        return EventStream(
            HTTPSource(
                self._transport,
                sent,
                partial(self._decoder, model=chosen),
                self._refusal,
                model=chosen,
                timeouts=timeouts if timeouts is not None else self.timeouts,
                failure=self._preflight(),
            )
        )

    def _preflight(self) -> AuthenticationError | None:
        """The error that stops a request before it is sent: no key for the official API."""
        host = self.official_host
        if self._secret or host is None or urlsplit(self.base_url).hostname != host:
            return None
        return AuthenticationError(f"no API key: {self.missing_key}", provider=self._name)

    def _url(self, model: str) -> str:
        raise NotImplementedError

    def _body(self, request: Request, model: str) -> dict[str, Any]:
        raise NotImplementedError

    def _decoder(self, headers: Mapping[str, str], model: str) -> Decoder:
        raise NotImplementedError
