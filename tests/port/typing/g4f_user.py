"""A user program written against ``eventide.compat.g4f``: mypy --strict checks that each
call has the precise type g4f's users expect (``assert_type``), ``stream`` overloads
included. Not run: type-checked only."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

from eventide import ChatCompletion, ChatCompletionChunk
from eventide.client import ChunkStream, Stream
from eventide.compat import g4f
from eventide.compat.g4f import AsyncTextStream, TextChunk, TextStream
from eventide.compat.g4f.client import AsyncClient, Client

MESSAGES = [{"role": "user", "content": "Hello"}]


async def async_client(flag: bool) -> str:
    client = AsyncClient("openai", api_key="sk-x", proxies={"all": "http://proxy:3128"})
    assert_type(client.chat.completions.create("your prompt"), Awaitable[ChatCompletion])
    response = await client.chat.completions.create(MESSAGES, "gpt-4o-mini", "openai")
    assert_type(response, ChatCompletion)
    provider: str = response.provider
    stream = client.chat.completions.create(MESSAGES, "gpt-4o-mini", stream=True)
    assert_type(stream, ChunkStream)
    async for chunk in stream:
        assert_type(chunk, ChatCompletionChunk)
        provider = chunk.provider
    assert_type(client.chat.completions.stream(MESSAGES), ChunkStream)
    either = client.chat.completions.create(MESSAGES, stream=flag)
    assert_type(either, Awaitable[ChatCompletion] | ChunkStream)
    await client.aclose()
    return provider


def sync_client(flag: bool) -> str | None:
    with Client(base_url="http://localhost:8080/v1") as client:
        response = client.chat.completions.create(MESSAGES, "gpt-4o-mini", image=b"\x89PNG")
        assert_type(response, ChatCompletion)
        for chunk in client.chat.completions.create(MESSAGES, stream=True):
            assert_type(chunk, ChatCompletionChunk)
        assert_type(client.chat.completions.stream(MESSAGES), Stream[ChatCompletionChunk])
        either = client.chat.completions.create(MESSAGES, stream=flag)
        assert_type(either, ChatCompletion | Stream[ChatCompletionChunk])
        return response.choices[0].message.content


async def legacy(flag: bool) -> str:
    text = g4f.ChatCompletion.create(model="gpt-4o-mini", messages=MESSAGES, provider="openai")
    assert_type(text, str)
    assert_type(g4f.ChatCompletion.create("", MESSAGES, stream=True), TextStream)
    assert_type(g4f.ChatCompletion.create("", MESSAGES, stream=flag), str | TextStream)
    answer = await g4f.ChatCompletion.create_async(model="gpt-4o-mini", messages=MESSAGES)
    assert_type(answer, str)
    chunks = await g4f.ChatCompletion.create_async(model="", messages=MESSAGES, stream=True)
    assert_type(chunks, AsyncTextStream)
    async for chunk in chunks:
        assert_type(chunk, TextChunk)
        provider: str = chunk.name
        model: str = chunk.model
        return provider + model + text + answer
    return text
