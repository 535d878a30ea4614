"""`Anthropic`: the Anthropic Messages API (``POST /v1/messages`` with ``stream: true``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, final

from ..wire._anthropic import (
    ANTHROPIC_VERSION,
    AnthropicDecoder,
    anthropic_error,
    build_anthropic_body,
)
from ..wire._sse import DEFAULT_MAX_EVENT_BYTES
from ._http import HTTPProvider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._request import Request
    from .._timeouts import Timeouts
    from .._transport import HTTPClientOption, Transport

__all__ = ["Anthropic"]

ANTHROPIC_BASE_URL: Final = "https://api.anthropic.com"
DEFAULT_MODEL: Final = "claude-sonnet-4-5"
_METADATA_HEADERS: Final = (("request-id", "request_id"),)


@final
class Anthropic(HTTPProvider):
    """A provider for the Anthropic Messages streaming API.

    Args:
        base_url: The API root, without ``/v1``. Default: the ``ANTHROPIC_BASE_URL``
            environment variable, else ``https://api.anthropic.com``.
        api_key: Sent as the ``x-api-key`` header. Default: ``ANTHROPIC_API_KEY``; with
            neither, no key is sent (a local gateway may need none; api.anthropic.com fails
            fast with `AuthenticationError` before anything is sent).
        model: The model used when the request names none. Default: ``ANTHROPIC_MODEL``,
            else ``claude-sonnet-4-5``.
        name: The provider name reported in `Metadata` and errors.
        http_client: An `httpx.AsyncClient` to send through, which stays yours to close; or a
            function that makes one on first use, closed by `aclose()`. Default: a client
            made on first use, closed by `aclose()`.
        transport: A `Transport` to send through instead (the caller's to close).
        headers: Extra request headers (``anthropic-beta``, or another
            ``anthropic-version``, ...).
        timeouts: Default time budgets of every stream (override per call).
        max_event_bytes: The longest server-sent event line or data accepted.

    Every request carries ``anthropic-version: 2023-06-01``. The environment is read once,
    here; nothing is sent until a stream is read. The API key never appears in the repr, in
    errors or in logs.
    """

    error_factory = staticmethod(anthropic_error)
    official_host = "api.anthropic.com"
    missing_key = "set ANTHROPIC_API_KEY or pass api_key="

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        name: str = "anthropic",
        http_client: HTTPClientOption = None,
        transport: Transport | None = None,
        headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        auth = {"x-api-key": key} if key else {}
        super().__init__(
            name=name,
            base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or ANTHROPIC_BASE_URL,
            model=model or os.environ.get("ANTHROPIC_MODEL") or DEFAULT_MODEL,
            secret=key,
            auth_headers={**auth, "anthropic-version": ANTHROPIC_VERSION},
            http_client=http_client,
            transport=transport,
            headers=headers,
            timeouts=timeouts,
            max_event_bytes=max_event_bytes,
        )

    def _url(self, model: str) -> str:
        return f"{self.base_url}/v1/messages"

    def _body(self, request: Request, model: str) -> dict[str, Any]:
        return build_anthropic_body(request, model=model)

    def _decoder(self, headers: Mapping[str, str], model: str) -> AnthropicDecoder:
        extra = {key: headers[header] for header, key in _METADATA_HEADERS if header in headers}
        return AnthropicDecoder(
            provider=self.name,
            requested_model=model,
            extra=extra,
            max_event_bytes=self._max_event_bytes,
        )
