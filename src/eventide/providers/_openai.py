"""`OpenAIChat`: any OpenAI-compatible Chat Completions endpoint (OpenAI, OpenRouter, Groq,
DeepSeek, vLLM, llama.cpp, LM Studio, LiteLLM, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack, final

from ..wire import OpenAIChatDecoder, build_chat_body, openai_error
from ._http import HTTPProvider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._http import ProviderOptions

__all__ = ["OpenAIChat", "OpenAIProvider"]


class OpenAIProvider(HTTPProvider):
    """What the OpenAI APIs share: the key, base URL and default model from the
    ``OPENAI_*`` environment variables, bearer auth, a fail-fast check for a missing key on
    the OpenAI API itself, the request id in `Metadata.extra`, and a developer message sent
    with its role to the OpenAI API only: the compatible servers (LM Studio, llama.cpp, vLLM,
    DeepSeek, Groq, ...) take the roles system, user, assistant and tool, so any other base
    URL is sent it as a system message."""

    default_base_url = "https://api.openai.com/v1"
    default_model = "gpt-4o-mini"
    base_url_env = ("OPENAI_BASE_URL",)
    key_env = ("OPENAI_API_KEY",)
    model_env = ("OPENAI_MODEL",)
    metadata_headers = (("x-request-id", "request_id"), ("openai-processing-ms", "processing_ms"))
    official_host = "api.openai.com"
    missing_key = "set OPENAI_API_KEY or pass api_key="

    def _body_options(self) -> Mapping[str, Any]:
        return {"developer_role": self._official()}


@final
class OpenAIChat(OpenAIProvider):
    """A provider for the OpenAI Chat Completions streaming API and its many compatibles.

    Options as for every provider (see `HTTPProvider`): ``base_url`` defaults to
    ``OPENAI_BASE_URL``, else the OpenAI API (``https://openrouter.ai/api/v1``, a local
    ``http://localhost:8080/v1``, or an Azure deployment URL with its ``?api-version=``
    query); ``api_key`` to ``OPENAI_API_KEY``, sent as a bearer token (with neither, no
    Authorization header: local servers need none); ``model`` to ``OPENAI_MODEL``, else
    ``gpt-4o-mini``; ``name`` to ``"openai"`` (``"groq"``, ...); ``headers`` adds request
    headers (OpenRouter's ``HTTP-Referer``, ...).

    Args:
        interleaved_tool_calls: For a server that interleaves the fragments of parallel
            tool calls: hold every `ToolCall` to the finish chunk. By default each call is
            sent as soon as the next one starts, and a fragment for a call already sent is
            a `ProtocolError` (docs/providers.md, "Tool calls").
        **options: The options of every provider.
    """

    default_name = "openai"
    path = "/chat/completions"
    decoder = OpenAIChatDecoder
    body = staticmethod(build_chat_body)
    error_factory = staticmethod(openai_error)

    def __init__(
        self, *, interleaved_tool_calls: bool = False, **options: Unpack[ProviderOptions]
    ) -> None:
        super().__init__(**options)
        self.interleaved_tool_calls = interleaved_tool_calls

    def _decoder_options(self) -> Mapping[str, Any]:
        return {"interleaved_tool_calls": self.interleaved_tool_calls}
