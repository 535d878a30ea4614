"""g4f's README and example scripts (etc/examples/), verbatim but for the import, against a
real OpenAI-compatible server on 127.0.0.1 that OPENAI_BASE_URL points at. Each asserts what
g4f documents: the answer in ``choices[0].message.content``, chunks whose
``choices[0].delta.content`` join to it, and ``.provider`` on results and chunks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.environment import PROVIDER_VARIABLES
from tests.http_server import Reply, ScriptedServer, openai_chunks, serve, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

ANSWER = ["Hello! ", "How can I ", "assist you today?"]


def _point_openai_at(monkeypatch: pytest.MonkeyPatch, server: ScriptedServer) -> None:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-port-suite")


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=openai_chunks(ANSWER, model="gpt-4o-2024-08-06"))) as made:
        _point_openai_at(monkeypatch, made)
        yield made


@pytest.fixture
def threaded_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """The server in a thread of its own, for the blocking `Client`."""
    with serve_in_thread(Reply(body=openai_chunks(ANSWER, model="gpt-4o-2024-08-06"))) as made:
        _point_openai_at(monkeypatch, made)
        yield made


def test_readme_synchronous_text_example(
    threaded_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from eventide.compat.g4f.client import Client

    client = Client()
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hello, how are you?"}],
        web_search=False,
    )
    print(response.choices[0].message.content)

    client.close()  # not in the example: g4f has no close; the suite fails on leaks
    assert capsys.readouterr().out == "Hello! How can I assist you today?\n"
    assert response.provider == "openai"
    assert response.model == "gpt-4o-2024-08-06"
    assert threaded_server.requests[0].json()["model"] == "gpt-4o-mini"


def test_example_synchronous_streaming(
    threaded_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from eventide.compat.g4f.client import Client

    question = """
Hey! How can I recursively list all files in a directory in Python?
"""
    client = Client()
    stream = client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": question}],
        stream=True,
    )

    for chunk in stream:
        if chunk.choices[0].delta.content:
            print(chunk.choices[0].delta.content or "", end="")

    client.close()  # not in the example
    assert capsys.readouterr().out == "".join(ANSWER)
    sent = threaded_server.requests[0].json()
    assert sent["messages"] == [{"role": "user", "content": question}]
    assert sent["stream"] is True


async def test_readme_async_client_example(
    server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from eventide.compat.g4f.client import AsyncClient

    client = AsyncClient()
    response = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Explain quantum computing briefly"}],
    )
    print(response.choices[0].message.content)

    await client.aclose()  # not in the example
    assert capsys.readouterr().out == "Hello! How can I assist you today?\n"
    assert response.provider == "openai"


async def test_example_async_streaming_every_chunk_names_the_provider(
    server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from eventide.compat.g4f.client import AsyncClient

    question = "Hey! How can I recursively list all files in a directory in Python?"
    client = AsyncClient()
    stream = client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": question}],
        stream=True,
    )

    providers = set()
    async for chunk in stream:
        providers.add(chunk.provider)
        if chunk.choices and chunk.choices[0].delta.content:
            print(chunk.choices[0].delta.content, end="")

    await client.aclose()  # not in the example
    assert capsys.readouterr().out == "".join(ANSWER)
    assert providers == {"openai"}


async def test_example_async_demo_with_a_system_message(server: ScriptedServer) -> None:
    from eventide.compat.g4f.client import AsyncClient

    client = AsyncClient()
    response = await client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "how does a court case get to the Supreme Court?"},
        ],
    )

    await client.aclose()  # not in the example
    assert response.choices[0].message.content == "Hello! How can I assist you today?"
    assert [m["role"] for m in server.requests[0].json()["messages"]] == ["system", "user"]


async def test_completions_stream_is_create_with_stream_true(server: ScriptedServer) -> None:
    from eventide.compat.g4f.client import AsyncClient

    async with AsyncClient() as client:
        pieces = [
            chunk.choices[0].delta.content
            async for chunk in client.chat.completions.stream("Say hello", "gpt-4o-mini")
            if chunk.choices
        ]

    assert "".join(p or "" for p in pieces) == "".join(ANSWER)
    assert server.requests[0].json()["model"] == "gpt-4o-mini"


def test_legacy_create_returns_the_text(threaded_server: ScriptedServer) -> None:
    from eventide.compat import g4f

    response = g4f.ChatCompletion.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hello"}],
        provider="openai",
    )

    assert response == "Hello! How can I assist you today?"


def test_legacy_stream_gives_the_provider_then_the_text(threaded_server: ScriptedServer) -> None:
    from eventide.compat import g4f

    chunks = list(
        g4f.ChatCompletion.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}], stream=True
        )
    )

    assert chunks[0] == ""  # where g4f sends its ProviderInfo
    assert chunks[0].get_dict() == {"name": "openai", "model": "gpt-4o-2024-08-06"}
    assert chunks[1:] == ANSWER
    assert {chunk.provider for chunk in chunks} == {"openai"}
    assert "".join(chunks) == "".join(ANSWER)


async def test_legacy_create_async_without_stream_is_the_text(server: ScriptedServer) -> None:
    from eventide.compat import g4f

    response = await g4f.ChatCompletion.create_async(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
    )

    assert response == "Hello! How can I assist you today?"
