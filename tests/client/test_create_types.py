"""``chat.completions.create`` as mypy --strict sees it (tests/test_lint.py runs mypy on this
file): `assert_type` pins each overload's return type, and every ``# type: ignore[...]``
below must be needed, since strict mode reports an unused one: a keyword or value that
openai-python's signature refuses and mypy accepted here would fail the lint."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

import pytest

from eventide import AsyncClient, ChatCompletion, ChatCompletionChunk, Client
from eventide.client._chunks import ChunkStream
from eventide.providers import OpenAIChat
from tests.http_server import Reply, ScriptedServer, openai_chunks, serve_in_thread
from tests.kits import KITS, Kit

TOOLS = [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}]


@pytest.mark.parametrize("kit", [KITS[0]], ids=str)
async def test_create_returns_what_its_overloads_say(server: ScriptedServer, kit: Kit) -> None:
    async with kit.provider(server.url) as provider, AsyncClient(provider) as client:
        completion = await client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            tools=TOOLS,
            tool_choice="auto",
            temperature=0.2,
            logprobs=False,
            top_logprobs=0,
            metadata={"team": "docs"},
            service_tier="flex",
            reasoning_effort="minimal",
            verbosity="low",
            stop=["END"],
            extra_headers={"x-trace": "1"},
            extra_body={"top_k": 3},
            timeout=5.0,
        )
        assert_type(completion, ChatCompletion)
        assert isinstance(completion, ChatCompletion)

        chunks = client.chat.completions.create(
            messages="hi", stream=True, stream_options={"include_usage": True}
        )
        assert_type(chunks, ChunkStream)
        try:
            first = await anext(chunks)
        finally:
            await chunks.aclose()
        assert_type(first, ChatCompletionChunk)

        flag = bool(len(server.requests))  # a bool mypy cannot narrow
        either = client.chat.completions.create(messages="hi", stream=flag)
        assert_type(either, Awaitable[ChatCompletion] | ChunkStream)
        assert isinstance(either, ChunkStream)
        await either.aclose()

        awaited = client.chat.completions.create(messages="hi", stream=False)
        assert_type(awaited, Awaitable[ChatCompletion])
        assert isinstance(await awaited, ChatCompletion)


def test_the_sync_client_returns_a_completion() -> None:
    with (
        serve_in_thread(Reply(body=openai_chunks(["Hi"]))) as server,
        Client(OpenAIChat(base_url=f"{server.url}/v1", api_key="k")) as client,
    ):
        completion = client.chat.completions.create(messages="hi", seed=1, timeout=5)
        assert_type(completion, ChatCompletion)
        assert isinstance(completion, ChatCompletion)


def test_mypy_refuses_what_openai_python_refuses() -> None:
    """At run time too: each of these is a TypeError before any I/O."""
    client = AsyncClient(OpenAIChat(base_url="http://127.0.0.1:9/v1", api_key="k"))
    create = client.chat.completions.create
    with pytest.raises(TypeError, match="extra_body="):
        create(messages="hi", temprature=0.2)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="tools="):
        create(messages="hi", functions=[{"name": "f"}])  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="must be a boolean"):
        create(messages="hi", logprobs="yes")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="stream must be True or False"):
        create(messages="hi", stream="yes")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="temperature must be a number"):
        create(messages="hi", temperature="hot")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="timeout must be seconds or Timeouts, not a string"):
        create(messages="hi", timeout="60")  # type: ignore[call-overload]
