"""`OpenAIResponses`' own cases over a real HTTP/1.1 server on 127.0.0.1 (what every provider
does is in test_http.py): the Responses request, its default model, function calls, and an
error event before any content."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import eventide
from eventide import Message, RateLimitError, Request, ToolSpec
from eventide.providers._openai_responses import OpenAIResponses
from tests.http_server import Reply, Stall
from tests.kits import OPENAI_RESPONSES, kit_fixture, opening, response, responses_event

if TYPE_CHECKING:
    from eventide.providers import Provider
    from tests.http_server import ScriptedServer


kit = kit_fixture(OPENAI_RESPONSES)


async def test_openai_responses_provider_sends_the_responses_request(
    server: ScriptedServer, provider: Provider
) -> None:
    request = Request(
        [Message.system("Be brief."), Message.user("Say hello")],
        model="gpt-4.1-mini",
        tools=(ToolSpec("wave", "Wave at the user."),),
        max_tokens=64,
    )
    completion = await eventide.collect(provider.stream(request))
    assert completion.metadata is not None
    assert completion.metadata.requested_model == "gpt-4.1-mini"
    assert completion.tool_calls == ()
    assert server.requests[0].json() == {
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


async def test_openai_responses_provider_uses_its_default_model(server: ScriptedServer) -> None:
    async with OpenAIResponses(base_url=f"{server.url}/v1", api_key="k", model="o4-mini") as made:
        completion = await eventide.collect(made.stream("hi"))
    assert completion.metadata is not None
    assert completion.metadata.requested_model == "o4-mini"
    assert server.requests[0].json()["model"] == "o4-mini"


async def test_openai_responses_provider_collects_tool_calls(
    server: ScriptedServer, provider: Provider
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
    call = {"item_id": "fc_1", "output_index": 0}
    body = [
        *opening()[:2],
        responses_event("response.output_item.added", 2, output_index=0, item=item),
        responses_event("response.function_call_arguments.delta", 3, **call, delta='{"city":'),
        responses_event("response.function_call_arguments.delta", 4, **call, delta='"Paris"}'),
        responses_event(
            "response.function_call_arguments.done",
            5,
            **call,
            name="get_weather",
            arguments='{"city":"Paris"}',
        ),
        responses_event("response.output_item.done", 6, output_index=0, item=done),
        responses_event("response.completed", 7, response=response("completed", output=[done])),
    ]
    server.reply(Reply(body=body))
    completion = await eventide.collect(provider.stream("Weather in Paris?"))
    (call_made,) = completion.tool_calls
    assert (call_made.id, call_made.name, call_made.arguments) == (
        "call_Q1w2E3r4",
        "get_weather",
        '{"city":"Paris"}',
    )
    assert call_made.parsed == {"city": "Paris"}
    assert completion.finish_reason == "tool_calls"
    assert completion.usage is None  # the response reported none


async def test_openai_responses_provider_error_event_before_content(
    server: ScriptedServer, provider: Provider
) -> None:
    rate_limited = responses_event(
        "error",
        2,
        code="rate_limit_exceeded",
        message="Rate limit reached for gpt-4.1-mini.",
        param=None,
    )
    server.reply(Reply(body=[*opening()[:2], rate_limited, Stall()]))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.retryable
    assert not info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.metadata is not None
    assert info.value.partial.text == ""
