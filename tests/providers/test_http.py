"""What every HTTP provider does, over a real HTTP/1.1 server on 127.0.0.1, once per API: the
request it sends, a full stream, the terminal event ending it, early close, truncation,
mid-stream and HTTP errors; and its configuration. Each provider's own cases are in its file."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import trio

import eventide
from eventide import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OverloadedError,
    ProtocolError,
    RateLimitError,
    ServerError,
    TextDelta,
)
from eventide._errors import PermissionDeniedError
from eventide.providers import (
    Anthropic,
    Gemini,
    Ollama,
    OpenAIChat,
    OpenAIResponses,
    Provider,
)
from tests.fakes import reply
from tests.http_server import Cut, Reply, Stall, assert_disconnect_seen, openai_chunks, slow
from tests.kits import GEMINI, KITS, WORDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.http_server import Piece, ScriptedServer
    from tests.kits import Kit

# -- the request and a full stream -----------------------------------------------------------


async def test_provider_collects_a_full_stream(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    completion = await eventide.collect(provider.stream("Say hello"))
    assert completion.text == "Hello, world"
    assert completion.metadata == kit.metadata
    assert completion.usage == kit.usage
    assert completion.finish_reason == "stop"
    assert completion.raw_finish_reason == kit.raw_finish
    assert completion.complete
    assert server.completed == 1
    assert server.disconnects == []


async def test_provider_sends_its_path_and_headers(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    await eventide.collect(provider.stream("Say hello"))
    (received,) = server.requests
    assert received.method == "POST"
    assert received.path == kit.path
    assert received.headers[kit.auth[0]] == kit.auth[1]
    if kit.auth[0] != "authorization":
        assert "authorization" not in received.headers
    assert kit.key not in received.path
    assert received.headers["content-type"] == "application/json"
    assert received.headers["accept"] == kit.accept
    assert received.headers["user-agent"].startswith("eventide/")
    assert kit.key not in repr(provider)
    assert "api_key=set" in repr(provider)


async def test_provider_keeps_the_query_string_of_its_base_url(
    kit: Kit, server: ScriptedServer
) -> None:
    """Azure OpenAI's base URL carries ``?api-version=...``: it stays on the request URL."""
    base_url = f"{server.url}{kit.prefix}?api-version=2024-10-21"
    async with kit.make(base_url=base_url, **kit.options) as provider:
        await eventide.collect(provider.stream("Say hello"))
    (received,) = server.requests
    path, _, query = kit.path.partition("?")
    assert received.path == f"{path}?{'&'.join(['api-version=2024-10-21', *filter(None, [query])])}"


async def test_provider_is_a_final_provider(kit: Kit, provider: Provider) -> None:
    assert getattr(kit.make, "__final__", False)
    assert isinstance(provider, Provider)


async def test_provider_without_a_key_sends_none(kit: Kit, server: ScriptedServer) -> None:
    """Without api_key= (and nothing in the environment) no key goes to a self-hosted server."""
    async with kit.provider(server.url, api_key="") as provider:
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert kit.auth[0] not in server.requests[0].headers
    assert "authorization" not in server.requests[0].headers
    assert server.requests[0].headers["user-agent"].startswith("eventide/")


async def test_provider_reuses_the_connection_after_a_complete_stream(
    server: ScriptedServer, provider: Provider
) -> None:
    for _ in range(3):
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert server.connections_accepted == 1
    assert server.disconnects == []


