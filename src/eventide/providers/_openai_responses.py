"""`OpenAIResponses`: the OpenAI Responses API (``POST /responses``), and the servers and
gateways that speak it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

from ..wire._openai_responses import (
    OpenAIResponsesDecoder,
    build_responses_body,
    openai_responses_error,
)
from ._openai import OpenAIProvider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._request import Request

__all__ = ["OpenAIResponses"]


@final
class OpenAIResponses(OpenAIProvider):
    """A provider for the OpenAI Responses streaming API.

    Args:
        base_url: The API root, such as ``https://api.openai.com/v1``. Default: the
            ``OPENAI_BASE_URL`` environment variable, else the OpenAI API.
        api_key: Sent as a bearer token. Default: ``OPENAI_API_KEY``; with neither, no
            Authorization header is sent (local servers need none).
        model: The model used when the request names none. Default: ``OPENAI_MODEL``, else
            ``gpt-4o-mini``.
        name: The provider name reported in `Metadata` and errors.
        http_client: An `httpx.AsyncClient` to send through (proxies, custom transports,
            tests), which stays yours to close; or a function that makes one on first use,
            closed by `aclose()`. Default: a client made on first use, closed by `aclose()`.
        transport: A `Transport` to send through instead (the caller's to close).
        headers: Extra request headers.
        timeouts: Default time budgets of every stream (override per call).
        max_event_bytes: The longest server-sent event line or data accepted.

    The environment is read once, here; nothing is sent until a stream is read. The API key
    never appears in the repr, in errors or in logs.
    """

    default_name = "openai-responses"
    error_factory = staticmethod(openai_responses_error)

    def _url(self, model: str) -> str:
        return f"{self.base_url}/responses"

    def _body(self, request: Request, model: str) -> dict[str, Any]:
        return build_responses_body(request, model=model)

    def _decoder(self, headers: Mapping[str, str], model: str) -> OpenAIResponsesDecoder:
        return OpenAIResponsesDecoder(
            provider=self.name,
            requested_model=model,
            extra=self._extra(headers),
            max_event_bytes=self._max_event_bytes,
        )
