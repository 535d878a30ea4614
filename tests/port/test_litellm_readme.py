"""litellm's README and docs examples, verbatim but for the import (``from litellm import
...`` -> ``from eventide.compat.litellm import ...``), against real servers on 127.0.0.1 that
the providers' environment variables point at. Each asserts what litellm documents: an
OpenAI-shaped response, chunks whose deltas join to the answer, fallbacks, mock responses
without I/O, and a response rebuilt from chunks."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.environment import PROVIDER_VARIABLES
from tests.http_server import Received, Reply, ScriptedServer, openai_chunks, serve, serve_in_thread
from tests.kits import ANTHROPIC, OLLAMA

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

ANSWER = ["I'm ", "doing ", "well!"]


def _by_api(request: Received) -> Reply:
    """One server for every API: the path says which one the client speaks."""
    if request.path == "/v1/messages":
        return Reply(headers=ANTHROPIC.headers, body=ANTHROPIC.body(ANSWER))
    if request.path == "/api/chat":
        return Reply(headers=OLLAMA.headers, body=OLLAMA.body(ANSWER))
    return Reply(body=openai_chunks(ANSWER, model="gpt-4o-2024-08-06"))


def _configure(monkeypatch: pytest.MonkeyPatch, server: ScriptedServer) -> None:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("OLLAMA_HOST", server.url)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    with serve_in_thread(_by_api) as made:
        _configure(monkeypatch, made)
        yield made


@pytest.fixture
async def async_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ScriptedServer]:
    async with serve(_by_api) as made:
        _configure(monkeypatch, made)
        yield made


def test_readme_basic_usage_openai_and_anthropic(server: ScriptedServer) -> None:
    from eventide.compat.litellm import completion

    os.environ["OPENAI_API_KEY"] = "your-openai-key"
    os.environ["ANTHROPIC_API_KEY"] = "your-anthropic-key"

    # OpenAI
    response = completion(model="openai/gpt-4o", messages=[{"role": "user", "content": "Hello!"}])
    openai_response = response

    # Anthropic
    response = completion(
        model="anthropic/claude-sonnet-4-20250514",
        messages=[{"role": "user", "content": "Hello!"}],
    )

    assert openai_response.choices[0].message.content == "I'm doing well!"
    assert openai_response.provider == "openai"
    assert response.choices[0].message.content == "I'm doing well!"
    assert response.provider == "anthropic"
    openai_request, anthropic_request = server.requests
    assert openai_request.json()["model"] == "gpt-4o"
    assert openai_request.headers["authorization"] == "Bearer your-openai-key"
    assert anthropic_request.json()["model"] == "claude-sonnet-4-20250514"
    assert anthropic_request.headers["x-api-key"] == "your-anthropic-key"


def test_readme_streaming(server: ScriptedServer, capsys: pytest.CaptureFixture[str]) -> None:
    from eventide.compat.litellm import completion

    os.environ["OPENAI_API_KEY"] = "your-openai-key"
    messages = [{"content": "Hello, how are you?", "role": "user"}]
    response = completion(model="openai/gpt-4o", messages=messages, stream=True)
    for part in response:
        print(part.choices[0].delta.content or "")

    assert capsys.readouterr().out.split() == ["I'm", "doing", "well!"]


def test_streaming_chunks_rebuild_the_response(server: ScriptedServer) -> None:
    """litellm's docs: collect the chunks, then ``stream_chunk_builder(chunks, messages=)``.

    The usage comes from the stream's usage chunk (asked for with ``stream_options``): unlike
    litellm, eventide does not estimate token counts with a tokenizer."""
    import eventide.compat.litellm as litellm

    messages = [{"role": "user", "content": "Hey, how's it going?"}]
    response = litellm.completion(
        model="ollama/llama3.2",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(response)

    rebuilt = litellm.stream_chunk_builder(chunks, messages=messages)

    assert rebuilt is not None
    assert rebuilt.choices[0].message.content == "I'm doing well!"
    assert rebuilt.choices[0].finish_reason == "stop"
    assert rebuilt.provider == "ollama"
    assert rebuilt.usage is not None
    assert rebuilt.usage.completion_tokens == OLLAMA.usage.output_tokens
    assert server.requests[0].path == "/api/chat"


async def test_readme_async_completion(async_server: ScriptedServer) -> None:
    from eventide.compat.litellm import acompletion

    os.environ["OPENAI_API_KEY"] = "your-openai-key"

    async def test_get_response():  # type: ignore[no-untyped-def]
        user_message = "Hello, how are you?"
        messages = [{"content": user_message, "role": "user"}]
        response = await acompletion(model="openai/gpt-4o", messages=messages)
        return response

    response = await test_get_response()  # type: ignore[no-untyped-call]

    assert response.choices[0].message.content == "I'm doing well!"
    assert response.model == "gpt-4o-2024-08-06"


async def test_async_streaming(async_server: ScriptedServer) -> None:
    from eventide.compat.litellm import acompletion

    response = await acompletion(
        model="anthropic/claude-3-5-haiku-latest",
        messages=[{"content": "Hello, how are you?", "role": "user"}],
        api_key="sk-ant-test",
        stream=True,
    )
    text = ""
    async for chunk in response:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content

    assert text == "I'm doing well!"
    assert async_server.requests[0].headers["x-api-key"] == "sk-ant-test"


def test_fallbacks_move_on_to_the_next_model(server: ScriptedServer) -> None:
    """litellm's reliability docs: ``completion(model=..., fallbacks=[...])``."""
    from eventide.compat.litellm import completion

    server.queue(Reply(status=500, headers=(("content-type", "application/json"),)))
    response = completion(
        model="openai/gpt-4o",
        messages=[{"role": "user", "content": "Hello!"}],
        fallbacks=["anthropic/claude-3-5-haiku-latest"],
        api_key="sk-openai",
    )

    assert response.provider == "anthropic"
    assert response.choices[0].message.content == "I'm doing well!"
    assert [r.path for r in server.requests] == ["/v1/chat/completions", "/v1/messages"]


