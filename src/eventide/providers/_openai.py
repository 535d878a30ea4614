"""`OpenAIChat`: any OpenAI-compatible Chat Completions endpoint (OpenAI, OpenRouter, Groq,
DeepSeek, vLLM, llama.cpp, LM Studio, LiteLLM, ...)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, final

from ..wire import OpenAIChatDecoder, build_chat_body, openai_error
from ..wire._sse import DEFAULT_MAX_EVENT_BYTES
from ._http import HTTPProvider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._request import Request
    from .._timeouts import Timeouts
    from .._transport import HTTPClientOption, Transport

__all__ = ["OpenAIChat", "OpenAIProvider"]

OPENAI_BASE_URL: Final = "https://api.openai.com/v1"
DEFAULT_MODEL: Final = "gpt-4o-mini"
_METADATA_HEADERS: Final = (
    ("x-request-id", "request_id"),
    ("openai-processing-ms", "processing_ms"),
)


class OpenAIProvider(HTTPProvider):
    """What the OpenAI APIs share: the key, base URL and default model from the
    ``OPENAI_*`` environment variables, bearer auth, a fail-fast check for a missing key on
    the OpenAI API itself, and the request id in `Metadata.extra`."""

    default_name: str
    official_host = "api.openai.com"
    missing_key = "set OPENAI_API_KEY or pass api_key="

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        name: str | None = None,
        http_client: HTTPClientOption = None,
        transport: Transport | None = None,
        headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        super().__init__(
            name=name or self.default_name,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL,
            model=model or os.environ.get("OPENAI_MODEL") or DEFAULT_MODEL,
            secret=key,
            auth_headers={"authorization": f"Bearer {key}"} if key else {},
            http_client=http_client,
            transport=transport,
            headers=headers,
            timeouts=timeouts,
            max_event_bytes=max_event_bytes,
        )

    @staticmethod
    def _extra(headers: Mapping[str, str]) -> dict[str, str]:
        """The response headers worth keeping in `Metadata.extra`."""
        return {key: headers[header] for header, key in _METADATA_HEADERS if header in headers}


@final
class OpenAIChat(OpenAIProvider):
    """A provider for the OpenAI Chat Completions streaming API and its many compatibles.

    Args:
        base_url: The API root, such as ``https://openrouter.ai/api/v1``. Default: the
            ``OPENAI_BASE_URL`` environment variable, else the OpenAI API.
        api_key: Sent as a bearer token. Default: ``OPENAI_API_KEY``; with neither, no
            Authorization header is sent (local servers need none).
        model: The model used when the request names none. Default: ``OPENAI_MODEL``, else
            ``gpt-4o-mini``.
        name: The provider name reported in `Metadata` and errors (``"groq"``, ...).
        http_client: An `httpx.AsyncClient` to send through (proxies, custom transports,
            tests), which stays yours to close; or a function that makes one on first use,
            closed by `aclose()`. Default: a client made on first use, closed by `aclose()`.
        transport: A `Transport` to send through instead (the caller's to close).
        headers: Extra request headers (OpenRouter's ``HTTP-Referer``, ...).
        timeouts: Default time budgets of every stream (override per call).
        max_event_bytes: The longest server-sent event line or data accepted.

    The environment is read once, here; nothing is sent until a stream is read. The API key
    never appears in the repr, in errors or in logs.
    """

    default_name = "openai"
    error_factory = staticmethod(openai_error)

    def _url(self, model: str) -> str:
        return f"{self.base_url}/chat/completions"

    def _body(self, request: Request, model: str) -> dict[str, Any]:
        return build_chat_body(request, model=model)

    def _decoder(self, headers: Mapping[str, str], model: str) -> OpenAIChatDecoder:
        return OpenAIChatDecoder(
            provider=self.name,
            requested_model=model,
            extra=self._extra(headers),
            max_event_bytes=self._max_event_bytes,
        )
