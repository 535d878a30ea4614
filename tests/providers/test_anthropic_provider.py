"""`Anthropic` over a real HTTP/1.1 server on 127.0.0.1: configuration, the request it sends,
streaming, early close, mid-stream errors, HTTP errors and truncation."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

import eventide
from eventide import (
    AuthenticationError,
    Metadata,
    OverloadedError,
    ProtocolError,
    RateLimitError,
    Request,
    ToolSpec,
    Usage,
)
from eventide.providers import Provider
from eventide.providers._anthropic import Anthropic
from tests.http_server import Cut, Pause, Reply, ScriptedServer, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

MODEL = "claude-sonnet-4-5-20250929"
KEY = "sk-ant-api03-real-socket-secret"
DISCONNECT_BUDGET = 0.1  # seconds from the client's close to the server noticing
SSE_HEADERS = (("content-type", "text/event-stream; charset=utf-8"), ("request-id", "req_0451"))


def event(payload: Mapping[str, Any]) -> bytes:
    """One server-sent event as the API frames it."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return f"event: {payload['type']}\ndata: {data}\n\n".encode()


def message_start(input_tokens: int = 21) -> bytes:
    return event(
        {
            "type": "message_start",
            "message": {
                "id": "msg_01RealSocket",
                "type": "message",
                "role": "assistant",
                "model": MODEL,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": input_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 1,
                },
            },
        }
    )


def text_delta(text: str, index: int = 0) -> bytes:
    return event(
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": text},
        }
    )


def ending(stop_reason: str, output_tokens: int) -> list[bytes]:
    return [
        event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            }
        ),
        event({"type": "message_stop"}),
    ]


def text_body(texts: Sequence[str]) -> list[bytes]:
    """A whole text response, one SSE event per piece (output tokens: one per text)."""
    return [
        message_start(),
        event(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            }
        ),
        event({"type": "ping"}),
        *(text_delta(text) for text in texts),
        event({"type": "content_block_stop", "index": 0}),
        *ending("end_turn", len(texts)),
    ]


WORDS = [f"word{i} " for i in range(200)]
LONG = text_body(WORDS)  # far more than the tests read before closing


def slow(pieces: list[bytes], pause: float = 0.01) -> list[bytes | Pause]:
    """The pieces with a pause before each, as a model generating tokens would send them."""
    return [part for piece in pieces for part in (Pause(pause), piece)]


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    reply = Reply(headers=SSE_HEADERS, body=text_body(["Hello", ", ", "world"]))
    async with serve(reply) as running:
        yield running


@pytest.fixture
async def provider(server: ScriptedServer) -> AsyncIterator[Anthropic]:
    async with Anthropic(base_url=server.url, api_key=KEY) as made:
        yield made


# -- configuration ---------------------------------------------------------------------------


def test_anthropic_reads_its_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://gateway.test/")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-opus-4-1")
    provider = Anthropic()
    assert provider.base_url == "http://gateway.test"
    assert provider.model == "claude-opus-4-1"
    assert provider.name == "anthropic"
    assert "sk-ant-env" not in repr(provider)
    assert repr(provider) == (
        "Anthropic(name='anthropic', base_url='http://gateway.test', api_key=set)"
    )
    assert Anthropic(base_url="http://x", model="claude-haiku-4-5").model == "claude-haiku-4-5"


def test_anthropic_defaults_to_the_official_api(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_MODEL"):
        monkeypatch.delenv(name, raising=False)
    provider = Anthropic()
    assert provider.base_url == "https://api.anthropic.com"
    assert provider.model == "claude-sonnet-4-5"
    assert repr(provider).endswith("api_key=unset)")


def test_anthropic_is_a_final_provider() -> None:
    assert getattr(Anthropic, "__final__", False)
    assert isinstance(Anthropic(base_url="http://x", api_key="k"), Provider)


async def test_anthropic_without_key_fails_fast_for_the_official_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    async with Anthropic() as provider:
        with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY") as info:
            await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "anthropic"
    assert not info.value.retryable


# -- a whole stream over a real socket -------------------------------------------------------


async def test_anthropic_streams_a_whole_response(
    server: ScriptedServer, provider: Anthropic
) -> None:
    request = Request(
        messages=[eventide.Message.system("Be brief."), eventide.Message.user("Say hello")],
        temperature=0.0,
    )
    completion = await eventide.collect(provider.stream(request))
    assert completion.text == "Hello, world"
    assert completion.metadata == Metadata(
        provider="anthropic",
        model=MODEL,
        requested_model="claude-sonnet-4-5",
        response_id="msg_01RealSocket",
        extra={"request_id": "req_0451"},
    )
    assert completion.usage == Usage(21, 3, 24, cached_tokens=0)
    assert completion.finish_reason == "stop"
    assert completion.raw_finish_reason == "end_turn"
    assert server.completed == 1


async def test_anthropic_sends_the_messages_request(
    server: ScriptedServer, provider: Anthropic
) -> None:
    request = Request(
        messages=[eventide.Message.system("Be brief."), eventide.Message.user("Say hello")],
        temperature=0.0,
    )
    await eventide.collect(provider.stream(request, model="claude-haiku-4-5"))
    (received,) = server.requests
    assert received.method == "POST"
    assert received.path == "/v1/messages"
    assert received.headers["x-api-key"] == KEY
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["accept"] == "text/event-stream"
    assert received.headers["user-agent"].startswith("eventide/")
    assert "authorization" not in received.headers
    assert received.json() == {
        "model": "claude-haiku-4-5",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": "Say hello"}],
        "stream": True,
        "system": "Be brief.",
        "temperature": 0.0,
    }


async def test_anthropic_sends_extra_headers_such_as_anthropic_beta(
    server: ScriptedServer,
) -> None:
    headers = {"anthropic-beta": "fine-grained-tool-streaming-2025-05-14"}
    async with Anthropic(base_url=server.url, api_key=KEY, headers=headers) as provider:
        await eventide.collect(provider.stream("hi"))
    assert server.requests[0].headers["anthropic-beta"] == "fine-grained-tool-streaming-2025-05-14"


async def test_anthropic_collects_streamed_tool_calls(
    server: ScriptedServer, provider: Anthropic
) -> None:
    tool_block = {"type": "tool_use", "id": "toolu_01W", "name": "get_weather", "input": {}}
    server.reply(
        Reply(
            headers=SSE_HEADERS,
            body=[
                message_start(),
                event({"type": "content_block_start", "index": 0, "content_block": tool_block}),
                *(
                    event(
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "input_json_delta", "partial_json": piece},
                        }
                    )
                    for piece in ["", '{"city":', ' "Par', 'is"}']
                ),
                event({"type": "content_block_stop", "index": 0}),
                *ending("tool_use", 30),
            ],
        )
    )
    request = Request(
        messages=[eventide.Message.user("Weather in Paris?")],
        tools=[ToolSpec("get_weather", "Current weather.", {"type": "object"})],
    )
    completion = await eventide.collect(provider.stream(request))
    assert [(c.id, c.name, c.arguments, c.parsed) for c in completion.tool_calls] == [
        ("toolu_01W", "get_weather", '{"city": "Paris"}', {"city": "Paris"})
    ]
    assert completion.finish_reason == "tool_calls"
    assert server.requests[0].json()["tools"] == [
        {
            "name": "get_weather",
            "description": "Current weather.",
            "input_schema": {"type": "object"},
        }
    ]


