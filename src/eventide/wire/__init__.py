"""Sans-IO wire formats: bytes in, events out; request bodies out. For people adding a provider.

Nothing here imports trio, anyio or httpx (a test keeps it so).
"""

from ._base import Decoder as Decoder
from ._openai_chat import OpenAIChatDecoder as OpenAIChatDecoder
from ._openai_chat import build_chat_body as build_chat_body
from ._openai_chat import normalise_finish_reason as normalise_finish_reason
from ._openai_chat import openai_error as openai_error
from ._sse import SSEDecoder as SSEDecoder
from ._sse import SSEMessage as SSEMessage

__all__ = [
    "Decoder",
    "OpenAIChatDecoder",
    "SSEDecoder",
    "SSEMessage",
    "build_chat_body",
    "normalise_finish_reason",
    "openai_error",
]
