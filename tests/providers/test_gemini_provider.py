"""`Gemini` over a real HTTP/1.1 server on 127.0.0.1: the request it sends, a full stream, an
early close, errors mid-stream and HTTP errors; and its configuration from the environment."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

import eventide
from eventide import (
    AuthenticationError,
    Message,
    Metadata,
    NotFoundError,
    OverloadedError,
    ProtocolError,
    RateLimitError,
    Request,
    ServerError,
    TextDelta,
    ToolCall,
    ToolSpec,
)
from eventide.providers._gemini import Gemini
from tests.http_server import Cut, Pause, Reply, ScriptedServer, Stall, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

MODEL = "gemini-2.5-flash"
SERVED = "gemini-2.5-flash-001"
KEY = "AIzaSyD-real-socket-test-key-0123456789"
DISCONNECT_BUDGET = 0.1  # seconds from the client's close to the server noticing
ENVIRONMENT = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL", "GEMINI_MODEL")


def event(payload: dict[str, Any]) -> bytes:
    """One Gemini server-sent event, CRLF-framed as the Gemini API sends it."""
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\r\n\r\n"


def gemini_chunks(
    texts: Sequence[str], *, finish: str = "STOP", prompt_tokens: int = 7
) -> list[bytes]:
    """A Gemini streaming body: one event per text, usage on each, the finish on the last."""
    pieces = []
    for number, text in enumerate(texts):
        last = number == len(texts) - 1
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
        usage: dict[str, Any] = {"promptTokenCount": prompt_tokens}
        if last:
            candidate["finishReason"] = finish
            usage["candidatesTokenCount"] = len(texts)
        usage["totalTokenCount"] = prompt_tokens + (len(texts) if last else 0)
        candidate["index"] = 0
        pieces.append(
            event(
                {
                    "candidates": [candidate],
                    "usageMetadata": usage,
                    "modelVersion": SERVED,
                    "responseId": "aBcDeFgHiJkLmNoPqRsTuVw",
                }
            )
        )
    return pieces


WORDS = [f"word{i} " for i in range(200)]
LONG = gemini_chunks(WORDS)  # far more than the tests read before closing


def slow(pieces: list[bytes], pause: float = 0.01) -> list[bytes | Pause]:
    return [part for piece in pieces for part in (Pause(pause), piece)]


def json_reply(status: int, payload: Any, *headers: tuple[str, str]) -> Reply:
    return Reply(
        status=status,
        headers=(("content-type", "application/json; charset=UTF-8"), *headers),
        body=[json.dumps(payload, indent=2).encode()],
    )


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=gemini_chunks(["Hello", ", ", "world"]))) as running:
        yield running


@pytest.fixture
async def provider(server: ScriptedServer) -> AsyncIterator[Gemini]:
    async with Gemini(base_url=f"{server.url}/v1beta", api_key=KEY, model=MODEL) as made:
        yield made


async def assert_disconnect_seen(server: ScriptedServer, since: float) -> None:
    seen = await server.wait_disconnect(timeout=2)
    assert seen - since < DISCONNECT_BUDGET, f"server saw the close after {seen - since:.3f} s"


# -- a full stream ---------------------------------------------------------------------------


async def test_gemini_provider_collects_a_full_stream(
    server: ScriptedServer, provider: Gemini
) -> None:
    completion = await eventide.collect(provider.stream("Say hello"))
    assert completion.text == "Hello, world"
    assert completion.metadata == Metadata(
        provider="gemini",
        model=SERVED,
        requested_model=MODEL,
        response_id="aBcDeFgHiJkLmNoPqRsTuVw",
    )
    assert completion.usage == eventide.Usage(7, 3, 10)
    assert completion.finish_reason == "stop"
    assert completion.raw_finish_reason == "STOP"
    assert server.completed == 1


async def test_gemini_provider_sends_path_headers_and_body(
    server: ScriptedServer, provider: Gemini
) -> None:
    request = Request(
        messages=[
            Message.system("Be brief."),
            Message.user("Weather in Paris?"),
            Message.assistant(
                tool_calls=[ToolCall(0, "call_0", "get_weather", '{"city":"Paris"}')]
            ),
            Message.tool("call_0", '{"temp_c": 18}'),
        ],
        tools=(
            ToolSpec("get_weather", "Weather.", {"type": "object", "properties": {"city": {}}}),
        ),
        max_tokens=64,
    )
    await eventide.collect(provider.stream(request, model="gemini-2.5-pro"))
    (received,) = server.requests
    assert received.method == "POST"
    assert received.path == "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert received.headers["x-goog-api-key"] == KEY
    assert "authorization" not in received.headers
    assert KEY not in received.path
    assert received.headers["accept"] == "text/event-stream"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"].startswith("eventide/")
    assert received.json() == {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
            {
                "role": "model",
                "parts": [
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                        "thoughtSignature": "skip_thought_signature_validator",
                    }
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"temp_c": 18}}}
                ],
            },
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Weather.",
                        "parameters": {"type": "object", "properties": {"city": {}}},
                    }
                ]
            }
        ],
        "generationConfig": {"maxOutputTokens": 64},
    }


async def test_gemini_provider_reuses_the_connection_after_a_complete_stream(
    server: ScriptedServer, provider: Gemini
) -> None:
    """The body ends at EOF of the HTTP message (chunked), not of the connection."""
    for _ in range(3):
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert server.connections_accepted == 1
    assert server.disconnects == []


# -- early close -----------------------------------------------------------------------------


async def test_gemini_provider_first_metadata_closes_the_connection_at_once(
    server: ScriptedServer, provider: Gemini
) -> None:
    server.reply(Reply(body=slow(LONG)))
    metadata = await eventide.first_metadata(provider.stream("hi"))
    closed_at = time.monotonic()
    assert metadata.model == SERVED
    assert metadata.requested_model == MODEL
    await assert_disconnect_seen(server, closed_at)
    assert server.completed == 0


async def test_gemini_provider_async_with_break_closes_the_connection(
    server: ScriptedServer, provider: Gemini
) -> None:
    server.reply(Reply(body=[*LONG[:3], Stall()]))
    async with provider.stream("hi") as events:
        async for item in events:
            if isinstance(item, TextDelta):
                break
    closed_at = time.monotonic()
    await assert_disconnect_seen(server, closed_at)


# -- failures mid-stream ---------------------------------------------------------------------


async def test_gemini_provider_mid_stream_error_keeps_the_partial_result(
    server: ScriptedServer, provider: Gemini
) -> None:
    error = {
        "error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}
    }
    server.reply(Reply(body=[*LONG[:3], event(error)]))
    with pytest.raises(ServerError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "gemini"
    assert info.value.status_code == 500
    assert info.value.code == "INTERNAL"
    assert info.value.retryable
    assert info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 word2 "
    assert info.value.partial.metadata is not None
    assert info.value.partial.metadata.model == SERVED


async def test_gemini_provider_body_without_a_finish_reason_is_truncated(
    server: ScriptedServer, provider: Gemini
) -> None:
    """A body that ends cleanly (the HTTP message is complete) but never gave a finishReason."""
    server.reply(Reply(body=LONG[:4]))
    with pytest.raises(ProtocolError, match="truncated") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "gemini"
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 word2 word3 "
    assert info.value.partial.finish_reason is None


async def test_gemini_provider_cut_connection_is_a_protocol_error(
    server: ScriptedServer, provider: Gemini
) -> None:
    server.reply(Reply(body=[*LONG[:2], Cut()]))
    with pytest.raises(ProtocolError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 "
    assert info.value.content_emitted


# -- HTTP errors -----------------------------------------------------------------------------

QUOTA = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/"
                        "generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
        ],
    }
}


async def test_gemini_provider_http_429_takes_retry_after_from_retry_info(
    server: ScriptedServer, provider: Gemini
) -> None:
    server.reply(json_reply(429, QUOTA))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "gemini"
    assert info.value.status_code == 429
    assert info.value.retry_after == 37.0
    assert info.value.code == "RESOURCE_EXHAUSTED"
    assert info.value.retryable
    assert not info.value.content_emitted
    assert "You exceeded your current quota" in info.value.message


async def test_gemini_provider_http_429_prefers_the_retry_after_header(
    server: ScriptedServer, provider: Gemini
) -> None:
    server.reply(json_reply(429, QUOTA, ("retry-after", "5")))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.retry_after == 5.0


@pytest.mark.parametrize(
    ("status", "name", "cls"),
    [
        (404, "NOT_FOUND", NotFoundError),
        (403, "PERMISSION_DENIED", AuthenticationError),
        (503, "UNAVAILABLE", OverloadedError),
    ],
)
async def test_gemini_provider_maps_http_error_statuses(
    server: ScriptedServer,
    provider: Gemini,
    status: int,
    name: str,
    cls: type[eventide.ProviderError],
) -> None:
    payload = {"error": {"code": status, "message": f"{name.lower()} here", "status": name}}
    server.reply(json_reply(status, payload))
    with pytest.raises(cls) as info:
        await eventide.collect(provider.stream("hi"))
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert info.value.code == name
    assert info.value.message == f"HTTP {status}: {name.lower()} here"


async def test_gemini_provider_rejected_key_is_an_authentication_error_without_the_key(
    server: ScriptedServer, provider: Gemini
) -> None:
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT and an API_KEY_INVALID reason; a
    body that echoes the key never shows it."""
    payload = {
        "error": {
            "code": 400,
            "message": f"API key not valid. Please pass a valid API key. ({KEY})",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        }
    }
    server.reply(json_reply(400, payload))
    with pytest.raises(AuthenticationError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 400
    assert not info.value.retryable
    assert KEY not in str(info.value)
    assert KEY not in info.value.body
    assert "[redacted]" in info.value.message


# -- configuration ---------------------------------------------------------------------------


def test_gemini_provider_reads_its_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GEMINI_BASE_URL", "http://proxy.test/v1beta/")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-env-key")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-env-key")
    monkeypatch.setenv("GEMINI_MODEL", "gemini-2.5-flash-lite")
    provider = Gemini()
    assert provider.name == "gemini"
    assert provider.base_url == "http://proxy.test/v1beta"
    assert provider.model == "gemini-2.5-flash-lite"
    assert provider._headers["x-goog-api-key"] == "gemini-env-key"
    assert "env-key" not in repr(provider)
    assert "api_key=set" in repr(provider)
    monkeypatch.delenv("GEMINI_API_KEY")
    assert Gemini()._headers["x-goog-api-key"] == "google-env-key"
    explicit = Gemini(base_url="http://x/v1beta", api_key="k", model="m", name="vertex-proxy")
    assert (explicit.base_url, explicit.model, explicit.name) == (
        "http://x/v1beta",
        "m",
        "vertex-proxy",
    )
    assert explicit._headers["x-goog-api-key"] == "k"


def test_gemini_provider_defaults_to_the_public_api_and_a_flash_model() -> None:
    provider = Gemini()
    assert provider.base_url == "https://generativelanguage.googleapis.com/v1beta"
    assert "flash" in provider.model
    assert "x-goog-api-key" not in provider._headers
    assert "api_key=unset" in repr(provider)


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("tunedModels/my-model-7x2", "tunedModels/my-model-7x2"),
    ],
)
def test_gemini_provider_url_names_the_model_resource(model: str, path: str) -> None:
    provider = Gemini(base_url="http://x/v1beta", api_key="k")
    assert provider._url(model) == f"http://x/v1beta/{path}:streamGenerateContent?alt=sse"


async def test_gemini_provider_without_a_key_fails_before_sending_to_google() -> None:
    async with Gemini() as provider:
        with pytest.raises(AuthenticationError, match="GEMINI_API_KEY") as info:
            await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "gemini"
    assert info.value.partial is not None
    assert info.value.partial.metadata is None


async def test_gemini_provider_without_a_key_sends_none_to_a_proxy(server: ScriptedServer) -> None:
    async with Gemini(base_url=f"{server.url}/v1beta", model=MODEL) as provider:
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert "x-goog-api-key" not in server.requests[0].headers
