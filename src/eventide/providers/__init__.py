"""Providers: an endpoint, its authentication, a request builder and a decoder, over HTTP."""

from ._anthropic import Anthropic as Anthropic
from ._base import Provider as Provider
from ._demo import demo as demo
from ._gemini import Gemini as Gemini
from ._ollama import Ollama as Ollama
from ._openai import OpenAIChat as OpenAIChat
from ._openai_responses import OpenAIResponses as OpenAIResponses
from ._registry import PROVIDER_NAMES as PROVIDER_NAMES
from ._registry import configured_provider_name as configured_provider_name
from ._registry import provider_from_name as provider_from_name
from ._registry import split_model as split_model

__all__ = [
    "PROVIDER_NAMES",
    "Anthropic",
    "Gemini",
    "Ollama",
    "OpenAIChat",
    "OpenAIResponses",
    "Provider",
    "configured_provider_name",
    "demo",
    "provider_from_name",
    "split_model",
]
