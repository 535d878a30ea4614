"""`OpenAI` and `AsyncOpenAI` as the SDK's constructors: arguments, environment variables,
what is sent, what is absent, and how the clients close."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import pytest

import eventide
from eventide.compat.openai import AsyncOpenAI, OpenAI, OpenAIError
from tests.port.conftest import OPENAI_KEY

if TYPE_CHECKING:
    from eventide.client import ChatCompletionChunk, Stream
    from tests.http_server import ScriptedServer

HELLO = "Hello, world"


def test_openai_client_reads_the_sdk_environment(
    openai_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_env")
    with OpenAI() as client:
        assert isinstance(client, OpenAI)
        assert (client.api_key, client.base_url) == (OPENAI_KEY, f"{openai_server.url}/v1")
        assert (client.organization, client.project, client.max_retries) == (
            "org-env",
            "proj_env",
            2,
        )
        client.chat.completions.create(model="gpt-4o", messages="Hi")
    sent = openai_server.requests[0].headers
    assert sent["authorization"] == f"Bearer {OPENAI_KEY}"
    assert (sent["openai-organization"], sent["openai-project"]) == ("org-env", "proj_env")


def test_openai_client_arguments_win_over_the_environment(
    openai_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/nowhere")
    client = OpenAI(
        api_key="sk-argument",
        organization="org-arg",
        project="proj_arg",
        base_url=f"{openai_server.url}/v1",
        default_headers={"X-Trace": "t-1"},
        default_query={"api-version": "2024-10-21"},
    )
    with client:
        client.chat.completions.create(model="gpt-4o", messages="Hi")
    (sent,) = openai_server.requests
    assert sent.path == "/v1/chat/completions?api-version=2024-10-21"
    assert sent.headers["authorization"] == "Bearer sk-argument"
    assert sent.headers["openai-organization"] == "org-arg"
    assert sent.headers["openai-project"] == "proj_arg"
    assert sent.headers["x-trace"] == "t-1"


def test_openai_client_without_a_key_fails_as_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for make in (OpenAI, AsyncOpenAI):
        with pytest.raises(OpenAIError, match="OPENAI_API_KEY"):
            make()


def test_openai_client_rejects_unknown_arguments_and_timeouts() -> None:
    with pytest.raises(TypeError):
        OpenAI(api_key="k", webhook_secret="s")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="timeout"):
        OpenAI(api_key="k", timeout="soon")  # type: ignore[arg-type]


def test_openai_client_repr_hides_the_key() -> None:
    client = OpenAI(api_key="sk-secret-1234567890", base_url="http://127.0.0.1:9/v1")
    assert repr(client) == "OpenAI(base_url='http://127.0.0.1:9/v1')"
    assert "sk-secret" not in repr(client.eventide)
    client.close()


@pytest.mark.parametrize("name", ["embeddings", "images", "files", "audio", "responses", "beta"])
def test_openai_client_resources_out_of_scope_say_so(name: str) -> None:
    for client in (OpenAI(api_key="k"), AsyncOpenAI(api_key="k")):
        with pytest.raises(AttributeError, match=rf"no '{name}': eventide implements the Chat"):
            getattr(client, name)
        assert not hasattr(client, name)
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        OpenAI(api_key="k").nonsense  # type: ignore[attr-defined]  # noqa: B018


def test_openai_client_is_closed_quietly_once_nothing_can_use_it(
    openai_server: ScriptedServer,
) -> None:
    """As the SDK's, a client nobody closes is closed when it is collected, with no
    ResourceWarning (the suite turns warnings into errors): once nothing can use it any
    more, its ``chat.completions`` included, as the SDK's resources keep their client."""
    client = OpenAI()
    completions = client.chat.completions
    lifetime = client.eventide._lifetime  # its loop thread's, apart from the client
    del client
    gc.collect()
    assert not lifetime.closed
    assert completions.create(model="gpt-4o", messages="Hi").choices[0].message.content == HELLO
    del completions
    gc.collect()
    assert lifetime.closed


def test_openai_client_works_without_a_reference_kept(openai_server: ScriptedServer) -> None:
    """``OpenAI().chat.completions.create(...)``, and a stream returned from where its client
    was made: the SDK's client lives as long as what can use it, and so does this one."""
    completion = OpenAI().chat.completions.create(model="gpt-4o", messages="Hi")
    assert completion.choices[0].message.content == HELLO

    def start() -> Stream[ChatCompletionChunk]:
        client = OpenAI()
        return client.chat.completions.create(model="gpt-4o", messages="Hi", stream=True)

    stream = start()
    gc.collect()
    with stream:
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == HELLO


async def test_async_openai_with_options_copies_are_closed_with_it(
    openai_server: ScriptedServer,
) -> None:
    client = AsyncOpenAI(max_retries=0)
    copy = client.with_options(max_retries=4, timeout=5.0)
    assert copy is client.with_options(timeout=5.0, max_retries=4)
    assert (copy.max_retries, copy.timeout, copy.api_key) == (4, 5.0, OPENAI_KEY)
    completion = await copy.chat.completions.create(model="gpt-4o", messages="Hi")
    assert completion.choices[0].message.content == "Hello, world"
    await client.close()
    assert copy.eventide.closed
    assert client.eventide.closed
    with pytest.raises(eventide.Error, match="closed"):
        await copy.chat.completions.create(model="gpt-4o", messages="Hi")
