"""What each API's parser refuses, and what it carries on, through the real server: a
body field is either sent upstream in eventide's form, or refused with a 400 in that API's
error shape before any upstream request; never dropped, never the client's own headers."""

from __future__ import annotations

import inspect
from typing import Any

import anthropic
import httpx
import openai
import pytest

from eventide.client._params import request_from_openai
from eventide.providers import OpenAIChat
from eventide.testing import Reply, ScriptedProvider
from tests.http_server import Reply as ServerReply
from tests.http_server import openai_chunks, serve

from .serving import gateway
from .test_bad_input import VALID, error_of

QUESTION = [{"role": "user", "content": "q"}]
TOOL = {"name": "f", "description": "d", "input_schema": {"type": "object"}}
FUNCTION = {"type": "function", "name": "f", "parameters": {"type": "object"}}
SDK_OPTIONS = ["extra_body", "extra_headers", "extra_query", "timeout"]


async def refused(path: str, body: dict[str, Any]) -> str:
    """The message of the 400 that `body` gets on `path`, checked to reach no upstream."""
    provider = ScriptedProvider(Reply.text("fine"))
    async with gateway(provider) as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}{path}", json=body)
    assert response.status_code == 400, response.text
    assert provider.requests == ()
    return str(error_of(path, response)["message"])


async def test_sdk_options_in_the_body_never_reach_the_upstream() -> None:
    """The openai SDK's ``extra_headers``, ``extra_query`` and ``extra_body`` are options of
    the client, not body fields: sent as body fields to the gateway, they would set the
    upstream's Authorization header, its query and any body field (``n`` past its check)."""
    body = {
        "model": "gpt-4o-mini",
        "messages": QUESTION,
        "stream": True,
        "extra_headers": {"Authorization": "Bearer sk-caller", "X-Injected": "1"},
        "extra_query": {"api-version": "evil"},
        "extra_body": {"model": "o1-pro", "n": 5},
    }
    async with serve(ServerReply(body=openai_chunks(["hi"]))) as upstream:
        provider = OpenAIChat(base_url=f"{upstream.url}/v1", api_key="sk-gateway")
        async with gateway(provider) as url, httpx.AsyncClient() as http:
            bad = await http.post(f"{url}/v1/chat/completions", json=body)
            plain = {"model": "gpt-4o-mini", "messages": QUESTION}
            ok = await http.post(f"{url}/v1/chat/completions", json=plain)
    assert bad.status_code == 400
    message = error_of("/v1/chat/completions", bad)["message"]
    assert "extra_body, extra_headers, extra_query" in message
    assert ok.status_code == 200
    assert [request.path for request in upstream.requests] == ["/v1/chat/completions"]
    assert upstream.requests[0].headers["authorization"] == "Bearer sk-gateway"


@pytest.mark.parametrize("option", SDK_OPTIONS)
async def test_each_sdk_option_is_an_unknown_parameter(option: str) -> None:
    body = {**VALID["/v1/chat/completions"], option: {} if option != "timeout" else 5}
    assert f"unknown parameter: {option}" in await refused("/v1/chat/completions", body)