@pytest.mark.parametrize("kit", [kit for kit in KITS if kit is not GEMINI], indirect=True, ids=str)
async def test_provider_stops_at_the_terminal_event_without_waiting_for_eof(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    """The terminal event ends the response (DESIGN rule 2), though the body never ends.
    (Gemini has no terminal event: its response ends with the HTTP message.)"""
    server.reply(Reply(headers=kit.headers, body=[*kit.body(["Hi"]), Stall()]))
    with trio.fail_after(1):
        completion = await eventide.collect(provider.stream("hi"))
    assert completion.text == "Hi"
    assert completion.finish_reason == "stop"
    await server.wait_disconnect(timeout=2)


# -- early close -----------------------------------------------------------------------------


async def test_provider_first_metadata_closes_the_connection_at_once(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    server.reply(Reply(headers=kit.headers, body=slow(kit.long())))
    metadata = await eventide.first_metadata(provider.stream("hi"))
    closed_at = time.monotonic()
    assert metadata == kit.metadata
    await assert_disconnect_seen(server, closed_at)
    assert server.completed == 0


@pytest.mark.parametrize("stalls", [False, True], ids=["streaming", "stalled"])
async def test_provider_async_with_break_closes_the_connection(
    kit: Kit, server: ScriptedServer, provider: Provider, stalls: bool
) -> None:
    body: list[Piece] = [*kit.long()[: kit.lead + 3], Stall()] if stalls else slow(kit.long())
    server.reply(Reply(headers=kit.headers, body=body))
    async with provider.stream("hi") as events:
        async for event in events:
            if isinstance(event, TextDelta):
                assert event.text == "word0 "
                break
    closed_at = time.monotonic()
    await assert_disconnect_seen(server, closed_at)


# -- failures mid-stream ---------------------------------------------------------------------


@pytest.mark.parametrize("cut", [True, False], ids=["connection-cut", "no-terminal-event"])
async def test_provider_truncated_body_is_a_protocol_error_with_the_partial(
    kit: Kit, server: ScriptedServer, provider: Provider, cut: bool
) -> None:
    """A connection dropped mid-body, or a complete HTTP body without the terminal event, is a
    truncated answer, not a short one."""
    body = kit.long()[: kit.lead + 4]
    cut_short: list[Piece] = [*body[:-1], body[-1][:25], Cut()]  # in the next event
    server.reply(Reply(headers=kit.headers, body=cut_short if cut else body[:-1]))
    message = "broken HTTP response" if cut else kit.truncated
    with pytest.raises(ProtocolError, match=message) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == kit.name
    assert info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.text == "".join(WORDS[:3])
    assert info.value.partial.metadata == kit.metadata
    assert info.value.partial.finish_reason is None


async def test_provider_mid_stream_error_keeps_the_partial_result(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    payload, cls, attributes = kit.mid_stream_error
    server.reply(Reply(headers=kit.headers, body=[*kit.long()[: kit.lead + 3], payload, Stall()]))
    with trio.fail_after(5), pytest.raises(cls) as info:
        await eventide.collect(provider.stream("hi"))
    error = info.value
    assert type(error) is cls
    assert error.provider == kit.name
    assert error.retryable
    assert error.content_emitted
    for name, value in attributes.items():
        assert getattr(error, name) == value, name
    partial = error.partial
    assert partial is not None
    assert partial.text == "".join(WORDS[:3])
    assert partial.metadata == kit.metadata
    assert partial.finish_reason is None
    assert not partial.complete


# -- HTTP errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "INVALID_ARGUMENT", BadRequestError),
        (401, "UNAUTHENTICATED", AuthenticationError),
        (403, "PERMISSION_DENIED", PermissionDeniedError),
        (404, "NOT_FOUND", NotFoundError),
        (429, "RESOURCE_EXHAUSTED", RateLimitError),
        (500, "INTERNAL", ServerError),
        (502, "BAD_GATEWAY", ServerError),
        (503, "UNAVAILABLE", OverloadedError),
    ],
    ids=str,
)
async def test_provider_maps_an_http_error_status_to_a_typed_error(
    kit: Kit,
    server: ScriptedServer,
    provider: Provider,
    status: int,
    code: str,
    cls: type[eventide.ProviderError],
) -> None:
    text = f"{code.lower()} here"
    headers = (("content-type", "application/json"), ("retry-after", "17"))
    server.reply(Reply(status=status, headers=headers, body=[kit.error_body(status, code, text)]))
    with pytest.raises(cls) as info:
        await eventide.collect(provider.stream("hi"))
    error = info.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.provider == kit.name
    assert error.message == f"HTTP {status}: {text}"
    assert error.code == (None if kit.name == "ollama" else code)
    assert error.retry_after == 17.0
    assert error.retryable is (status in {429, 500, 502, 503})
    assert not error.content_emitted
    assert error.partial is not None
    assert error.partial.metadata is None


async def test_provider_never_shows_the_key_in_an_error(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    text = f"Incorrect API key provided: {kit.key}."
    body = kit.error_body(401, "invalid_api_key", text)
    server.reply(Reply(status=401, headers=(("content-type", "application/json"),), body=[body]))
    with pytest.raises(AuthenticationError) as info:
        await eventide.collect(provider.stream("hi"))
    assert not info.value.retryable
    assert kit.key not in str(info.value)
    assert kit.key not in info.value.body
    assert "[redacted]" in info.value.message
    assert kit.key not in repr(provider)


async def test_provider_rejects_an_html_page(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    page = b"<html><title>Login</title></html>"
    server.reply(Reply(headers=(("content-type", "text/html"),), body=[page]))
    with pytest.raises(ProtocolError, match="got text/html") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == kit.name


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "environment", "base_url"),
    [
        (
            OpenAIChat,
            {"OPENAI_BASE_URL": "http://local.test/v1/", "OPENAI_API_KEY": "sk-env"}
            | {"OPENAI_MODEL": "qwen-3"},
            "http://local.test/v1",
        ),
        (
            OpenAIResponses,
            {"OPENAI_BASE_URL": "http://local.test/v1/", "OPENAI_API_KEY": "sk-env-secret"}
            | {"OPENAI_MODEL": "gpt-4.1"},
            "http://local.test/v1",
        ),
        (
            Anthropic,
            {"ANTHROPIC_BASE_URL": "http://gateway.test/", "ANTHROPIC_API_KEY": "sk-ant-env"}
            | {"ANTHROPIC_MODEL": "claude-opus-4-1"},
            "http://gateway.test",
        ),
        (
            Gemini,
            {"GEMINI_BASE_URL": "http://proxy.test/v1beta/", "GEMINI_API_KEY": "gemini-env-key"}
            | {"GEMINI_MODEL": "gemini-2.5-flash-lite"},
            "http://proxy.test/v1beta",
        ),
        (
            Ollama,
            {"OLLAMA_HOST": "0.0.0.0:11500", "OLLAMA_MODEL": "qwen3:8b"},
            "http://127.0.0.1:11500",
        ),
    ],
    ids=["openai", "openai-responses", "anthropic", "gemini", "ollama"],
)
def test_provider_reads_its_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[..., Any],
    environment: dict[str, str],
    base_url: str,
) -> None:
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    provider = make()
    assert provider.base_url == base_url
    assert provider.model == next(v for k, v in environment.items() if k.endswith("_MODEL"))
    for variable, key in environment.items():
        if variable.endswith("_KEY"):
            assert key not in repr(provider)
            assert "api_key=set" in repr(provider)
    explicit = make(base_url="http://x/v1/", model="m", name="custom")
    assert (explicit.base_url, explicit.model, explicit.name) == ("http://x/v1", "m", "custom")


