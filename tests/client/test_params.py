"""OpenAI-style arguments become a Request, or a clear error before any I/O."""

from __future__ import annotations

import copy
import math
import time
from typing import TYPE_CHECKING, Any

import pytest

import eventide
from eventide import (
    AsyncClient,
    ImagePart,
    JSONSchema,
    Message,
    ReasoningConfig,
    Request,
    TextPart,
    Timeouts,
    ToolSpec,
)
from eventide.client._chat import CallOptions, Completions
from eventide.client._params import request_from_openai
from tests.http_server import Reply, ScriptedServer, serve
from tests.kits import KITS, Kit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from eventide.providers import Provider


def test_params_content_parts_and_images() -> None:
    request = request_from_openai(
        model="m",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in these?"},
                    {"type": "image_url", "image_url": {"url": "https://example.test/cat.png"}},
                    {"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                ],
            }
        ],
    )
    assert request.messages[0].content == (
        TextPart("What is in these?"),
        ImagePart(url="https://example.test/cat.png"),
        ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
    )


def test_params_accept_eventide_objects_and_named_tool_choice() -> None:
    tool = ToolSpec("look", "Looks.", {"type": "object"})
    request = request_from_openai(
        model=None,
        messages=[Message.system("s"), {"role": "user", "content": None}],
        tools=[tool, {"name": "flat", "parameters": {"type": "object"}}],
        tool_choice={"type": "function", "function": {"name": "look"}},
        stop="END",
    )
    assert request.messages[1] == Message.user("")
    assert [t.name for t in request.tools] == ["look", "flat"]
    assert request.tool_choice == "look"
    assert request.stop == ("END",)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"messages": [{"role": "user", "content": 5}]}, TypeError, "string or a list"),
        (
            {"messages": [{"role": "user", "content": [{"type": "audio"}]}]},
            ValueError,
            "unsupported",
        ),
        ({"messages": ["hi"]}, TypeError, "must be a dict or a Message"),
        (
            {"messages": [{"role": "user", "content": "x", "refusal": "No."}]},
            ValueError,
            r"^messages\[0\]: only an assistant message has a refusal",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "refusal", "refusal": "No."}]}]},
            ValueError,
            r"^messages\[0\]: only an assistant message has a refusal",
        ),
        ({"messages": "hi", "tool_choice": 3}, TypeError, "tool_choice"),
        ({"messages": "hi", "tools": ["look"]}, TypeError, "a tool is a dict"),
        ({"messages": "hi", "tools": [{"type": "function"}]}, ValueError, "function name"),
        ({"messages": "hi", "temperature": "hot"}, TypeError, "temperature must be a number"),
        ({"messages": "hi", "seed": 1.5}, TypeError, "seed must be an integer, not a number"),
        ({"messages": "hi", "max_tokens": True}, TypeError, "max_tokens must be an integer"),
        ({"messages": "hi", "top_p": None, "frequency_penalty": []}, TypeError, "an array"),
    ],
)
def test_params_reject_malformed_arguments(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request_from_openai(model=None, **arguments)


def test_params_leave_the_callers_dicts_and_lists_alone() -> None:
    messages: list[Any] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "function": {"name": "look", "arguments": '{"q":1}'}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "found"},
    ]
    tools: list[Any] = [
        {"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}
    ]
    extra_body = {"metadata": {"tags": ["x"]}}
    stop = ["END"]
    given = copy.deepcopy((messages, tools, extra_body, stop))

    request = request_from_openai(
        model="m",
        messages=messages,
        tools=tools,
        stop=stop,
        extra_body=extra_body,
        response_format={"type": "json_object"},
    )
    request.tools[0].parameters["type"] = "changed"
    request.extra["metadata"]["tags"].append("y")

    assert (messages, tools, extra_body, stop) == given
    assert request.messages[1].content == (TextPart("a"), TextPart("b"))
    assert request.messages[3] == Message.tool("c1", "found")


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"messages": {"role": "user"}}, TypeError, "messages must be a list, not an object"),
        (
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "user", "content": "\ud800"},
                ]
            },
            ValueError,
            r"^messages\[1\]: content is not valid Unicode: a lone surrogate U\+D800 at index 0$",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]},
            TypeError,
            r"^messages\[0\]: text must be a string, not a number$",
        ),
        (
            {"messages": [{"role": "tool", "content": "x"}]},
            ValueError,
            r"^messages\[0\]: a tool message needs tool_call_id",
        ),
        (
            {"messages": "hi", "tools": [{"name": "ok"}, {"name": "not ok"}]},
            ValueError,
            r"^tools\[1\]: name must be 1 to 64 letters",
        ),
        (
            {"messages": "hi", "tools": [{"name": "f", "parameters": "{}"}]},
            TypeError,
            r"^tools\[0\]: parameters must be a dict, not a string$",
        ),
        ({"messages": "hi", "temperature": math.nan}, ValueError, "finite number, not nan"),
        ({"messages": "hi", "max_completion_tokens": -3}, ValueError, "at least 0, not -3"),
        ({"messages": "hi", "presence_penalty": math.inf}, ValueError, "finite number, not inf"),
        ({"messages": "hi", "extra_body": {"x": math.nan}}, ValueError, r"extra\['x'\]"),
    ],
)
def test_params_errors_name_the_field(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request_from_openai(model=None, **arguments)


SCHEMA: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}


