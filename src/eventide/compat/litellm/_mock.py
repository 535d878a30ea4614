"""``mock_response=``: litellm's mock answers and mock errors, through eventide's whole
decoding path with no network I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ..._errors import ProviderError, RateLimitError, ServerError
from ..._events import Finish, Metadata, TextDelta, Usage
from ..._transport import InMemoryTransport
from ...providers import OpenAIChat, Provider
from ...wire import ChatStreamEncoder
from ._errors import ContextWindowExceededError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from ..._events import Event

__all__ = ["MOCK_COMPLETION_TOKENS", "MOCK_ERRORS", "MOCK_PROMPT_TOKENS", "mock_provider"]

MOCK_PROMPT_TOKENS: Final = 10
MOCK_COMPLETION_TOKENS: Final = 20
MOCK_ERRORS: Final[Mapping[str, tuple[type[ProviderError], int, str]]] = {
    "litellm.RateLimitError": (RateLimitError, 429, "this is a mock rate limit error"),
    "litellm.ContextWindowExceededError": (
        ContextWindowExceededError,
        400,
        "this is a mock context window exceeded error",
    ),
    "litellm.InternalServerError": (ServerError, 500, "this is a mock internal server error"),
}


def mock_provider(answer: str, *, provider: str, model: str) -> Provider:
    """A provider that answers `answer`, 3 characters a chunk as litellm's mock streams
    it, with litellm's mock usage, from an in-memory transport through the whole decoding
    path: no network I/O."""
    events: list[Event] = [Metadata(provider, model, model, response_id="chatcmpl-mock")]
    events += [TextDelta(answer[i : i + 3]) for i in range(0, len(answer), 3)]
    total = MOCK_PROMPT_TOKENS + MOCK_COMPLETION_TOKENS
    events += [Usage(MOCK_PROMPT_TOKENS, MOCK_COMPLETION_TOKENS, total), Finish("stop", "stop")]

    async def body(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        encoder = ChatStreamEncoder()
        for event in events:
            yield encoder.encode(event)

    return OpenAIChat(
        base_url="http://mock.invalid/v1",
        api_key="",
        model=model,
        name=provider,
        transport=InMemoryTransport(body),
    )
