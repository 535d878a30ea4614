"""`OpenAIResponses`: the OpenAI Responses API (``POST /responses``), and the servers and
gateways that speak it."""

from __future__ import annotations

from typing import final

from ..wire import OpenAIResponsesDecoder, build_responses_body, openai_responses_error
from ._openai import OpenAIProvider

__all__ = ["OpenAIResponses"]


@final
class OpenAIResponses(OpenAIProvider):
    """A provider for the OpenAI Responses streaming API.

    Options as for every provider (see `HTTPProvider`), with the defaults of `OpenAIChat`
    (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``OPENAI_MODEL``); ``name`` defaults to
    ``"openai-responses"``.
    """

    default_name = "openai-responses"
    path = "/responses"
    decoder = OpenAIResponsesDecoder
    body = staticmethod(build_responses_body)
    error_factory = staticmethod(openai_responses_error)
