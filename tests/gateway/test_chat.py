"""The official openai SDK, unchanged, against the gateway served by hypercorn on trio."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import openai
import pytest
import trio

from eventide import ToolCall, Usage
from eventide.routing import Fallback, RetryPolicy
from eventide.testing import Reply, ScriptedProvider, StreamError

from .serving import gateway

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolUnionParam

# openai-python's AsyncStream leaves its inner event generators (its own, and those of the
# httpx2/httpcore2 it ships) to the finaliser after [DONE], as httpx does (encode/httpx#3686):
# the stream's response itself is closed.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Async generator '(openai\\._streaming|httpx2|httpcore2)\\.:ResourceWarning"
)

USAGE = Usage(input_tokens=7, output_tokens=3, total_tokens=10)


def client(url: str, **options: object) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{url}/v1",
        api_key="sk-client",
        max_retries=0,
        **options,  # type: ignore[arg-type]
    )


async def test_chat_streams_text_and_provider() -> None:
    provider = ScriptedProvider(Reply.text(["Hel", "lo", "!"], usage=USAGE), name="upstream")
    async with gateway(provider) as url, client(url) as sdk:
        stream = await sdk.chat.completions.create(
            model="m1", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello!"
    assert {chunk.provider for chunk in chunks} == {"upstream"}  # type: ignore[attr-defined]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in chunks)  # not asked for
    assert chunks[0].model == "m1"
    assert provider.requests[0].messages[0].content == "hi"


async def test_chat_stream_usage_when_asked() -> None:
    provider = ScriptedProvider(Reply.text("a b", usage=USAGE))
    async with gateway(provider) as url, client(url) as sdk:
        stream = await sdk.chat.completions.create(
            model="m1",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (7, 3)


async def test_chat_whole_answer_with_headers() -> None:
    provider = ScriptedProvider(Reply.text("Paris.", usage=USAGE, model="served-7"), name="up")
    async with gateway(provider) as url, client(url) as sdk:
        raw = await sdk.chat.completions.with_raw_response.create(
            model="alias", messages=[{"role": "user", "content": "capital?"}]
        )
        completion = raw.parse()
    assert completion.choices[0].message.content == "Paris."
    assert completion.model == "served-7"
    assert completion.provider == "up"  # type: ignore[attr-defined]
    assert completion.usage is not None
    assert completion.usage.total_tokens == 10
    assert raw.headers["x-eventide-provider"] == "up"
    assert raw.headers["x-eventide-model"] == "served-7"
    assert raw.headers["x-eventide-attempts"] == "0"
    assert raw.headers["x-request-id"].startswith("req_")


async def test_chat_tool_calls_stream_and_whole() -> None:
    call = ToolCall(0, "call_abc", "weather", '{"city": "Oslo"}')
    reply = Reply.text("", tool_calls=[call])
    provider = ScriptedProvider(reply, reply)
    tools: list[ChatCompletionToolUnionParam] = [
        {"type": "function", "function": {"name": "weather", "parameters": {}}}
    ]
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "weather?"}]
    async with gateway(provider) as url, client(url) as sdk:
        stream = await sdk.chat.completions.create(
            model="m",
            messages=messages,
            tools=tools,
            stream=True,
        )
        chunks = [chunk async for chunk in stream]
        whole = await sdk.chat.completions.create(
            model="m",
            messages=messages,
            tools=tools,
        )
    pieces = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or []]
    assert pieces[0].id == "call_abc"
    assert pieces[0].function is not None
    assert pieces[0].function.name == "weather"
    assert "".join(p.function.arguments or "" for p in pieces if p.function) == call.arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    calls = whole.choices[0].message.tool_calls
    assert calls is not None
    assert calls[0].function.name == "weather"  # type: ignore[union-attr]
    assert whole.choices[0].finish_reason == "tool_calls"
    assert provider.requests[0].tools[0].name == "weather"


async def test_chat_upstream_429_is_rate_limit_error() -> None:
    provider = ScriptedProvider(
        Reply.http_error(429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}})
    )
    async with gateway(provider) as url, client(url) as sdk:
        with pytest.raises(openai.RateLimitError) as caught:
            await sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
    assert "slow down" in str(caught.value)


async def test_chat_mid_stream_failure_is_an_error_after_the_text() -> None:
    provider = ScriptedProvider(
        Reply.text(["one ", "two ", "three"], fail=StreamError(after=2, code="server_error"))
    )
    async with gateway(provider) as url, client(url) as sdk:
        stream = await sdk.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        seen: list[str] = []

        async def read() -> None:
            async for chunk in stream:
                seen.extend(c.delta.content or "" for c in chunk.choices)

        with pytest.raises(openai.APIError, match="server had an error"):
            await read()
    assert "".join(seen) == "one two "


async def test_chat_whole_answer_failure_is_an_error_status() -> None:
    provider = ScriptedProvider(Reply.text(["one ", "two"], fail=StreamError(after=1)))
    async with gateway(provider) as url, client(url) as sdk:
        with pytest.raises(openai.InternalServerError):
            await sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}]
            )


async def test_chat_fallback_provenance() -> None:
    first = ScriptedProvider(Reply.http_error(503), name="down")
    second = ScriptedProvider(Reply.text("ok"), name="backup")
    router = Fallback([first, second], retry=RetryPolicy(attempts=1))
    async with gateway(router) as url, client(url) as sdk:
        raw = await sdk.chat.completions.with_raw_response.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        chunks = [chunk async for chunk in raw.parse()]
    assert raw.headers["x-eventide-provider"] == "backup"
    assert raw.headers["x-eventide-attempts"] == "1"
    assert chunks[0].provider == "backup"  # type: ignore[attr-defined]
    await first.aclose()
    await second.aclose()


def test_chat_sync_sdk_streams() -> None:
    async def main() -> list[str]:
        async with gateway(ScriptedProvider(Reply.text(["x", "y"]))) as url:

            def run() -> list[str]:
                with openai.OpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0) as sdk:
                    stream = sdk.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
                    )
                    return [c.choices[0].delta.content or "" for c in stream if c.choices]

            return await trio.to_thread.run_sync(run)

    assert "".join(trio.run(main)) == "xy"


async def test_keys_models_health_and_paths() -> None:
    provider = ScriptedProvider(Reply.text("a"), name="up")
    async with gateway(provider, api_keys=["sk-gate"], models=["m1", "m2"]) as url:
        async with client(url) as wrong:
            with pytest.raises(openai.AuthenticationError):
                await wrong.models.list()
        async with client(url, default_headers={"authorization": "Bearer sk-gate"}) as sdk:
            models = [model.id async for model in sdk.models.list()]
        async with httpx.AsyncClient() as http:
            health = await http.get(f"{url}/health")
            bare = await http.post(
                f"{url}/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": "q"}]},
                headers={"x-api-key": "sk-gate"},
            )
            missing = await http.get(f"{url}/v1/nothing", headers={"x-api-key": "sk-gate"})
    assert models == ["m1", "m2"]
    assert health.json() == {"status": "ok"}
    assert bare.json()["choices"][0]["message"]["content"] == "a"
    assert bare.json()["provider"] == "up"
    assert missing.status_code == 404
    assert "sk-gate" not in repr(create_app_repr(provider))


def create_app_repr(provider: ScriptedProvider) -> str:
    from eventide.gateway import create_app

    return repr(create_app(provider, api_keys=["sk-gate"]))


async def test_models_lists_the_default_model_when_nothing_is_configured() -> None:
    """What Open WebUI shows in its model picker: with no model configured, the one that
    answers by default (here the demo's), rather than an empty list."""
    from eventide.providers import demo
    from eventide.providers._demo import DEMO_MODEL

    async with demo() as provider, gateway(provider) as url, httpx.AsyncClient() as http:
        listed = (await http.get(f"{url}/v1/models")).json()
    assert [model["id"] for model in listed["data"]] == [DEMO_MODEL]
    assert listed["data"][0]["owned_by"] == "demo"
