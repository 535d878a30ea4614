"""The official openai SDK's Responses client, unchanged, against the gateway's
``/v1/responses``."""

from __future__ import annotations

import openai
import pytest

from eventide import ToolCall, Usage
from eventide.testing import Reply, ScriptedProvider, StreamError

from .serving import gateway

pytestmark = pytest.mark.filterwarnings(  # the SDK's stream generators (see test_chat.py)
    "ignore:Async generator '(openai\\._streaming|httpx2|httpcore2)\\.:ResourceWarning"
)

USAGE = Usage(input_tokens=5, output_tokens=2, total_tokens=7)


def client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0)


async def test_responses_stream_events_in_order() -> None:
    provider = ScriptedProvider(Reply.text(["Hi", " there"], reasoning="Hm.", usage=USAGE))
    async with gateway(provider) as url, client(url) as sdk:
        stream = await sdk.responses.create(model="m", input="hello", stream=True)
        events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Hi there"
    summary = [e.delta for e in events if e.type == "response.reasoning_summary_text.delta"]
    assert "".join(summary) == "Hm."
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output_text == "Hi there"
    assert final.usage is not None
    assert final.usage.total_tokens == 7
    assert provider.requests[0].messages[0].content == "hello"


async def test_responses_whole_with_a_tool_call() -> None:
    call = ToolCall(0, "call_9", "weather", '{"city": "Oslo"}')
    provider = ScriptedProvider(Reply.text("", tool_calls=[call]), name="up")
    async with gateway(provider) as url, client(url) as sdk:
        response = await sdk.responses.create(
            model="m",
            input=[{"role": "user", "content": "weather?"}],
            tools=[{"type": "function", "name": "weather", "parameters": {}, "strict": False}],
        )
    item = response.output[0]
    assert item.type == "function_call"
    assert (item.name, item.call_id, item.arguments) == ("weather", "call_9", call.arguments)
    assert provider.requests[0].tools[0].name == "weather"


async def test_responses_failure_mid_stream_is_response_failed() -> None:
    provider = ScriptedProvider(
        Reply.text(["a ", "b"], fail=StreamError(after=1, code="server_error")),
        Reply.http_error(429, {"error": {"message": "slow", "code": "rate_limit_exceeded"}}),
    )
    async with gateway(provider) as url, client(url) as sdk:
        stream = await sdk.responses.create(model="m", input="x", stream=True)
        events = [event async for event in stream]
        with pytest.raises(openai.RateLimitError):
            await sdk.responses.create(model="m", input="x", stream=True)
    assert events[-1].type == "response.failed"
    failed = events[-1].response
    assert failed.error is not None
    assert "server had an error" in failed.error.message
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["a "]


async def test_responses_stream_helper_accumulates_every_item() -> None:
    call = ToolCall(0, "call_9", "weather", '{"city": "Oslo"}')
    provider = ScriptedProvider(Reply.text(["Hi", " there"], reasoning="Hm.", tool_calls=[call]))
    async with (
        gateway(provider) as url,
        client(url) as sdk,
        sdk.responses.stream(model="m", input="hello") as stream,
    ):
        final = await stream.get_final_response()
    assert [item.type for item in final.output] == ["reasoning", "message", "function_call"]
    assert final.output_text == "Hi there"
