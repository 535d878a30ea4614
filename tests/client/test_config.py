"""How clients are built: OpenAI's constructor arguments, provider names, the environment,
model strings, and misconfiguration as one clear error before any I/O."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import pytest
import trio

import eventide
from eventide import AsyncClient, Client, ConfigurationError, Timeouts
from eventide.providers import Anthropic, Gemini, OpenAIChat, provider_from_name
from eventide.routing import Fallback, Retrying
from tests.environment import PROVIDER_VARIABLES
from tests.http_server import Reply, ScriptedServer, openai_chunks, serve, serve_in_thread
from tests.kits import ANTHROPIC

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ANTHROPIC_KEY = "sk-ant-api03-secret-key-value"
OPENAI_KEY = "sk-proj-secret-key-value"
GOOGLE_KEY = "AIzaSyD-secret-key-value-0123456789"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*PROVIDER_VARIABLES, "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=openai_chunks(["served"], model="m-served"))) as made:
        yield made


# -- no silent demo -----------------------------------------------------------------------


@pytest.mark.parametrize("make", [AsyncClient, Client])
def test_nothing_configured_is_a_configuration_error_naming_what_to_set(make: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make()
    message = str(caught.value)
    for name in (
        "provider=",
        "EVENTIDE_PROVIDER",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "OLLAMA_HOST",
        "'demo'",
    ):
        assert name in message
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, eventide.Error)
    assert caught.value.kind == "configuration"


async def test_the_demo_is_asked_for_by_name_or_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with AsyncClient(provider="demo") as client:
        assert (await client.complete("hi")).provider == "demo"
    monkeypatch.setenv("EVENTIDE_PROVIDER", "demo")
    async with AsyncClient() as client:
        assert (await client.complete("hi")).provider == "demo"
    with pytest.raises(ConfigurationError, match="demo provider takes no api_key="):
        AsyncClient(provider="demo", api_key="k")


def test_an_unknown_provider_name_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="unknown provider 'opneai'"):
        AsyncClient(provider="opneai")
    monkeypatch.setenv("EVENTIDE_PROVIDER", "groq")
    with pytest.raises(ConfigurationError, match="unknown provider 'groq'"):
        AsyncClient()


# -- OpenAI's constructor -----------------------------------------------------------------


async def test_openai_constructor_arguments_reach_the_server(server: ScriptedServer) -> None:
    async with AsyncClient(
        api_key="sk-test-key",
        base_url=f"{server.url}/v1",
        organization="org-1",
        project="proj-1",
        default_headers={"X-Team": "blue"},
        default_query={"tenant": "a b"},
        model="gpt-4o",
    ) as client:
        response = await client.chat.completions.create(messages="hi")
    assert response.provider == "openai"
    assert response.choices[0].message.content == "served"
    [sent] = server.requests
    assert sent.path == "/v1/chat/completions?tenant=a+b"
    assert sent.headers["authorization"] == "Bearer sk-test-key"
    assert sent.headers["openai-organization"] == "org-1"
    assert sent.headers["openai-project"] == "proj-1"
    assert sent.headers["x-team"] == "blue"
    assert sent.json()["model"] == "gpt-4o"


async def test_openai_environment_fallbacks(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    async with AsyncClient() as client:
        await client.complete("hi")
    [sent] = server.requests
    assert sent.headers["authorization"] == "Bearer sk-env-key"
    assert sent.headers["openai-organization"] == "org-env"
    assert sent.headers["openai-project"] == "proj-env"


async def test_a_base_url_alone_means_an_openai_compatible_server(server: ScriptedServer) -> None:
    async with AsyncClient(base_url=f"{server.url}/v1") as client:
        assert (await client.complete("hi")).text == "served"
    [sent] = server.requests
    assert "authorization" not in sent.headers
    assert "openai-organization" not in sent.headers


async def test_a_provider_name_is_made_from_the_arguments() -> None:
    body = ANTHROPIC.body(["named"])
    async with (
        serve(Reply(headers=ANTHROPIC.headers, body=body)) as server,
        AsyncClient(
            "anthropic", api_key="sk-ant-test", base_url=server.url, default_query={"v": "1"}
        ) as client,
    ):
        completion = await client.complete("hi")
    assert completion.provider == "anthropic"
    assert completion.text == "named"
    [sent] = server.requests
    assert sent.path == "/v1/messages?v=1"
    assert sent.headers["x-api-key"] == "sk-ant-test"


async def test_a_provider_the_client_made_is_closed_with_it(server: ScriptedServer) -> None:
    client = AsyncClient(base_url=f"{server.url}/v1")
    await client.complete("hi")
    await client.aclose()
    await server.wait_for(lambda: server.open_connections == 0, 2.0, "the connection closed")
    with pytest.raises(eventide.TransportError):
        await client.provider.stream("hi").open()


def test_connection_arguments_beside_a_provider_object_are_refused() -> None:
    provider = OpenAIChat(base_url="http://127.0.0.1:9/v1")
    for given in (
        {"api_key": "sk-x"},
        {"base_url": "http://127.0.0.1:9"},
        {"organization": "org"},
        {"default_headers": {"a": "b"}},
        {"default_query": {"a": "b"}},
        {"http_client": lambda: None},
    ):
        with pytest.raises(ConfigurationError, match=f"{next(iter(given))}= would be ignored"):
            AsyncClient(provider, **given)
    with pytest.raises(ConfigurationError, match=r"OpenAIChat\(api_key=\.\.\."):
        AsyncClient([provider], api_key="sk-x")


@pytest.mark.parametrize("kind", ["anthropic", "gemini", "ollama"])
def test_organization_and_project_are_openai_only(kind: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"organization= are OpenAI's.*'{kind}'"):
        AsyncClient(kind, base_url="http://127.0.0.1:9", organization="org")
    with pytest.raises(ConfigurationError, match="project= are OpenAI's"):
        AsyncClient(kind, base_url="http://127.0.0.1:9", project="proj")


def test_timeout_as_seconds_is_each_http_budget_as_in_httpx() -> None:
    client = AsyncClient("demo", timeout=20)
    assert client.timeouts == Timeouts(connect=20.0, read=20.0, write=20.0, pool=20.0)
    assert client.timeouts.total is None
    budgets = Timeouts(total=5.0)
    assert AsyncClient("demo", timeout=budgets).timeouts is budgets
    assert AsyncClient("demo", timeouts=budgets).timeouts is budgets
    assert AsyncClient("demo").timeouts is None
    with pytest.raises(TypeError, match="not both"):
        AsyncClient("demo", timeout=1.0, timeouts=budgets)
    with pytest.raises(TypeError, match="seconds or Timeouts"):
        AsyncClient("demo", timeout="10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        AsyncClient("demo", timeout=0)


async def test_a_float_timeout_limits_a_read() -> None:
    with trio.fail_after(5):  # a timeout that did not apply would otherwise hang
        await _read_with_timeout()


async def _read_with_timeout() -> None:
    async with (
        serve(Reply(stall_before_headers=True)) as server,
        AsyncClient(base_url=f"{server.url}/v1", timeout=0.2, max_retries=0) as client,
    ):
        with pytest.raises(eventide.StreamTimeout) as caught:
            await client.complete("hi")
    assert caught.value.phase == "read"


def test_client_and_async_client_take_the_same_arguments() -> None:
    asynchronous = inspect.signature(AsyncClient.__init__).parameters
    synchronous = inspect.signature(Client.__init__).parameters
    assert list(asynchronous) == list(synchronous)
    for name, parameter in asynchronous.items():
        assert synchronous[name].kind == parameter.kind
        assert synchronous[name].default == parameter.default
        assert synchronous[name].annotation == parameter.annotation


def test_client_is_configured_as_the_async_client() -> None:
    with serve_in_thread(Reply(body=openai_chunks(["sync"]))) as server:
        with Client(base_url=f"{server.url}/v1", api_key="sk-sync", organization="o") as client:
            assert client.complete("hi").text == "sync"
        [sent] = server.requests
    assert sent.headers["authorization"] == "Bearer sk-sync"
    assert sent.headers["openai-organization"] == "o"


# -- unknown keyword arguments ------------------------------------------------------------


def test_unknown_keyword_arguments_are_type_errors() -> None:
    provider = OpenAIChat(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match="colour"):
        AsyncClient("demo", colour="blue")
    with pytest.raises(TypeError, match="colour"):
        AsyncClient(provider, colour="blue")
    with pytest.raises(TypeError, match="colour"):
        Client("demo", colour="blue")
    with pytest.raises(TypeError, match="colour"):
        OpenAIChat(colour="blue")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        Anthropic(colour="blue")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        provider_from_name("gemini", colour="blue")
    with pytest.raises(TypeError, match="colour"):
        provider_from_name("demo", colour="blue")


# -- max_retries --------------------------------------------------------------------------


def test_max_retries_wraps_one_provider_and_refuses_a_router() -> None:
    provider = OpenAIChat(base_url="http://127.0.0.1:9/v1")
    assert AsyncClient(provider).max_retries == 2
    assert isinstance(AsyncClient(provider)._routes._sender, Retrying)
    assert AsyncClient(provider, max_retries=0)._routes._sender is provider
    with pytest.raises(TypeError, match="retry="):
        AsyncClient([provider], max_retries=3)
    with pytest.raises(TypeError, match="retry="):
        AsyncClient(Fallback([provider]), max_retries=3)
    assert AsyncClient([provider]).max_retries == 0  # the Fallback's own policy governs
    with pytest.raises(ValueError, match="0 or more"):
        AsyncClient(provider, max_retries=-1)
    with pytest.raises(TypeError, match="an int"):
        AsyncClient(provider, max_retries=True)


# -- keys for another provider ------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "key", "what"),
    [
        (lambda key: AsyncClient(api_key=key), ANTHROPIC_KEY, "an Anthropic key"),
        (lambda key: AsyncClient(api_key=key), GOOGLE_KEY, "a Google key"),
        (lambda key: OpenAIChat(api_key=key), ANTHROPIC_KEY, "an Anthropic key"),
        (lambda key: Anthropic(api_key=key), OPENAI_KEY, "an OpenAI key"),
        (lambda key: Anthropic(api_key=key), GOOGLE_KEY, "a Google key"),
        (lambda key: Gemini(api_key=key), OPENAI_KEY, "an OpenAI key"),
        (lambda key: Gemini(api_key=key), ANTHROPIC_KEY, "an Anthropic key"),
        (
            lambda key: AsyncClient("ollama", base_url="https://ollama.com", api_key=key),
            GOOGLE_KEY,
            "a Google key",
        ),
    ],
)
def test_a_key_for_another_provider_is_refused_without_quoting_it(
    make: Any, key: str, what: str
) -> None:
    with pytest.raises(ConfigurationError, match=what) as caught:
        make(key)
    assert key not in str(caught.value)
    assert key[:12] not in str(caught.value)


def test_a_key_from_the_environment_for_another_provider_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ANTHROPIC_KEY)
    with pytest.raises(ConfigurationError, match="an Anthropic key") as caught:
        AsyncClient()
    assert ANTHROPIC_KEY not in str(caught.value)


def test_keys_are_not_judged_for_other_servers() -> None:
    assert AsyncClient(api_key=ANTHROPIC_KEY, base_url="http://127.0.0.1:9/v1")
    assert Anthropic(api_key=ANTHROPIC_KEY)
    assert Anthropic(api_key="sk-ant-admin01-x")
    assert OpenAIChat(api_key=OPENAI_KEY)
    assert Gemini(api_key=GOOGLE_KEY)
    assert AsyncClient("ollama", base_url="https://ollama.com", api_key=OPENAI_KEY)


# -- model strings ------------------------------------------------------------------------


async def test_a_provider_prefix_routes_to_that_provider_made_from_its_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serve(Reply(headers=ANTHROPIC.headers, body=ANTHROPIC.body(["routed"]))) as other:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", other.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
        client = AsyncClient(base_url=f"{server.url}/v1")
        try:
            first = await client.complete("hi", model="anthropic:claude-x")
            second = await client.chat.completions.create(messages="hi", model="anthropic:claude-y")
            made = client._routes._made["anthropic"][0]
            assert len(client._routes._made) == 1
        finally:
            await client.aclose()
        await other.wait_for(lambda: other.open_connections == 0, 2.0, "the connection closed")
    assert (first.provider, first.text) == ("anthropic", "routed")
    assert second.provider == "anthropic"
    assert [sent.json()["model"] for sent in other.requests] == ["claude-x", "claude-y"]
    assert other.requests[0].headers["x-api-key"] == "sk-ant-env"
    assert server.requests == []
    with pytest.raises(eventide.TransportError):
        await made.stream("hi").open()  # closed with the client


async def test_a_prefix_whose_provider_has_no_key_fails_before_any_io(
    server: ScriptedServer,
) -> None:
    async with AsyncClient(base_url=f"{server.url}/v1") as client:
        with pytest.raises(ConfigurationError, match=r"'anthropic'.*ANTHROPIC_API_KEY"):
            await client.complete("hi", model="anthropic:claude-x")
        with pytest.raises(ConfigurationError, match=r"'gemini'.*GEMINI_API_KEY"):
            await client.chat.completions.create(messages="hi", model="gemini:gemini-pro")
    assert server.requests == []


@pytest.mark.parametrize(
    "model",
    ["llama3:8b", "anthropic/claude-3.5-sonnet", "meta-llama/llama-3.1-8b-instruct:free"],
)
async def test_other_model_strings_pass_verbatim(server: ScriptedServer, model: str) -> None:
    async with AsyncClient(base_url=f"{server.url}/v1", model=model) as client:
        await client.complete("hi")
    assert server.requests[0].json()["model"] == model


async def test_the_clients_own_provider_prefix_is_stripped(server: ScriptedServer) -> None:
    async with AsyncClient(base_url=f"{server.url}/v1") as client:
        await client.complete("hi", model="openai:gpt-4o")
        assert client._routes._made == {}
    assert server.requests[0].json()["model"] == "gpt-4o"


def test_a_sync_client_routes_model_strings_and_closes_what_it_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with (
        serve_in_thread(Reply(body=openai_chunks(["own"]))) as own,
        serve_in_thread(Reply(headers=ANTHROPIC.headers, body=ANTHROPIC.body(["routed"]))) as other,
    ):
        monkeypatch.setenv("ANTHROPIC_BASE_URL", other.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
        with Client(base_url=f"{own.url}/v1") as client:
            assert client.complete("hi", model="anthropic:claude-x").text == "routed"
            assert client.complete("hi", model="openai:gpt-4o").text == "own"
            with pytest.raises(ConfigurationError, match="'gemini'"):
                client.complete("hi", model="gemini:gemini-pro")
            made = client._async._routes._made["anthropic"][0]
        assert [sent.json()["model"] for sent in other.requests] == ["claude-x"]
        assert [sent.json()["model"] for sent in own.requests] == ["gpt-4o"]

        async def closed() -> None:
            with pytest.raises(eventide.TransportError):
                await made.stream("hi").open()

        trio.run(closed)
