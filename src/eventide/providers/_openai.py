"""`OpenAIChat`: any OpenAI-compatible Chat Completions endpoint (OpenAI, OpenRouter, Groq,
DeepSeek, vLLM, llama.cpp, LM Studio, LiteLLM, ...)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Final, final
from urllib.parse import urlsplit

from .._errors import AuthenticationError
from .._request import Request, as_request
from .._stream import Body, EventStream
from .._timeouts import Timeouts
from .._transport import ClientSlot, open_body
from ..wire import OpenAIChatDecoder, build_chat_body, openai_error
from ..wire._sse import DEFAULT_MAX_EVENT_BYTES

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    import httpx

__all__ = ["OpenAIChat"]

OPENAI_BASE_URL: Final = "https://api.openai.com/v1"
DEFAULT_MODEL: Final = "gpt-4o-mini"
_METADATA_HEADERS: Final = (
    ("x-request-id", "request_id"),
    ("openai-processing-ms", "processing_ms"),
)


@final
class OpenAIChat:
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
            tests); it stays yours to close. Default: one made on first use, closed by
            `aclose()`.
        headers: Extra request headers (OpenRouter's ``HTTP-Referer``, ...).
        timeouts: Default time budgets of every stream (override per call).
        max_event_bytes: The largest server-sent event accepted.

    The environment is read once, here; nothing is sent until a stream is read. The API key
    never appears in the repr, in errors or in logs.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        name: str = "openai",
        http_client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        root = base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL
        self.base_url = root.rstrip("/")
        self._api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.model = model or os.environ.get("OPENAI_MODEL") or DEFAULT_MODEL
        self._name = name
        self._client = ClientSlot(http_client)
        self._headers = {
            "accept": "text/event-stream",
            "content-type": "application/json",
            **(headers or {}),
        }
        if self._api_key:
            self._headers["authorization"] = f"Bearer {self._api_key}"
        self.timeouts = timeouts if timeouts is not None else Timeouts()
        self._max_event_bytes = max_event_bytes

    @property
    def name(self) -> str:
        """The provider name reported in `Metadata` and errors."""
        return self._name

    def __repr__(self) -> str:
        key = "set" if self._api_key else "unset"
        return f"OpenAIChat(name={self._name!r}, base_url={self.base_url!r}, api_key={key})"

    async def __aenter__(self) -> OpenAIChat:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

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
            build_chat_body(request, model=chosen), ensure_ascii=False, separators=(",", ":")
        ).encode()
        budgets = timeouts if timeouts is not None else self.timeouts

        async def open_response() -> Body:
            if not self._api_key and urlsplit(self.base_url).hostname == "api.openai.com":
                raise AuthenticationError(
                    "no API key: set OPENAI_API_KEY or pass api_key=", provider=self._name
                )
            return await open_body(
                self._client.get(),
                "POST",
                f"{self.base_url}/chat/completions",
                provider=self._name,
                headers=self._headers,
                content=content,
                timeouts=budgets,
                error_factory=openai_error,
                secrets=(self._api_key,) if self._api_key else (),
            )

        def decoder(headers: Mapping[str, str]) -> OpenAIChatDecoder:
            extra = {key: headers[header] for header, key in _METADATA_HEADERS if header in headers}
            return OpenAIChatDecoder(
                provider=self._name,
                requested_model=chosen,
                extra=extra,
                max_event_bytes=self._max_event_bytes,
            )

        return EventStream(
            open_response, decoder, provider=self._name, model=chosen, timeouts=budgets
        )
