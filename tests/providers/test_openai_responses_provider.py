"""OpenAIResponses over a real HTTP/1.1 server on 127.0.0.1: the request it sends, a full
stream, the terminal event ending the stream, early close, mid-stream and HTTP errors; and
its configuration (environment, secrets)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
import trio

import eventide
from eventide import (
    AuthenticationError,
    Message,
    Metadata,
    ProtocolError,
    RateLimitError,
    Request,
    ServerError,
    TextDelta,
    ToolSpec,
    Usage,
)
from eventide.providers._openai_responses import OpenAIResponses
from tests.http_server import Cut, Pause, Reply, ScriptedServer, Stall, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

DISCONNECT_BUDGET = 0.1  # seconds from the client's close to the server noticing
KEY = "sk-responses-real-socket"
RESPONSE_ID = "resp_68c0a1b2c3d48190a5b6c7d8e9f0a1b20c3d4e5f6a7b8c9d"
MODEL = "gpt-4.1-mini-2025-04-14"
MSG = "msg_68c0a1b3d4e58190b6c7d8e9f0a1b2c30c3d4e5f6a7b8c9d"


def event(payload: dict[str, Any]) -> bytes:
    """One server-sent event as the API frames it: its type as the event name, then data."""
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


def response(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 1757000000,
        "status": status,
        "model": MODEL,
        "output": [],
        "usage": None,
        **fields,
    }


def opening() -> list[bytes]:
    """response.created, response.in_progress and an assistant message item opened."""
    return [
        event(
            {"type": "response.created", "sequence_number": 0, "response": response("in_progress")}
        ),
        event(
            {
                "type": "response.in_progress",
                "sequence_number": 1,
                "response": response("in_progress"),
            }
        ),
        event(
            {
                "type": "response.output_item.added",
                "sequence_number": 2,
                "output_index": 0,
                "item": {
                    "id": MSG,
                    "type": "message",
                    "status": "in_progress",
                    "content": [],
                    "role": "assistant",
                },
            }
        ),
    ]


def deltas(texts: Sequence[str], first_sequence: int = 3) -> list[bytes]:
    return [
        event(
            {
                "type": "response.output_text.delta",
                "sequence_number": first_sequence + i,
                "item_id": MSG,
                "output_index": 0,
                "content_index": 0,
                "delta": text,
                "logprobs": [],
            }
        )
        for i, text in enumerate(texts)
    ]


def text_stream(texts: Sequence[str]) -> list[bytes]:
    """A complete Responses stream answering `texts`, one SSE event per piece."""
    usage = {
        "input_tokens": 21,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": len(texts),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 21 + len(texts),
    }
    whole = "".join(texts)
    item = {
        "id": MSG,
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": whole, "annotations": []}],
    }
    n = 3 + len(texts)
    return [
        *opening(),
        *deltas(texts),
        event(
            {
                "type": "response.output_text.done",
                "sequence_number": n,
                "item_id": MSG,
                "output_index": 0,
                "content_index": 0,
                "text": whole,
            }
        ),
        event(
            {
                "type": "response.output_item.done",
                "sequence_number": n + 1,
                "output_index": 0,
                "item": item,
            }
        ),
        event(
            {
                "type": "response.completed",
                "sequence_number": n + 2,
                "response": response("completed", output=[item], usage=usage),
            }
        ),
    ]


WORDS = [f"word{i} " for i in range(200)]
LONG = text_stream(WORDS)  # far more than the tests read before closing


def slow(pieces: list[bytes], pause: float = 0.01) -> list[bytes | Pause]:
    """The pieces with a pause before each, as a model generating tokens would send them."""
    return [part for piece in pieces for part in (Pause(pause), piece)]


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    headers = (("content-type", "text/event-stream"), ("x-request-id", "req_7f3e2a1b"))
    async with serve(Reply(headers=headers, body=text_stream(["Hello", ", ", "world"]))) as made:
        yield made


@pytest.fixture
async def provider(server: ScriptedServer) -> AsyncIterator[OpenAIResponses]:
    async with OpenAIResponses(base_url=f"{server.url}/v1", api_key=KEY) as made:
        yield made


async def assert_disconnect_seen(server: ScriptedServer, since: float) -> None:
    seen = await server.wait_disconnect(timeout=2)
    assert seen - since < DISCONNECT_BUDGET, f"server saw the close after {seen - since:.3f} s"


# -- the request and a full stream --------------------------------------------------------


async def test_openai_responses_provider_collects_a_full_stream(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    request = Request(
        [Message.system("Be brief."), Message.user("Say hello")],
        model="gpt-4.1-mini",
        tools=(ToolSpec("wave", "Wave at the user."),),
        max_tokens=64,
    )
    completion = await eventide.collect(provider.stream(request))

    assert completion.metadata == Metadata(
        provider="openai-responses",
        model=MODEL,
        requested_model="gpt-4.1-mini",
        response_id=RESPONSE_ID,
        extra={"request_id": "req_7f3e2a1b"},
    )
    assert completion.text == "Hello, world"
    assert completion.usage == Usage(21, 3, 24, cached_tokens=0, reasoning_tokens=0)
    assert completion.finish_reason == "stop"
    assert completion.raw_finish_reason == "completed"
    assert completion.tool_calls == ()

    (received,) = server.requests
    assert received.method == "POST"
    assert received.path == "/v1/responses"
    assert received.headers["authorization"] == f"Bearer {KEY}"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["accept"] == "text/event-stream"
    assert received.json() == {
        "model": "gpt-4.1-mini",
        "instructions": "Be brief.",
        "input": [{"type": "message", "role": "user", "content": "Say hello"}],
        "stream": True,
        "tools": [
            {
                "type": "function",
                "name": "wave",
                "description": "Wave at the user.",
                "parameters": {"type": "object"},
                "strict": False,
            }
        ],
        "max_output_tokens": 64,
    }
    assert server.completed == 1


async def test_openai_responses_provider_uses_its_default_model(server: ScriptedServer) -> None:
    async with OpenAIResponses(base_url=f"{server.url}/v1", api_key=KEY, model="o4-mini") as made:
        completion = await eventide.collect(made.stream("hi"))
    assert completion.metadata is not None
    assert completion.metadata.requested_model == "o4-mini"
    assert server.requests[0].json()["model"] == "o4-mini"


async def test_openai_responses_provider_collects_tool_calls(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    item = {
        "id": "fc_1",
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": "call_Q1w2E3r4",
        "name": "get_weather",
    }
    done = {**item, "status": "completed", "arguments": '{"city":"Paris"}'}
    server.reply(
        Reply(
            body=[
                *opening()[:2],
                event(
                    {
                        "type": "response.output_item.added",
                        "sequence_number": 2,
                        "output_index": 0,
                        "item": item,
                    }
                ),
                event(
                    {
                        "type": "response.function_call_arguments.delta",
                        "sequence_number": 3,
                        "item_id": "fc_1",
                        "output_index": 0,
                        "delta": '{"city":',
                    }
                ),
                event(
                    {
                        "type": "response.function_call_arguments.delta",
                        "sequence_number": 4,
                        "item_id": "fc_1",
                        "output_index": 0,
                        "delta": '"Paris"}',
                    }
                ),
                event(
                    {
                        "type": "response.function_call_arguments.done",
                        "sequence_number": 5,
                        "item_id": "fc_1",
                        "output_index": 0,
                        "name": "get_weather",
                        "arguments": '{"city":"Paris"}',
                    }
                ),
                event(
                    {
                        "type": "response.output_item.done",
                        "sequence_number": 6,
                        "output_index": 0,
                        "item": done,
                    }
                ),
                event(
                    {
                        "type": "response.completed",
                        "sequence_number": 7,
                        "response": response("completed", output=[done]),
                    }
                ),
            ]
        )
    )
    completion = await eventide.collect(provider.stream("Weather in Paris?"))
    (call,) = completion.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "call_Q1w2E3r4",
        "get_weather",
        '{"city":"Paris"}',
    )
    assert call.parsed == {"city": "Paris"}
    assert completion.finish_reason == "tool_calls"
    assert completion.usage is None  # the response reported none


async def test_openai_responses_provider_stops_at_the_terminal_event_without_waiting_for_eof(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    """response.completed ends the stream (DESIGN rule 2), though the body never ends."""
    server.reply(Reply(body=[*text_stream(["done"]), Stall()]))
    with trio.fail_after(5):
        completion = await eventide.collect(provider.stream("hi"))
    assert completion.text == "done"
    assert completion.finish_reason == "stop"
    await server.wait_disconnect(timeout=2)


# -- early close ---------------------------------------------------------------------------


async def test_openai_responses_provider_first_metadata_closes_the_connection_at_once(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    server.reply(Reply(body=slow(LONG)))
    metadata = await eventide.first_metadata(provider.stream("hi"))
    closed_at = time.monotonic()
    assert metadata.model == MODEL
    assert metadata.provider == "openai-responses"
    await assert_disconnect_seen(server, closed_at)
    assert server.completed == 0


async def test_openai_responses_provider_async_with_break_closes_the_connection(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    server.reply(Reply(body=slow(LONG)))
    async with provider.stream("hi") as events:
        async for received in events:
            if isinstance(received, TextDelta):
                assert received.text == "word0 "
                break
    closed_at = time.monotonic()
    await assert_disconnect_seen(server, closed_at)


# -- errors --------------------------------------------------------------------------------


async def test_openai_responses_provider_response_failed_keeps_the_partial(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    error = {"code": "server_error", "message": "An error occurred while processing your request."}
    failed = event(
        {
            "type": "response.failed",
            "sequence_number": 5,
            "response": response("failed", error=error),
        }
    )
    server.reply(Reply(body=[*opening(), *deltas(["The answer", " is"]), failed, Stall()]))
    with pytest.raises(ServerError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "openai-responses"
    assert info.value.code == "server_error"
    assert info.value.message == "An error occurred while processing your request."
    assert info.value.retryable
    assert info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.text == "The answer is"
    assert info.value.partial.metadata is not None
    assert info.value.partial.metadata.response_id == RESPONSE_ID
    assert info.value.partial.finish_reason is None


async def test_openai_responses_provider_error_event_before_content(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    rate_limited = event(
        {
            "type": "error",
            "sequence_number": 2,
            "code": "rate_limit_exceeded",
            "message": "Rate limit reached for gpt-4.1-mini.",
            "param": None,
        }
    )
    server.reply(Reply(body=[*opening()[:2], rate_limited, Stall()]))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.retryable
    assert not info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.metadata is not None
    assert info.value.partial.text == ""


async def test_openai_responses_provider_body_ending_early_is_a_protocol_error(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    """A body that ends cleanly before response.completed is a truncated answer, not a
    short one."""
    server.reply(Reply(body=LONG[:6]))
    with pytest.raises(ProtocolError, match=r"before response\.completed") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "openai-responses"
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 word2 "
    assert info.value.partial.finish_reason is None
    assert info.value.content_emitted


async def test_openai_responses_provider_cut_connection_is_a_protocol_error(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    server.reply(Reply(body=[*LONG[:5], Cut()]))
    with pytest.raises(ProtocolError, match="broken HTTP response") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 "


async def test_openai_responses_provider_http_429_carries_retry_after(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    body = (
        b'{"error":{"message":"Rate limit reached for gpt-4.1-mini on requests per min.",'
        b'"type":"requests","param":null,"code":"rate_limit_exceeded"}}'
    )
    server.reply(
        Reply(
            status=429,
            headers=(("content-type", "application/json"), ("retry-after", "20")),
            body=[body],
        )
    )
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 429
    assert info.value.retry_after == 20.0
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.retryable
    assert info.value.provider == "openai-responses"
    assert "Rate limit reached" in info.value.message


async def test_openai_responses_provider_http_401_keeps_the_key_out_of_the_error(
    server: ScriptedServer, provider: OpenAIResponses
) -> None:
    body = json.dumps(
        {
            "error": {
                "message": f"Incorrect API key provided: {KEY}.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
    ).encode()
    server.reply(Reply(status=401, headers=(("content-type", "application/json"),), body=[body]))
    with pytest.raises(AuthenticationError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 401
    assert not info.value.retryable
    assert KEY not in str(info.value)
    assert KEY not in info.value.body


# -- configuration -------------------------------------------------------------------------


def test_openai_responses_provider_reads_its_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://local.test/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-secret")
    monkeypatch.setenv("OPENAI_MODEL", "gpt-4.1")
    provider = OpenAIResponses()
    assert provider.name == "openai-responses"
    assert provider.base_url == "http://local.test/v1"
    assert provider.model == "gpt-4.1"
    assert "sk-env-secret" not in repr(provider)
    assert "api_key=set" in repr(provider)
    configured = OpenAIResponses(base_url="http://x/v1", model="o3", name="azure-responses")
    assert (configured.base_url, configured.model, configured.name) == (
        "http://x/v1",
        "o3",
        "azure-responses",
    )


def test_openai_responses_provider_defaults_without_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    provider = OpenAIResponses()
    assert provider.base_url == "https://api.openai.com/v1"
    assert provider.model == "gpt-4o-mini"
    assert "api_key=unset" in repr(provider)


async def test_openai_responses_provider_without_key_fails_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    async with OpenAIResponses() as provider:
        with pytest.raises(AuthenticationError, match="OPENAI_API_KEY") as info:
            await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "openai-responses"


async def test_openai_responses_provider_without_key_sends_no_authorization(
    server: ScriptedServer,
) -> None:
    async with OpenAIResponses(base_url=f"{server.url}/v1", api_key="") as provider:
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert "authorization" not in server.requests[0].headers
    assert server.requests[0].headers["user-agent"].startswith("eventide/")