@pytest.mark.parametrize(
    ("arguments", "response_format", "reasoning", "sent"),
    [
        ({"response_format": {"type": "json_object"}}, "json", None, {}),
        (  # OpenAI's strict defaults to false
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": SCHEMA},
                }
            },
            JSONSchema("a", SCHEMA, strict=False),
            None,
            {},
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": SCHEMA, "strict": True},
                }
            },
            JSONSchema("a", SCHEMA),
            None,
            {},
        ),
        (  # what the neutral field cannot hold exactly goes on as it is, an OpenAI parameter
            {"response_format": {"type": "text"}},
            None,
            None,
            {"response_format": {"type": "text"}},
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": SCHEMA, "description": "d"},
                }
            },
            None,
            None,
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": SCHEMA, "description": "d"},
                }
            },
        ),
        ({"reasoning_effort": "low"}, None, ReasoningConfig(effort="low"), {}),
        ({"reasoning_effort": "minimal"}, None, None, {"reasoning_effort": "minimal"}),
        (
            {"reasoning_effort": "high", "extra_body": {"reasoning_effort": "xhigh"}},
            None,
            ReasoningConfig(effort="high"),
            {},
        ),
    ],
)
def test_params_map_response_format_and_reasoning_effort(
    arguments: dict[str, Any], response_format: Any, reasoning: Any, sent: dict[str, Any]
) -> None:
    request = request_from_openai(model="m", messages="hi", **arguments)
    assert request.response_format == response_format
    assert request.reasoning == reasoning
    assert request.openai_params == sent
    assert request.extra == arguments.get("extra_body", {})


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"response_format": "json"}, TypeError, "response_format must be a dict, not a string"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "a b", "schema": {}},
                }
            },
            ValueError,
            "^response_format: name must be 1 to 64 letters",
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": []},
                }
            },
            TypeError,
            "^response_format: schema must be a dict, not an array",
        ),
        ({"reasoning_effort": 2}, TypeError, "reasoning_effort must be a string, not a number"),
    ],
)
def test_params_reject_a_bad_response_format_or_reasoning_effort(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request_from_openai(model="m", messages="hi", **arguments)


STRICT = {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA, "strict": True}}
WIRE: dict[str, dict[str, Any]] = {
    "openai": {"response_format": STRICT, "reasoning_effort": "low"},
    "openai-responses": {
        "text": {"format": {"type": "json_schema", "name": "a", "schema": SCHEMA, "strict": True}},
        "reasoning": {"effort": "low"},
    },
    "anthropic": {
        "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}, "effort": "low"}
    },
    "gemini": {
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": SCHEMA,
            "thinkingConfig": {"thinkingLevel": "low"},
        }
    },
    "ollama": {"format": SCHEMA, "think": "low"},
}


@pytest.mark.parametrize("kit", KITS, ids=str)
async def test_create_sends_response_format_and_reasoning_effort_in_each_providers_form(
    kit: Kit,
) -> None:
    """OpenAI's create() arguments reach every provider, over a socket, in its own fields."""
    reply = Reply(body=kit.body(["{}"]), headers=kit.headers)
    async with (
        serve(reply) as server,
        kit.provider(server.url) as provider,
        AsyncClient(provider) as client,
    ):
        await client.chat.completions.create(
            messages="hi", response_format=STRICT, reasoning_effort="low"
        )
    body = server.requests[0].json()
    assert {key: body[key] for key in WIRE[kit.name]} == WIRE[kit.name]


# -- the whole Chat Completions parameter set --------------------------------------------------

LOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"q": {"type": "string"}},
    "required": ["q"],
    "additionalProperties": False,
}
# Every body parameter of openai-python's create() (read 2026-12), as its reference shows it,
# but for the outputs eventide cannot carry: those are asked for nothing here (``audio``
# only asks for audio; LOST_OUTPUTS below are refused).
EVERY_PARAMETER: dict[str, Any] = {
    "frequency_penalty": 0.5,
    "logit_bias": {"50256": -100},
    "logprobs": False,
    "max_completion_tokens": 64,
    "metadata": {"team": "docs"},
    "modalities": ["text"],
    "moderation": {"model": "omni-moderation-latest"},
    "n": 1,
    "parallel_tool_calls": False,
    "prediction": {"type": "content", "content": "old text"},
    "presence_penalty": -0.5,
    "prompt_cache_key": "cache-1",
    "prompt_cache_options": {"mode": "implicit"},
    "prompt_cache_retention": "24h",
    "reasoning_effort": "minimal",
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "a", "schema": SCHEMA, "strict": True},
    },
    "safety_identifier": "user-hash",
    "seed": 7,
    "service_tier": "flex",
    "stop": ["END", "STOP"],
    "store": True,
    "stream_options": {"include_usage": True, "include_obfuscation": False},
    "temperature": 0.3,
    "tool_choice": {"type": "function", "function": {"name": "look"}},
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "look",
                "description": "Looks.",
                "parameters": LOOK_SCHEMA,
                "strict": True,
            },
        }
    ],
    "top_logprobs": 0,
    "top_p": 0.9,
    "user": "user-1",
    "verbosity": "low",
    "web_search_options": {"search_context_size": "low"},
}
IMAGE_HUGE = {
    "type": "image_url",
    "image_url": {"url": "https://example.test/a.png", "detail": "huge"},
}
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {
                "type": "image_url",
                "image_url": {"url": "https://example.test/a.png", "detail": "low"},
            },
        ],
    },
]


@pytest.mark.parametrize("kit", [KITS[0]], ids=str)
async def test_create_sends_every_parameter_to_the_openai_chat_api_as_given(
    server: ScriptedServer, client: AsyncClient
) -> None:
    """Each parameter is in the body the server reads, exactly as the caller wrote it."""
    given = copy.deepcopy(EVERY_PARAMETER)
    await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, **given)
    body = server.requests[0].json()
    assert {key: body.get(key) for key in EVERY_PARAMETER} == EVERY_PARAMETER
    assert body["messages"] == MESSAGES
    assert "max_tokens" not in body  # the caller named the limit max_completion_tokens
    assert body["stream"] is True
    assert given == EVERY_PARAMETER  # nothing the caller passed was changed


LOST_OUTPUTS: list[dict[str, Any]] = [
    {"logprobs": True},
    {"top_logprobs": 2},
    {"logprobs": True, "top_logprobs": 2},
    {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}},
    {"modalities": ["audio"]},
    {"audio": {"voice": "alloy", "format": "pcm16"}},
]


@pytest.mark.parametrize("kit", [KITS[0]], ids=str)
@pytest.mark.parametrize("arguments", LOST_OUTPUTS, ids=lambda given: ",".join(given))
@pytest.mark.parametrize("stream", [False, True])
async def test_create_refuses_outputs_eventide_cannot_carry_before_any_io(
    server: ScriptedServer, client: AsyncClient, arguments: dict[str, Any], stream: bool
) -> None:
    """Token log probabilities and audio would come back None: refused at the call, saying
    what is not supported, as ``n=2`` is."""
    with pytest.raises(ValueError, match=r"^(logprobs and top_logprobs|audio output).* not supp"):
        await client.chat.completions.create(messages="hi", stream=stream, **arguments)
    assert server.requests == []


@pytest.mark.parametrize("kit", [KITS[0]], ids=str)
async def test_create_merges_extra_body_last_and_keeps_the_usage_the_stream_needs(
    server: ScriptedServer, client: AsyncClient
) -> None:
    await client.chat.completions.create(
        messages="hi",
        max_tokens=10,
        temperature=0.2,
        stream_options={"include_usage": False},
        extra_body={"temperature": 0.9, "top_k": 3},
    )
    body = server.requests[0].json()
    assert (body["max_tokens"], body["temperature"], body["top_k"]) == (10, 0.9, 3)
    assert "max_completion_tokens" not in body
    assert body["stream_options"] == {"include_usage": True}


@pytest.fixture
async def client(provider: Provider) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(provider) as made:
        yield made