def test_the_chat_parser_passes_no_other_sdk_option() -> None:
    """Every keyword `request_from_openai` takes is a Chat Completions body field or one of
    the SDK options refused above: a new one must be added to one or the other."""
    fields = {"messages", "model", "tools", "tool_choice", "temperature", "max_tokens"}
    fields |= {"max_completion_tokens", "top_p", "stop", "seed", "n"}
    keywords = {
        name
        for name, parameter in inspect.signature(request_from_openai).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert keywords - fields == set(SDK_OPTIONS) - {"timeout"}


@pytest.mark.parametrize("path", list(VALID))
@pytest.mark.parametrize("model", ["a\nb", "a\rb", "a\x00b", "a\x7fb", "a\u2028b"])
async def test_a_model_with_control_characters_gets_400(path: str, model: str) -> None:
    """It would go into the ``x-eventide-model`` header and the log line."""
    message = await refused(path, {**VALID[path], "model": model})
    assert "model must not hold control characters" in message


@pytest.mark.parametrize("stream", [False, True])
async def test_provenance_headers_carry_any_name_safely(stream: bool) -> None:
    """A server's model (or a requested one with a space or beyond ASCII) is percent-encoded
    in the header; visible ASCII goes as it is."""
    provider = ScriptedProvider(
        Reply.text("fine", model="served\r\nx-forged: 1"), Reply.text("fine"), name="up/1:a"
    )
    body = {**VALID["/v1/chat/completions"], "stream": stream}
    async with gateway(provider) as url, httpx.AsyncClient() as http:
        forged = await http.post(f"{url}/v1/chat/completions", json=body)
        spaced = await http.post(f"{url}/v1/chat/completions", json={**body, "model": "modèle 2%"})
    assert forged.status_code == spaced.status_code == 200
    assert forged.headers["x-eventide-model"] == "served%0D%0Ax-forged:%201"
    assert "x-forged" not in forged.headers
    assert forged.headers["x-eventide-provider"] == "up/1:a"
    assert spaced.headers["x-eventide-model"] == "mod%C3%A8le%202%25"


async def test_chat_refuses_what_the_api_refuses() -> None:
    path = "/v1/chat/completions"
    assert "messages must be an array" in await refused(path, {"model": "m", "messages": "hi"})
    no_content = {"model": "m", "messages": [{"role": "user"}]}
    assert "messages[0]: content is required" in await refused(path, no_content)
    silent = [*QUESTION, {"role": "assistant", "content": None}]
    assert "messages[1]: content is required" in await refused(
        path, {"model": "m", "messages": silent}
    )
    assert "model is required" in await refused(path, {"messages": QUESTION})


async def test_chat_takes_an_assistant_turn_of_tool_calls_without_content() -> None:
    """As OpenAI's reference allows; and a null model asks for the default one."""
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    turns = [
        *QUESTION,
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    provider = ScriptedProvider(Reply.text("fine"), Reply.text("fine"))
    async with (
        gateway(provider) as url,
        openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="-") as typed,
    ):
        sdk: Any = typed  # untyped dicts, as a client sends them
        answer = await sdk.chat.completions.create(model="m", messages=turns)
        default = await sdk.chat.completions.create(model=None, messages=QUESTION)
    assert answer.choices[0].message.content == default.choices[0].message.content == "fine"
    assert provider.requests[0].messages[1].tool_calls[0].name == "f"
    assert provider.requests[1].model is None


async def test_chat_takes_an_assistant_refusal_without_content() -> None:
    """``messages.append(completion.choices[0].message)`` after a refused answer: content
    None, and the refusal, which goes on as the assistant's turn."""
    turns = [
        *QUESTION,
        {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        {"role": "user", "content": "Why not?"},
    ]
    provider = ScriptedProvider(Reply.text("fine"))
    async with gateway(provider) as url, httpx.AsyncClient() as http:
        answer = await http.post(
            f"{url}/v1/chat/completions", json={"model": "m", "messages": turns}
        )
    assert answer.status_code == 200
    assert provider.requests[0].messages[1].refusal == "I can't help with that."


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("thinking", {"type": "adaptive"}, "thinking type must be enabled"),
        ("thinking", {"type": "bogus", "budget_tokens": 1024}, "thinking type must be enabled"),
        ("thinking", {"type": "enabled", "budget_tokens": 1024, "x": 1}, "thinking.x"),
        ("thinking", {"type": "enabled", "budget_tokens": 1024, "display": "omitted"}, "display"),
        ("stop_sequences", "END", "stop_sequences must be an array of strings"),
        ("stop_sequences", ["END", 5], "stop_sequences[1] must be a string"),
        ("tool_choice", {"type": "auto", "disable_parallel_tool_use": "yes"}, "a boolean"),
        ("tool_choice", {"type": "auto", "other": True}, "tool_choice.other"),
        ("model", None, "model: field required"),
    ],
)
async def test_messages_refuses_what_it_cannot_carry(field: str, value: Any, needle: str) -> None:
    body = {**VALID["/v1/messages"], field: value}
    assert needle in await refused("/v1/messages", body)


async def test_messages_carries_parallel_tool_use_thinking_and_stop() -> None:
    provider = ScriptedProvider(*[Reply.text("fine")] * 4)
    async with (
        gateway(provider) as url,
        anthropic.AsyncAnthropic(base_url=url, api_key="-") as typed,
    ):
        sdk: Any = typed
        for choice in ({"type": "auto"}, {"type": "any"}, {"type": "tool", "name": "f"}):
            await sdk.messages.create(
                model="m",
                max_tokens=2000,
                messages=QUESTION,
                tools=[TOOL],
                tool_choice={**choice, "disable_parallel_tool_use": True},
                stop_sequences=["END"],
                thinking={"type": "disabled", "display": None},
            )
        await sdk.messages.create(  # a field of the SDK's thinking config, as it comes
            model="m",
            max_tokens=2000,
            messages=QUESTION,
            thinking={"type": "disabled", "display": "summarized"},
        )
    assert [r.tool_choice for r in provider.requests[:3]] == ["auto", "required", "f"]
    assert all(r.openai_params == {"parallel_tool_calls": False} for r in provider.requests[:3])
    assert all(r.stop == ("END",) for r in provider.requests[:3])
    assert all(r.reasoning is None for r in provider.requests)


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("reasoning", {"effort": "high", "summary": "detailed"}, "reasoning.summary"),
        ("reasoning", "high", "reasoning must be an object"),
        ("instructions", 5, "instructions must be a string"),
        ("parallel_tool_calls", "no", "parallel_tool_calls must be a boolean"),
    ],
)
async def test_responses_refuses_what_it_cannot_carry(field: str, value: Any, needle: str) -> None:
    body = {**VALID["/v1/responses"], field: value}
    assert needle in await refused("/v1/responses", body)


async def test_responses_carries_parallel_tool_calls_and_the_effort() -> None:
    provider = ScriptedProvider(Reply.text("fine"), Reply.text("fine"))
    async with (
        gateway(provider) as url,
        openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="-") as typed,
    ):
        sdk: Any = typed
        await sdk.responses.create(
            model="m",
            input="q",
            tools=[FUNCTION],
            parallel_tool_calls=False,
            reasoning={"effort": "high", "summary": None},
            instructions="Be brief.",
        )
        await sdk.responses.create(model="m", input="q")
    first, second = provider.requests
    assert first.openai_params == {"parallel_tool_calls": False}
    assert first.reasoning is not None
    assert first.reasoning.effort == "high"
    assert first.messages[0].content == "Be brief."
    assert second.openai_params == {}
