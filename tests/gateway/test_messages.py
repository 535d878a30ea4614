"""The official anthropic SDK, unchanged, against the gateway's ``/v1/messages``."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from eventide import ToolCall, Usage
from eventide.testing import Reply, ScriptedProvider, StreamError

from .serving import gateway

pytestmark = pytest.mark.filterwarnings(  # the SDK's stream generators (see test_chat.py)
    "ignore:Async generator '(anthropic\\._streaming|httpx2|httpcore2)\\.:ResourceWarning"
)

USAGE = Usage(input_tokens=9, output_tokens=4, total_tokens=13)
QUESTION: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hi"}]


def client(url: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=url, api_key="sk-client", max_retries=0)


async def test_messages_stream_text_usage_and_provider() -> None:
    provider = ScriptedProvider(Reply.text(["Hel", "lo"], usage=USAGE, model="served"), name="up")
    async with (
        gateway(provider) as url,
        client(url) as sdk,
        sdk.messages.stream(model="m", max_tokens=50, messages=QUESTION) as stream,
    ):
        pieces = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert pieces == ["Hel", "lo"]
    assert final.content[0].type == "text"
    assert final.content[0].text == "Hello"
    assert final.stop_reason == "end_turn"
    assert final.model == "served"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (9, 4)
    sent = provider.requests[0]
    assert sent.max_tokens == 50
    assert sent.messages[0].content == "hi"


async def test_messages_tools_and_thinking_stream() -> None:
    call = ToolCall(0, "toolu_1", "weather", '{"city": "Oslo"}')
    reply = Reply.text("", reasoning=["Think ", "hard."], tool_calls=[call])
    provider = ScriptedProvider(reply)
    tools: list[anthropic.types.ToolParam] = [
        {"name": "weather", "input_schema": {"type": "object"}}
    ]
    async with (
        gateway(provider) as url,
        client(url) as sdk,
        sdk.messages.stream(model="m", max_tokens=50, messages=QUESTION, tools=tools) as stream,
    ):
        final = await stream.get_final_message()
    kinds = [block.type for block in final.content]
    assert kinds == ["thinking", "tool_use"]
    assert final.content[0].thinking == "Think hard."  # type: ignore[union-attr]
    assert final.content[1].input == {"city": "Oslo"}  # type: ignore[union-attr]
    assert final.content[1].name == "weather"  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"
    assert provider.requests[0].tools[0].name == "weather"


async def test_messages_whole_answer_with_bearer_and_headers() -> None:
    reply = Reply.text("Paris.", usage=USAGE)
    provider = ScriptedProvider(reply, reply, name="up")
    async with gateway(provider, api_keys=["sk-gate"]) as url:
        async with anthropic.AsyncAnthropic(
            base_url=url, auth_token="sk-gate", max_retries=0
        ) as sdk:  # Authorization: Bearer
            raw = await sdk.messages.with_raw_response.create(
                model="m", max_tokens=20, messages=QUESTION
            )
        async with anthropic.AsyncAnthropic(
            base_url=url, api_key="sk-gate", max_retries=0
        ) as sdk:  # x-api-key
            again = await sdk.messages.create(model="m", max_tokens=20, messages=QUESTION)
        async with client(url) as wrong:
            with pytest.raises(anthropic.AuthenticationError):
                await wrong.messages.create(model="m", max_tokens=20, messages=QUESTION)
    message = await raw.parse()
    assert message.content[0].text == "Paris."  # type: ignore[union-attr]
    assert raw.headers["x-eventide-provider"] == "up"
    assert again.stop_reason == "end_turn"


async def test_messages_errors_before_and_after_the_head() -> None:
    provider = ScriptedProvider(
        Reply.http_error(429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}),
        Reply.text(["one ", "two"], fail=StreamError(after=1, code="server_error")),
    )
    async with gateway(provider) as url, client(url) as sdk:
        with pytest.raises(anthropic.RateLimitError):
            await sdk.messages.create(model="m", max_tokens=9, messages=QUESTION, stream=True)
        seen: list[str] = []

        async def read() -> None:
            async with sdk.messages.stream(model="m", max_tokens=9, messages=QUESTION) as stream:
                async for text in stream.text_stream:
                    seen.append(text)  # noqa: PERF401  # each piece as it comes, before the error

        with pytest.raises(anthropic.APIStatusError, match="server had an error"):
            await read()
    assert seen == ["one "]


async def test_messages_bad_input_gets_anthropic_errors() -> None:
    provider = ScriptedProvider(Reply.text("never"))
    async with gateway(provider) as url, httpx.AsyncClient() as http:
        no_max = await http.post(f"{url}/v1/messages", json={"model": "m", "messages": QUESTION})
        extra = await http.post(
            f"{url}/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": QUESTION, "frob": 1},
        )
    assert no_max.status_code == 400
    assert no_max.json()["type"] == "error"
    assert no_max.json()["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in no_max.json()["error"]["message"]
    assert "frob" in extra.json()["error"]["message"]
    assert provider.requests == ()
