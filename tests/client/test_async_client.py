"""AsyncClient and its OpenAI/g4f-shaped surface, over a real server on 127.0.0.1."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

import eventide
from eventide import AsyncClient, ChatCompletion, ChatCompletionChunk, Message
from eventide.providers import OpenAIChat
from tests.environment import PROVIDER_VARIABLES
from tests.fakes import mock_provider, reply
from tests.http_server import Pause, Reply, ScriptedServer, openai_chunks, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

WORDS = [f"word{i} " for i in range(100)]


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=openai_chunks(["The sky ", "is blue."], model="gpt-4o-2024"))) as s:
        yield s


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[AsyncClient]:
    provider = OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="upstream")
    async with provider, AsyncClient(provider, model="gpt-4o") as made:
        yield made


async def test_recipe_await_create_then_read_the_provider(client: AsyncClient) -> None:
    """The first recipe: ``response = await client.chat.completions.create(...)``."""
    response = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Why is the sky blue?"}]
    )
    assert isinstance(response, ChatCompletion)
    assert response.provider == "upstream"
    assert response.model == "gpt-4o-2024"
    assert response.choices[0].message.content == "The sky is blue."
    assert response.choices[0].finish_reason == "stop"
    assert (response.content, response.reasoning, response.tool_calls) == (
        "The sky is blue.",
        None,
        None,
    )
    assert response.finish_reason == "stop"
    assert response.usage is not None
    assert response.usage.completion_tokens == 2
    assert response.completion is not None
    assert response.completion.timing.total is not None
    dumped = response.model_dump()
    assert dumped["object"] == "chat.completion"
    assert dumped["provider"] == "upstream"
    assert dumped["choices"][0]["message"]["content"] == "The sky is blue."
    assert "completion" not in dumped
    assert response.to_dict() == response.model_dump(exclude_unset=True)


async def test_recipe_stream_read_the_provider_from_the_first_chunk_and_break(
    client: AsyncClient, server: ScriptedServer
) -> None:
    """The second recipe: iterate ``create(..., stream=True)``, read the provider, break."""
    server.reply(Reply(body=[p for w in openai_chunks(WORDS) for p in (Pause(0.01), w)]))
    async for chunk in client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
    ):
        assert isinstance(chunk, ChatCompletionChunk)
        provider = chunk.provider
        assert chunk.choices[0].delta.role == "assistant"
        break
    closed_at = time.monotonic()
    assert provider == "upstream"
    assert await server.wait_disconnect(timeout=2) - closed_at < 0.1
    assert server.completed == 0


async def test_create_stream_works_awaited_too_and_every_chunk_has_provider_and_model(
    client: AsyncClient,
) -> None:
    chunks = await client.chat.completions.create(messages="hi", stream=True)
    async with chunks:
        seen = [chunk async for chunk in chunks]
    assert {(c.provider, c.model) for c in seen} == {("upstream", "gpt-4o-2024")}
    text = "".join(c.choices[0].delta.content or "" for c in seen if c.choices)
    assert text == "The sky is blue."
    assert seen[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in seen)  # no usage chunk without include_usage
    assert seen[0].model_dump()["object"] == "chat.completion.chunk"


async def test_an_awaited_stream_closes_with_openais_close_too(
    client: AsyncClient, server: ScriptedServer
) -> None:
    """openai-python's ``AsyncStream.close()`` is awaited: so is `ChunkStream.close`."""
    server.reply(Reply(body=[p for w in openai_chunks(WORDS) for p in (Pause(0.01), w)]))
    stream = await client.chat.completions.create(messages="hi", stream=True)
    await stream.__anext__()
    await stream.close()
    closed_at = time.monotonic()
    assert await server.wait_disconnect(timeout=2) - closed_at < 0.1
    assert stream.events.closed
    await stream.close()  # idempotent
    assert server.completed == 0


async def test_a_refused_stream_raises_when_awaited_or_entered_and_else_when_read(
    server: ScriptedServer,
) -> None:
    """As openai-python's ``await create(stream=True)``: the refusal raises there."""
    refused = Reply(
        status=429,
        headers=(("content-type", "application/json"),),
        body=[b'{"error":{"message":"slow down","type":"requests","code":"rate_limit"}}'],
    )
    provider = OpenAIChat(base_url=f"{server.url}/v1", api_key="k")
    async with provider, AsyncClient(provider, max_retries=0) as client:
        server.reply(refused)
        with pytest.raises(eventide.RateLimitError):
            await client.chat.completions.create(messages="hi", stream=True)
        server.reply(refused)
        with pytest.raises(eventide.RateLimitError):
            async with client.chat.completions.create(messages="hi", stream=True):
                pytest.fail("entered a refused stream")
        server.reply(refused)
        chunks = client.chat.completions.create(messages="hi", stream=True)  # g4f style
        assert server.requests[2:] == []  # sent at the first read
        with pytest.raises(eventide.RateLimitError):
            await chunks.__anext__()
        assert len(server.requests) == 3