def test_params_sort_openai_only_parameters_from_neutral_ones() -> None:
    request = request_from_openai(
        messages=MESSAGES,
        model="m",
        top_p=0.5,
        seed=None,
        store=None,  # None is OpenAI's "not given": left out
        user="u",
        tools=EVERY_PARAMETER["tools"],
        extra_headers={"x-trace": "1"},
        extra_query={"api-version": "2026-01-01"},
        extra_body={"top_k": 3},
    )
    assert (request.top_p, request.seed, request.openai_params) == (0.5, None, {"user": "u"})
    assert request.tools == (ToolSpec("look", "Looks.", LOOK_SCHEMA, strict=True),)
    assert request.messages[1].content[1] == ImagePart(
        url="https://example.test/a.png", detail="low"
    )
    assert (request.headers, request.query) == ({"x-trace": "1"}, {"api-version": "2026-01-01"})
    assert request.extra == {"top_k": 3}


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"n": 2}, ValueError, r"^n must be 1, not 2: eventide streams one choice"),
        ({"n": 0}, ValueError, "n must be 1, not 0"),
        ({"top_k": 3}, TypeError, r"unexpected arguments: top_k .*extra_body="),
        (
            {"functions": [{"name": "f"}], "function_call": "auto"},
            TypeError,
            r"^function_call and functions .*use tools= and tool_choice=",
        ),
        ({"functions": [{"name": "f"}]}, TypeError, r"^functions \(deprecated"),
        ({"logprobs": 1}, TypeError, "logprobs must be a boolean, not a number"),
        ({"presence_penalty": 3}, ValueError, "presence_penalty must be between -2 and 2"),
        ({"top_logprobs": -1}, ValueError, "top_logprobs must be at least 0"),
        ({"metadata": ["a"]}, TypeError, "metadata must be a dict, not an array"),
        ({"modalities": "text"}, TypeError, "modalities must be a list of strings"),
        ({"user": 5}, TypeError, "user must be a string, not a number"),
        ({"stream_options": {"include_usage": "yes"}}, TypeError, "include_usage must be a bool"),
        ({"extra_headers": {"x": 1}}, TypeError, r"headers\['x'\] must be a string"),
        ({"tools": [{"type": "custom", "custom": {}}]}, ValueError, "only function tools"),
        (
            {"messages": [{"role": "user", "content": [IMAGE_HUGE]}]},
            ValueError,
            "detail must be one of",
        ),
    ],
)
def test_params_refuse_what_cannot_be_sent_before_any_io(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request_from_openai(**{"model": None, "messages": "hi", **arguments})


async def test_create_turns_timeout_and_stream_options_into_call_options() -> None:
    calls: list[tuple[Request, CallOptions]] = []
    completions = Completions(
        complete=lambda request, options: calls.append((request, options)),
        stream=lambda request, options: calls.append((request, options)),
    )
    completions.create(messages="hi", timeout=5.0)
    completions.create(messages="hi", stream=True, stream_options={"include_usage": True})
    completions.create(messages="hi", timeout=Timeouts(total=9))
    (_, first), (request, second), (_, third) = calls
    assert first == CallOptions(timeouts=Timeouts(connect=5.0, read=5.0, write=5.0, pool=5.0))
    assert second == CallOptions(include_usage=True)
    assert request.openai_params == {"stream_options": {"include_usage": True}}
    assert third == CallOptions(timeouts=Timeouts(total=9))
    with pytest.raises(TypeError, match="timeout must be seconds or Timeouts, not a string"):
        completions.create(messages="hi", timeout="5")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"unexpected arguments: temprature \(.*extra_body="):
        completions.create(messages="hi", temprature=1)  # type: ignore[call-overload]
    assert len(calls) == 3


@pytest.mark.parametrize("kit", [KITS[0]], ids=str)
async def test_a_float_timeout_bounds_each_read_of_the_call(kit: Kit) -> None:
    """``timeout=0.3``: the server that waits 5 s before answering is given up on."""
    async with (
        serve(Reply(pause_before_headers=5.0)) as slow,
        kit.provider(slow.url) as provider,
        AsyncClient(provider) as client,
    ):
        started = time.monotonic()
        with pytest.raises(eventide.TransportError):
            await client.chat.completions.create(messages="hi", timeout=0.3)
        assert time.monotonic() - started < 3


OVER_THE_WIRE: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    # kit: (mapped parameters, what the server reads, a parameter the API refuses)
    "openai": ({"logit_bias": {"1": 5}}, {"logit_bias": {"1": 5}}, {"top_k": 3}),
    "openai-responses": (
        {"store": False, "verbosity": "low"},
        {"store": False, "text": {"verbosity": "low"}},
        {"logit_bias": {"1": 5}},
    ),
    "anthropic": ({"user": "u-1"}, {"metadata": {"user_id": "u-1"}}, {"store": True}),
    "gemini": (
        {"presence_penalty": 0.5},
        {"generationConfig": {"presencePenalty": 0.5}},
        {"user": "u-1"},
    ),
    "ollama": (
        {"frequency_penalty": 0.5},
        {"options": {"frequency_penalty": 0.5}},
        {"metadata": {"a": "b"}},
    ),
}


async def test_each_provider_maps_or_refuses_openai_parameters_before_any_io(
    kit: Kit, server: ScriptedServer, client: AsyncClient
) -> None:
    mapped, wire, refused = OVER_THE_WIRE[kit.name]
    ((name, _),) = refused.items()
    with pytest.raises((eventide.RequestError, TypeError), match=rf"{name}.*extra_body="):
        await client.chat.completions.create(messages="hi", **refused)
    assert server.requests == []  # refused before any I/O
    await client.chat.completions.create(messages="hi", **mapped)
    body = server.requests[0].json()
    assert {key: body[key] for key in wire} == wire
