"""`Gemini`: Google's Gemini API (generativelanguage.googleapis.com), streamed over
``models/{model}:streamGenerateContent?alt=sse``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, final
from urllib.parse import quote

from ..wire._gemini import GeminiDecoder, build_gemini_body, gemini_error
from ..wire._sse import DEFAULT_MAX_EVENT_BYTES
from ._http import HTTPProvider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._request import Request
    from .._timeouts import Timeouts
    from .._transport import HTTPClientOption, Transport

__all__ = ["Gemini"]

GEMINI_BASE_URL: Final = "https://generativelanguage.googleapis.com/v1beta"
DEFAULT_MODEL: Final = "gemini-flash-latest"
"""Google's alias for its newest Flash model; `Metadata.model` names the version that served."""


@final
class Gemini(HTTPProvider):
    """A provider for the Gemini API's streaming ``streamGenerateContent`` method.

    Args:
        base_url: The API root, such as ``https://generativelanguage.googleapis.com/v1beta``
            (the default, unless the ``GEMINI_BASE_URL`` environment variable is set).
        api_key: Sent in the ``x-goog-api-key`` header. Default: ``GEMINI_API_KEY``, else
            ``GOOGLE_API_KEY``; with none, no key header is sent (a proxy may add its own).
        model: The model used when the request names none. Default: ``GEMINI_MODEL``, else
            ``gemini-flash-latest``. A bare id goes under ``models/``; a resource name
            such as ``tunedModels/my-model`` is used as it is.
        name: The provider name reported in `Metadata` and errors.
        http_client: An `httpx.AsyncClient` to send through (proxies, custom transports,
            tests), which stays yours to close; or a function that makes one on first use,
            closed by `aclose()`. Default: a client made on first use, closed by `aclose()`.
        transport: A `Transport` to send through instead (the caller's to close).
        headers: Extra request headers.
        timeouts: Default time budgets of every stream (override per call).
        max_event_bytes: The longest server-sent event line or data accepted.

    The environment is read once, here; nothing is sent until a stream is read. The API key
    never appears in the repr, in errors or in logs (it is sent in a header, never in the
    URL). The body has no end-of-stream sentinel: a stream is complete when the server
    closes the body after a finish reason.
    """

    error_factory = staticmethod(gemini_error)
    official_host = "generativelanguage.googleapis.com"
    missing_key = "set GEMINI_API_KEY (or GOOGLE_API_KEY) or pass api_key="

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        name: str = "gemini",
        http_client: HTTPClientOption = None,
        transport: Transport | None = None,
        headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        key = (
            api_key
            if api_key is not None
            else os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")
        )
        super().__init__(
            name=name,
            base_url=base_url or os.environ.get("GEMINI_BASE_URL") or GEMINI_BASE_URL,
            model=model or os.environ.get("GEMINI_MODEL") or DEFAULT_MODEL,
            secret=key,
            auth_headers={"x-goog-api-key": key} if key else {},
            http_client=http_client,
            transport=transport,
            headers=headers,
            timeouts=timeouts,
            max_event_bytes=max_event_bytes,
        )

    def _url(self, model: str) -> str:
        resource = model if "/" in model else f"models/{model}"
        return f"{self.base_url}/{quote(resource, safe='/')}:streamGenerateContent?alt=sse"

    def _body(self, request: Request, model: str) -> dict[str, Any]:
        return build_gemini_body(request, model=model)

    def _decoder(self, headers: Mapping[str, str], model: str) -> GeminiDecoder:
        return GeminiDecoder(
            provider=self.name,
            requested_model=model,
            max_event_bytes=self._max_event_bytes,
        )