# -- early close -----------------------------------------------------------------------------


async def test_anthropic_first_metadata_closes_the_connection_at_once(
    server: ScriptedServer, provider: Anthropic
) -> None:
    server.reply(Reply(headers=SSE_HEADERS, body=slow(LONG)))
    metadata = await eventide.first_metadata(provider.stream("hi"))
    closed_at = time.monotonic()
    assert metadata.model == MODEL
    assert metadata.response_id == "msg_01RealSocket"
    seen = await server.wait_disconnect(timeout=2)
    assert seen - closed_at < DISCONNECT_BUDGET, f"server saw the close after {seen - closed_at}"
    assert server.completed == 0


# -- failures --------------------------------------------------------------------------------


async def test_anthropic_mid_stream_overloaded_error_keeps_the_partial(
    server: ScriptedServer, provider: Anthropic
) -> None:
    error_event = (
        b"event: error\n"
        b'data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}'
        b"\n\n"
    )
    server.reply(Reply(headers=SSE_HEADERS, body=[*LONG[:5], error_event]))
    with pytest.raises(OverloadedError) as info:
        await eventide.collect(provider.stream("hi"))
    error = info.value
    assert error.provider == "anthropic"
    assert error.retryable
    assert error.code == "overloaded_error"
    assert error.status_code is None  # the response was a 200: not a status error
    assert error.content_emitted
    assert error.partial is not None
    assert error.partial.text == "word0 word1 "
    assert error.partial.metadata is not None
    assert error.partial.metadata.model == MODEL
    assert error.partial.finish_reason is None


async def test_anthropic_http_429_carries_retry_after(
    server: ScriptedServer, provider: Anthropic
) -> None:
    body = (
        b'{"type":"error","error":{"type":"rate_limit_error","message":"Number of request '
        b'tokens has exceeded your per-minute rate limit"},"request_id":"req_011CRate"}'
    )
    server.reply(
        Reply(
            status=429,
            headers=(("content-type", "application/json"), ("retry-after", "17")),
            body=[body],
        )
    )
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    error = info.value
    assert error.provider == "anthropic"
    assert error.status_code == 429
    assert error.retry_after == 17.0
    assert error.code == "rate_limit_error"
    assert error.retryable
    assert error.message == (
        "HTTP 429: Number of request tokens has exceeded your per-minute rate limit "
        "(request req_011CRate)"
    )
    assert not error.content_emitted


async def test_anthropic_http_529_is_overloaded(
    server: ScriptedServer, provider: Anthropic
) -> None:
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    server.reply(Reply(status=529, headers=(("content-type", "application/json"),), body=[body]))
    with pytest.raises(OverloadedError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 529
    assert info.value.retryable


async def test_anthropic_http_401_never_shows_the_key(
    server: ScriptedServer, provider: Anthropic
) -> None:
    body = json.dumps(
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": f"invalid x-api-key {KEY}"},
        }
    ).encode()
    server.reply(Reply(status=401, headers=(("content-type", "application/json"),), body=[body]))
    with pytest.raises(AuthenticationError) as info:
        await eventide.collect(provider.stream("hi"))
    assert not info.value.retryable
    assert KEY not in str(info.value)
    assert KEY not in info.value.body
    assert "[redacted]" in info.value.message


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (True, "broken HTTP response"),  # the connection dropped mid-body
        (False, "ended before message_stop"),  # a complete HTTP body without message_stop
    ],
    ids=["connection-cut", "no-message-stop"],
)
async def test_anthropic_truncated_body_is_a_protocol_error_with_the_partial(
    server: ScriptedServer, provider: Anthropic, cut: bool, message: str
) -> None:
    server.reply(Reply(headers=SSE_HEADERS, body=[*LONG[:6], *([Cut()] if cut else [])]))
    with pytest.raises(ProtocolError, match=message) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "anthropic"
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 word2 "
    assert info.value.partial.finish_reason is None
    assert info.value.content_emitted
