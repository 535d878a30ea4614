"""`Anthropic`'s own cases over a real HTTP/1.1 server on 127.0.0.1 (what every provider does
is in test_http.py): its repr, the Messages request, beta headers, tool calls, the request id
in errors and the 529 status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import eventide
from eventide import OverloadedError, RateLimitError, Request, ToolSpec
from eventide.providers._anthropic import Anthropic
from tests.http_server import Reply
from tests.kits import ANTHROPIC, block_delta, ending, kit_fixture, message_start, typed_sse

if TYPE_CHECKING:
    from eventide.providers import Provider
    from tests.http_server import ScriptedServer

JSON = (("content-type", "application/json"),)


kit = kit_fixture(ANTHROPIC)


def test_anthropic_repr_says_whether_it_has_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://gateway.test/")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    assert repr(Anthropic()) == (
        "Anthropic(name='anthropic', base_url='http://gateway.test', api_key=set)"
    )


async def test_anthropic_sends_the_messages_request(
    server: ScriptedServer, provider: Provider
) -> None:
    request = Request(
        messages=[eventide.Message.system("Be brief."), eventide.Message.user("Say hello")],
        temperature=0.0,
    )
    await eventide.collect(provider.stream(request, model="claude-haiku-4-5"))
    (received,) = server.requests
    assert received.headers["anthropic-version"] == "2023-06-01"
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
    async with ANTHROPIC.provider(server.url, headers=headers) as provider:
        await eventide.collect(provider.stream("hi"))
    assert server.requests[0].headers["anthropic-beta"] == "fine-grained-tool-streaming-2025-05-14"


async def test_anthropic_collects_streamed_tool_calls(
    server: ScriptedServer, provider: Provider
) -> None:
    tool_block = {"type": "tool_use", "id": "toolu_01W", "name": "get_weather", "input": {}}
    pieces = ["", '{"city":', ' "Par', 'is"}']
    body = [
        message_start(),
        typed_sse({"type": "content_block_start", "index": 0, "content_block": tool_block}),
        *(block_delta({"type": "input_json_delta", "partial_json": piece}) for piece in pieces),
        typed_sse({"type": "content_block_stop", "index": 0}),
        *ending("tool_use", 30),
    ]
    server.reply(Reply(headers=ANTHROPIC.headers, body=body))
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


async def test_anthropic_http_error_names_the_request_id(
    server: ScriptedServer, provider: Provider
) -> None:
    body = (
        b'{"type":"error","error":{"type":"rate_limit_error","message":"Number of request '
        b'tokens has exceeded your per-minute rate limit"},"request_id":"req_011CRate"}'
    )
    server.reply(Reply(status=429, headers=JSON, body=[body]))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.code == "rate_limit_error"
    assert info.value.message == (
        "HTTP 429: Number of request tokens has exceeded your per-minute rate limit "
        "(request req_011CRate)"
    )


async def test_anthropic_http_529_is_overloaded(server: ScriptedServer, provider: Provider) -> None:
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    server.reply(Reply(status=529, headers=JSON, body=[body]))
    with pytest.raises(OverloadedError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 529
    assert info.value.retryable
