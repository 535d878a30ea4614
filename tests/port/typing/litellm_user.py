"""A user program written against ``eventide.compat.litellm``: mypy --strict checks that
each call has the precise type (``assert_type``), ``stream`` overloads included. Not run:
type-checked only."""

from __future__ import annotations

from typing import assert_type

import eventide.compat.litellm as litellm
from eventide import ChatCompletion, ChatCompletionChunk
from eventide.compat.litellm import AsyncCompletionStream, CompletionStream

MESSAGES = [{"role": "user", "content": "Hello"}]


def sync_calls(flag: bool) -> str | None:
    response = litellm.completion(model="openai/gpt-4o-mini", messages=MESSAGES)
    assert_type(response, ChatCompletion)
    stream = litellm.completion("anthropic/claude-3-5-haiku-latest", MESSAGES, stream=True)
    assert_type(stream, CompletionStream)
    chunks = list(stream)
    assert_type(chunks, list[ChatCompletionChunk])
    rebuilt = litellm.stream_chunk_builder(chunks, messages=MESSAGES)
    assert_type(rebuilt, ChatCompletion | None)
    either = litellm.completion("gpt-4o", MESSAGES, stream=flag)
    assert_type(either, ChatCompletion | CompletionStream)
    mocked = litellm.completion(
        "gpt-4o", MESSAGES, mock_response="hi", fallbacks=["groq/llama3"], num_retries=2
    )
    return mocked.provider + (response.choices[0].message.content or "")


async def async_calls(flag: bool) -> str:
    response = await litellm.acompletion(model="openai/gpt-4o-mini", messages=MESSAGES)
    assert_type(response, ChatCompletion)
    stream = await litellm.acompletion("openai/gpt-4o-mini", MESSAGES, stream=True)
    assert_type(stream, AsyncCompletionStream)
    async with stream:
        async for chunk in stream:
            assert_type(chunk, ChatCompletionChunk)
    either = await litellm.acompletion("gpt-4o", MESSAGES, stream=flag)
    assert_type(either, ChatCompletion | AsyncCompletionStream)
    try:
        await litellm.acompletion("gpt-4o", MESSAGES, timeout=30.0)
    except litellm.RateLimitError as exc:
        assert_type(exc.retry_after, float | None)
    except litellm.ContextWindowExceededError as exc:
        assert_type(exc.status_code, int | None)
    except (litellm.APIConnectionError, litellm.Timeout) as exc:
        return exc.message
    return response.provider