@pytest.mark.parametrize(
    ("make", "name", "base_url", "model"),
    [
        (OpenAIChat, "openai", "https://api.openai.com/v1", "gpt-4o-mini"),
        (OpenAIResponses, "openai-responses", "https://api.openai.com/v1", "gpt-4o-mini"),
        (Anthropic, "anthropic", "https://api.anthropic.com", "claude-sonnet-4-5"),
        (
            Gemini,
            "gemini",
            "https://generativelanguage.googleapis.com/v1beta",
            "gemini-flash-latest",
        ),
        (Ollama, "ollama", "http://localhost:11434", "llama3.2"),
    ],
    ids=["openai", "openai-responses", "anthropic", "gemini", "ollama"],
)
def test_provider_defaults_without_environment(
    make: Callable[..., Any], name: str, base_url: str, model: str
) -> None:
    provider = make()
    assert (provider.name, provider.base_url, provider.model) == (name, base_url, model)
    assert repr(provider).endswith("api_key=unset)")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (OpenAIChat, "OPENAI_API_KEY"),
        (OpenAIResponses, "OPENAI_API_KEY"),
        (Anthropic, "ANTHROPIC_API_KEY"),
        (Gemini, "GEMINI_API_KEY"),
        (partial(Ollama, base_url="https://ollama.com/api"), r"ollama\.com needs one"),
    ],
    ids=["openai", "openai-responses", "anthropic", "gemini", "ollama.com"],
)
async def test_provider_without_a_key_fails_before_sending_to_the_official_api(
    make: Callable[..., Provider], message: str
) -> None:
    handler, _, sent = reply([])
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        provider = make(http_client=client)
        with pytest.raises(AuthenticationError, match=message) as info:
            await eventide.collect(provider.stream("hi"))
    assert info.value.provider == provider.name
    assert not info.value.retryable
    assert info.value.partial is not None
    assert info.value.partial.metadata is None
    assert sent == []


# -- a request that cannot be built ----------------------------------------------------------


async def test_provider_refuses_a_request_it_cannot_write_before_any_io(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    """A lone surrogate is valid JSON text but cannot be sent as UTF-8: the error is
    eventide's (and a ValueError), names the provider, and nothing reaches the server."""
    with pytest.raises(eventide.RequestError, match="cannot send this request") as info:
        provider.stream("half a pair: \ud800")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, eventide.Error)
    assert info.value.provider == kit.name
    assert not info.value.retryable
    assert server.requests == []


async def test_anthropic_refuses_tool_arguments_that_are_not_an_object() -> None:
    request = eventide.Request(
        messages=[
            eventide.Message.user("hi"),
            eventide.Message.assistant(tool_calls=[eventide.ToolCall(0, "c1", "f", "[1, 2]")]),
            eventide.Message.tool("c1", "done"),
        ]
    )
    async with Anthropic(base_url="http://127.0.0.1:9", api_key="k") as provider:
        with pytest.raises(eventide.RequestError, match="not a JSON object") as info:
            provider.stream(request)
    assert info.value.provider == "anthropic"


async def test_provider_sends_to_its_base_url_as_it_is_at_each_request() -> None:
    """The request URL is joined once per base URL, not once per provider: a base URL
    changed on the provider is where the next request goes."""
    handler, _, requests = reply(openai_chunks(["Hi"]))
    provider = OpenAIChat(
        base_url="http://llm.test/v1",
        api_key="sk-test",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    await eventide.collect(provider.stream("hi"))
    await eventide.collect(provider.stream("hi"))
    provider.base_url = "http://other.test/v2"
    await eventide.collect(provider.stream("hi"))
    assert [str(request.url) for request in requests] == [
        "http://llm.test/v1/chat/completions",
        "http://llm.test/v1/chat/completions",
        "http://other.test/v2/chat/completions",
    ]


def test_providers_given_no_timeouts_have_the_default_budgets_each() -> None:
    """The default budgets are one frozen value: equal to `Timeouts()` for every provider,
    and one provider given others leaves the rest with the defaults."""
    first, second = OpenAIChat(api_key="sk-a"), OpenAIChat(api_key="sk-b")
    assert first.timeouts == second.timeouts == eventide.Timeouts()
    first.timeouts = eventide.Timeouts(read=1)
    assert second.timeouts == eventide.Timeouts()