async def test_complete_stream_and_first_metadata_agree(
    client: AsyncClient, server: ScriptedServer
) -> None:
    completion = await client.complete("hi")
    metadata = await client.first_metadata(Message.user("hi").text)
    async with client.stream("hi") as events:
        first = await events.__anext__()
    assert completion.metadata == metadata == first
    assert server.requests[0].json()["model"] == "gpt-4o"


async def test_create_sends_openai_style_arguments(
    client: AsyncClient, server: ScriptedServer
) -> None:
    await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "What is this?"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "look", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "a cat"},
        ],
        tools=[
            {"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}
        ],
        tool_choice="auto",
        temperature=0.2,
        max_completion_tokens=50,
        stop="END",
        response_format={"type": "text"},
        extra_body={"top_k": 3},
    )
    body = server.requests[0].json()
    assert body["model"] == "gpt-4o-mini"
    roles = ["system", "user", "assistant", "tool"]  # not api.openai.com: developer is system
    assert [m["role"] for m in body["messages"]] == roles
    assert body["messages"][2]["tool_calls"][0]["function"]["name"] == "look"
    assert body["tools"][0]["function"]["name"] == "look"
    assert (body["temperature"], body["max_completion_tokens"], body["stop"]) == (0.2, 50, ["END"])
    assert (body["response_format"], body["top_k"]) == ({"type": "text"}, 3)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"messages": [], "stream": False}, ValueError, "must not be empty"),
        ({"messages": "hi", "stream": "yes"}, TypeError, "stream must be True or False"),
        ({"messages": "hi", "n": 2}, ValueError, "n must be 1"),
        ({"messages": "hi", "bogus": 1}, TypeError, "unexpected arguments: bogus"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, ValueError, "unknown role"),
        ({"messages": [{"role": "tool", "content": "x"}]}, ValueError, "needs tool_call_id"),
        ({"messages": [{"role": "user", "content": [{"type": "text"}]}]}, ValueError, "malformed"),
        ({"messages": "hi", "tools": [{"type": "function", "function": {}}]}, ValueError, "name"),
    ],
)
async def test_create_rejects_invalid_arguments_before_any_io(
    client: AsyncClient,
    server: ScriptedServer,
    arguments: dict[str, object],
    error: type,
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        client.chat.completions.create(**arguments)  # type: ignore[call-overload]
    assert server.requests == []


async def test_client_errors_keep_the_partial(client: AsyncClient, server: ScriptedServer) -> None:
    server.reply(Reply(body=openai_chunks(["Half"])[:2]))
    with pytest.raises(eventide.ProtocolError) as info:
        await client.chat.completions.create(messages="hi")
    assert info.value.partial is not None
    assert info.value.partial.text == "Half"


async def test_client_over_a_list_of_providers_falls_back(server: ScriptedServer) -> None:
    down = OpenAIChat(base_url="http://127.0.0.1:1/v1", api_key="k", name="down")
    up = OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="up")
    async with down, up, AsyncClient([down, up]) as client:
        response = await client.chat.completions.create(messages="hi")
    assert response.provider == "up"
    assert response.completion is not None
    assert response.completion.metadata is not None
    assert response.completion.metadata.attempts[0].provider == "down"


async def test_client_without_a_provider_uses_the_environment_or_the_named_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(eventide.ConfigurationError, match="no provider configured"):
        AsyncClient()
    async with AsyncClient(provider="demo") as client:
        response = await client.chat.completions.create(messages="hi")
    assert response.provider == "demo"
    monkeypatch.setenv("EVENTIDE_PROVIDER", "demo")
    async with AsyncClient() as client:
        assert (await client.complete("hi")).provider == "demo"
    monkeypatch.setenv("EVENTIDE_PROVIDER", "anthropic")
    assert AsyncClient().provider.name == "anthropic"


async def test_a_closed_client_raises_and_opens_nothing(server: ScriptedServer) -> None:
    provider = OpenAIChat(base_url=f"{server.url}/v1", api_key="k")
    async with provider:
        client = AsyncClient(provider)
        await client.complete("before")
        await client.aclose()
        assert client.closed
        for call in (
            lambda: client.stream("hi"),
            lambda: client.complete("hi"),
            lambda: client.first_metadata("hi"),
            lambda: client.chat.completions.create(messages="hi"),
            lambda: client.chat.completions.create(messages="hi", stream=True),
            lambda: client.batch(["hi"]),
        ):
            with pytest.raises(eventide.Error, match="AsyncClient is closed"):
                await call()  # type: ignore[misc]  # raises before there is anything to await
        await client.aclose()  # idempotent
    assert len(server.requests) == 1


async def test_chat_completion_names_the_model_a_server_named_late() -> None:
    """A server that names the served model only after the answer began: the OpenAI-shaped
    result says the served model, as `Completion.model` does, not the requested one."""
    body = [
        b'data: {"id":"c1","model":"","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
        b'data: {"id":"c1","model":"served-7b","choices":[{"index":0,"delta":{},'
        b'"finish_reason":"stop"}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    handler, _, _ = reply(body)
    async with AsyncClient(mock_provider(handler, model="alias")) as client:
        response = await client.chat.completions.create(messages="hi")
    assert response.model == "served-7b"
    assert response.choices[0].message.content == "hi"
