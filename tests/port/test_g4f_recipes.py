"""The two recipes of the gpt4free article eventide exists for, verbatim but for the import
(``from g4f.client import AsyncClient`` -> ``from eventide.compat.g4f.client import
AsyncClient``; ``import g4f`` -> ``from eventide.compat import g4f``), against a real server
on 127.0.0.1 configured through the environment, as a g4f user's code would find it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.environment import PROVIDER_VARIABLES
from tests.http_server import Reply, ScriptedServer, openai_chunks, serve, slow

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

WORDS = [f"word{i} " for i in range(200)]


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ScriptedServer]:
    """An OpenAI-compatible server that OPENAI_BASE_URL and OPENAI_API_KEY point at."""
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    async with serve(Reply(body=openai_chunks(["Paris ", "is the capital."]))) as made:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{made.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-port-suite")
        yield made


async def test_recipe_one_await_create_with_a_bare_prompt_then_read_the_provider(
    server: ScriptedServer,
) -> None:
    from eventide.compat.g4f.client import AsyncClient

    client = AsyncClient()
    response = await client.chat.completions.create("your prompt")
    provider = response.provider

    await client.aclose()  # not in the recipe: an unclosed pool is a ResourceWarning here

    assert provider == "openai"
    assert response.choices[0].message.content == "Paris is the capital."
    sent = server.requests[0].json()
    assert sent["messages"] == [{"role": "user", "content": "your prompt"}]
    assert server.requests[0].headers["authorization"] == "Bearer sk-port-suite"


async def test_recipe_two_legacy_stream_read_the_provider_from_the_first_chunk_and_break(
    server: ScriptedServer,
) -> None:
    from eventide.compat import g4f

    server.reply(Reply(body=slow(openai_chunks(WORDS))))

    async for chunk in await g4f.ChatCompletion.create_async(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "your prompt"}],
        stream=True,
    ):
        provider = chunk.name
        break
    closed_at = time.monotonic()

    assert provider == "openai"
    assert await server.wait_disconnect(timeout=2) - closed_at < 0.1  # the server saw it
    assert server.completed == 0
