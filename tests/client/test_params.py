"""OpenAI-style arguments become a Request, or a clear error before any I/O."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from eventide import (
    AsyncClient,
    ImagePart,
    JSONSchema,
    Message,
    ReasoningConfig,
    TextPart,
    ToolSpec,
)
from eventide.client._params import request_from_openai
from tests.http_server import Reply, serve
from tests.kits import KITS, Kit


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
