"""Sans-IO wire formats: bytes in, events out; request bodies out. For people adding a provider.

A decoder is the one driver (`StreamDecoder`) with a `Mapper` per API; bodies are built and
errors typed apart. Nothing here imports trio, anyio or httpx (a test keeps it so).
"""

from ._anthropic import AnthropicDecoder as AnthropicDecoder
from ._anthropic import anthropic_error as anthropic_error
from ._anthropic_body import build_anthropic_body as build_anthropic_body
from ._base import Decoder as Decoder
from ._base import ErrorPayload as ErrorPayload
from ._base import Mapper as Mapper
from ._driver import StreamDecoder as StreamDecoder
from ._error_payload import error_from_payload as error_from_payload
from ._gemini import GeminiDecoder as GeminiDecoder
from ._gemini import gemini_error as gemini_error
from ._gemini_body import build_gemini_body as build_gemini_body
from ._ndjson import NDJSONDecoder as NDJSONDecoder
from ._ollama import OllamaDecoder as OllamaDecoder
from ._ollama import ollama_error as ollama_error
from ._ollama_body import build_ollama_body as build_ollama_body
from ._openai_chat import OpenAIChatDecoder as OpenAIChatDecoder
from ._openai_chat import normalise_finish_reason as normalise_finish_reason
from ._openai_chat_body import build_chat_body as build_chat_body
from ._openai_chat_encode import ChatStreamEncoder as ChatStreamEncoder
from ._openai_chat_encode import ChatStyle as ChatStyle
from ._openai_chat_encode import encode_chat_stream as encode_chat_stream
from ._openai_errors import openai_error as openai_error
from ._openai_errors import openai_responses_error as openai_responses_error
from ._openai_responses import OpenAIResponsesDecoder as OpenAIResponsesDecoder
from ._openai_responses_body import build_responses_body as build_responses_body
from ._sse import SSEDecoder as SSEDecoder
from ._sse import SSEMessage as SSEMessage

__all__ = [
    "AnthropicDecoder",
    "ChatStreamEncoder",
    "ChatStyle",
    "Decoder",
    "ErrorPayload",
    "GeminiDecoder",
    "Mapper",
    "NDJSONDecoder",
    "OllamaDecoder",
    "OpenAIChatDecoder",
    "OpenAIResponsesDecoder",
    "SSEDecoder",
    "SSEMessage",
    "StreamDecoder",
    "anthropic_error",
    "build_anthropic_body",
    "build_chat_body",
    "build_gemini_body",
    "build_ollama_body",
    "build_responses_body",
    "encode_chat_stream",
    "error_from_payload",
    "gemini_error",
    "normalise_finish_reason",
    "ollama_error",
    "openai_error",
    "openai_responses_error",
]