def test_num_retries_retries_the_same_model(server: ScriptedServer) -> None:
    from eventide.compat.litellm import completion

    server.queue(Reply(status=503, headers=(("content-type", "application/json"),)))
    response = completion(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "Hi"}], num_retries=1
    )

    assert response.choices[0].message.content == "I'm doing well!"
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2


def test_the_last_error_is_raised_under_litellm_names(server: ScriptedServer) -> None:
    import eventide.compat.litellm as litellm

    server.reply(Reply(status=429, headers=(("content-type", "application/json"),)))
    with pytest.raises(litellm.RateLimitError) as caught:
        litellm.completion(
            model="openai/gpt-4o",
            messages=[{"role": "user", "content": "Hi"}],
            fallbacks=["openai/gpt-4o-mini"],
        )

    assert caught.value.status_code == 429
    assert len(server.requests) == 2


def test_mock_response_answers_without_any_io(server: ScriptedServer) -> None:
    """litellm's docs: ``completion(model=..., messages=..., mock_response="It's simple to
    use and easy to get started")``: a whole response, with no request sent."""
    from eventide.compat.litellm import completion

    response = completion(
        model="gpt-3.5-turbo",
        messages=[{"role": "user", "content": "Hey, I'm a mock request"}],
        mock_response="It's simple to use and easy to get started",
    )

    assert response.choices[0].message.content == "It's simple to use and easy to get started"
    assert response.model == "gpt-3.5-turbo"
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (10, 20)
    assert server.requests == []


async def test_mock_response_streams_three_characters_a_chunk(
    async_server: ScriptedServer,
) -> None:
    import eventide.compat.litellm as litellm

    response = await litellm.acompletion(
        model="anthropic/claude-3-5-haiku-latest",
        messages=[{"role": "user", "content": "Hi"}],
        mock_response="Hello world",
        stream=True,
    )
    pieces = [c.choices[0].delta.content async for c in response if c.choices]

    assert [p for p in pieces if p] == ["Hel", "lo ", "wor", "ld"]
    assert async_server.requests == []


def test_mock_errors_raise_litellm_exception_names() -> None:
    import eventide
    import eventide.compat.litellm as litellm

    with pytest.raises(litellm.RateLimitError):
        litellm.completion(
            model="openai/gpt-4o", messages=[], mock_response="litellm.RateLimitError"
        )
    with pytest.raises(litellm.ContextWindowExceededError) as caught:
        litellm.completion(
            model="gpt-4o", messages=[], mock_response="litellm.ContextWindowExceededError"
        )
    assert isinstance(caught.value, litellm.BadRequestError)
    assert isinstance(caught.value, eventide.BadRequestError)
