"""Failed attempts on the wire when the client asks (``x-eventide-include: attempts``): on
the first chunk of a stream and on a whole answer, in all three APIs, read by the official
SDKs unchanged (``extra_headers=``); redacted, and absent when not asked for."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import openai
import pytest

from eventide.providers import OpenAIChat
from eventide.routing import Fallback, RetryPolicy
from eventide.testing import Reply, ScriptedProvider
from tests.http_server import Reply as ServerReply
from tests.http_server import serve

from .serving import gateway

pytestmark = pytest.mark.filterwarnings(  # the SDK's stream generators (see test_chat.py)
    "ignore:Async generator '(openai\\._streaming|httpx2|httpcore2)\\.:ResourceWarning"
)

ASK = {"x-eventide-include": "attempts"}
QUESTION: Any = [{"role": "user", "content": "Capital of France?"}]
FAILED = {
    "provider": "primary",
    "model": "m",
    "error": "overloaded",
    "status_code": 503,
    "message": "HTTP 503: over capacity",
}


def router() -> Fallback:
    down = ScriptedProvider(
        respond=lambda request: Reply.http_error(503, {"error": {"message": "over capacity"}}),
        name="primary",
    )
    backup = ScriptedProvider(respond=lambda request: Reply.text(["Par", "is."]), name="backup")
    return Fallback([down, backup], retry=RetryPolicy(attempts=1))


def openai_client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0)


async def test_chat_stream_first_chunk_carries_the_attempts_when_asked() -> None:
    async with gateway(router()) as url, openai_client(url) as sdk:
        stream = await sdk.chat.completions.create(
            model="m", messages=QUESTION, stream=True, extra_headers=ASK
        )
        asked = [chunk async for chunk in stream]
        stream = await sdk.chat.completions.create(model="m", messages=QUESTION, stream=True)
        plain = [chunk async for chunk in stream]
    assert asked[0].attempts == [FAILED]  # type: ignore[attr-defined]
    assert asked[0].provider == "backup"  # type: ignore[attr-defined]
    assert all("attempts" not in (chunk.model_extra or {}) for chunk in asked[1:])
    assert "".join(c.choices[0].delta.content or "" for c in asked if c.choices) == "Paris."
    assert all("attempts" not in (chunk.model_extra or {}) for chunk in plain)


async def test_chat_whole_answer_carries_the_attempts_when_asked() -> None:
    async with gateway(router()) as url, openai_client(url) as sdk:
        asked = await sdk.chat.completions.create(model="m", messages=QUESTION, extra_headers=ASK)
        plain = await sdk.chat.completions.create(model="m", messages=QUESTION)
    assert asked.attempts == [FAILED]  # type: ignore[attr-defined]
    assert asked.choices[0].message.content == "Paris."
    assert "attempts" not in (plain.model_extra or {})


async def test_no_failed_attempt_is_an_empty_list() -> None:
    provider = ScriptedProvider(Reply.text("hi"), Reply.text("hi"), name="only")
    async with gateway(provider) as url, openai_client(url) as sdk:
        stream = await sdk.chat.completions.create(
            model="m", messages=QUESTION, stream=True, extra_headers=ASK
        )
        chunks = [chunk async for chunk in stream]
        whole = await sdk.chat.completions.create(model="m", messages=QUESTION, extra_headers=ASK)
    assert chunks[0].attempts == []  # type: ignore[attr-defined]
    assert whole.attempts == []  # type: ignore[attr-defined]


async def test_responses_carry_the_attempts_when_asked() -> None:
    async with gateway(router()) as url, openai_client(url) as sdk:
        stream = await sdk.responses.create(
            model="m", input="Capital of France?", stream=True, extra_headers=ASK
        )
        events = [event async for event in stream]
        whole = await sdk.responses.create(model="m", input="Capital?", extra_headers=ASK)
        plain = await sdk.responses.create(model="m", input="Capital?")
    created = events[0]
    assert created.type == "response.created"
    assert created.response.attempts == [FAILED]  # type: ignore[attr-defined]
    assert whole.attempts == [FAILED]  # type: ignore[attr-defined]
    assert whole.output_text == "Paris."
    assert "attempts" not in (plain.model_extra or {})


async def test_anthropic_messages_carry_the_attempts_when_asked() -> None:
    async with (
        gateway(router()) as url,
        anthropic.AsyncAnthropic(base_url=url, api_key="k", max_retries=0) as sdk,
    ):
        async with sdk.messages.stream(
            model="m", max_tokens=50, messages=QUESTION, extra_headers=ASK
        ) as stream:
            events = [event async for event in stream]
        whole = await sdk.messages.create(
            model="m", max_tokens=50, messages=QUESTION, extra_headers=ASK
        )
        plain = await sdk.messages.create(model="m", max_tokens=50, messages=QUESTION)
    start = events[0]
    assert start.type == "message_start"
    assert start.message.attempts == [FAILED]  # type: ignore[attr-defined]
    assert whole.attempts == [FAILED]  # type: ignore[attr-defined]
    assert "attempts" not in (plain.model_extra or {})


async def test_an_unknown_include_value_is_a_400_before_any_upstream_request() -> None:
    provider = ScriptedProvider(Reply.text("hi"))
    async with gateway(provider) as url, openai_client(url) as sdk:
        with pytest.raises(openai.BadRequestError, match="x-eventide-include"):
            await sdk.chat.completions.create(
                model="m", messages=QUESTION, extra_headers={"x-eventide-include": "secrets"}
            )
    provider.assert_not_called()


async def test_attempts_never_carry_an_upstream_key() -> None:
    secret = "sk-upstream-secret-9191"
    echo = f'{{"error": {{"message": "bad key {secret}", "code": "invalid_api_key"}}}}'
    refusal = ServerReply(
        status=401, headers=[("content-type", "application/json")], body=[echo.encode()]
    )
    async with serve(refusal) as upstream:
        primary = OpenAIChat(base_url=f"{upstream.url}/v1", api_key=secret, name="primary")
        backup = ScriptedProvider(Reply.text("fine"), name="backup")
        fallback = Fallback([primary, backup], retry=RetryPolicy(attempts=1))
        async with primary, gateway(fallback) as url, httpx.AsyncClient() as http:
            response = await http.post(
                f"{url}/v1/chat/completions",
                json={"model": "m", "messages": QUESTION, "stream": True},
                headers=ASK,
            )
    assert upstream.requests[0].headers["authorization"] == f"Bearer {secret}"
    first = response.text.split("\n\n")[0]
    assert '"attempts":[{"provider":"primary"' in first
    assert "bad key" in first
    assert secret not in response.text


async def test_a_listed_origin_may_send_the_include_header() -> None:
    page = "http://localhost:3000"
    ask = {"origin": page, "access-control-request-method": "POST"}
    async with gateway(router(), cors_origins=[page]) as url, httpx.AsyncClient() as http:
        preflight = await http.options(f"{url}/v1/chat/completions", headers=ask)
    assert "x-eventide-include" in preflight.headers["access-control-allow-headers"]
