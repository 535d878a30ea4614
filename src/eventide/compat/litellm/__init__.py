"""litellm's entry points on eventide: ``from eventide.compat import litellm``.

    response = litellm.completion(model="openai/gpt-4o-mini", messages=messages)
    print(response.provider, response.choices[0].message.content)

`completion` and `acompletion` route litellm's ``"provider/model"`` strings (the part
before the first ``/`` names a provider litellm knows: ``openai``, ``anthropic``,
``gemini``, ``ollama``, ``ollama_chat``, ``groq``, ``openrouter``, ...) to eventide's
providers; this module is the only place where that form routes. Results and chunks are
eventide's OpenAI-shaped `ChatCompletion` and `ChatCompletionChunk` (litellm's
``ModelResponse``/``ModelResponseStream`` have the same fields), with ``.provider`` where
litellm has ``_hidden_params["custom_llm_provider"]``. ``fallbacks=[...]`` and
``num_retries=`` become eventide's `Fallback` and `RetryPolicy`; ``mock_response=`` answers
through eventide's in-memory transport and the whole decoding path, with no network I/O.
litellm's exception names are eventide's own classes (aliases, or a subclass for
`ContextWindowExceededError`), so ``except litellm.RateLimitError`` keeps working. See
docs/porting.md, "From litellm".
"""

from ..._errors import AuthenticationError as AuthenticationError
from ..._errors import BadRequestError as BadRequestError
from ..._errors import NotFoundError as NotFoundError
from ..._errors import RateLimitError as RateLimitError
from ._builder import stream_chunk_builder as stream_chunk_builder
from ._completion import Fallbacks as Fallbacks
from ._completion import Messages as Messages
from ._completion import acompletion as acompletion
from ._completion import completion as completion
from ._errors import APIConnectionError as APIConnectionError
from ._errors import APIError as APIError
from ._errors import ContextWindowExceededError as ContextWindowExceededError
from ._errors import InternalServerError as InternalServerError
from ._errors import ServiceUnavailableError as ServiceUnavailableError
from ._errors import Timeout as Timeout
from ._mock import MOCK_COMPLETION_TOKENS as MOCK_COMPLETION_TOKENS
from ._mock import MOCK_PROMPT_TOKENS as MOCK_PROMPT_TOKENS
from ._routes import ROUTES as ROUTES
from ._routes import split_model as split_model
from ._streams import AsyncCompletionStream as AsyncCompletionStream
from ._streams import CompletionStream as CompletionStream

__all__ = [
    "APIConnectionError",
    "APIError",
    "AsyncCompletionStream",
    "AuthenticationError",
    "BadRequestError",
    "CompletionStream",
    "ContextWindowExceededError",
    "InternalServerError",
    "NotFoundError",
    "RateLimitError",
    "ServiceUnavailableError",
    "Timeout",
    "acompletion",
    "completion",
    "stream_chunk_builder",
]
