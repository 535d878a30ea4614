"""`Request`, `Message`, parts and tool specs check every field when built: a value that
cannot be sent is a TypeError or ValueError naming the field, before any I/O, and the
caller's objects are never changed."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import httpx
import pytest
import trio
from hypothesis import example, given
from hypothesis import strategies as st

from eventide import (
    AsyncClient,
    ImagePart,
    JSONSchema,
    Message,
    ReasoningConfig,
    Request,
    TextPart,
    ToolSpec,
)
from eventide._request import refusal_as_text
from tests.fakes import mock_provider, reply


def _(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


OK = [
    b'data: {"choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n',
    b"data: [DONE]\n\n",
]


def test_message_user_takes_strings_in_a_list_as_text_parts() -> None:
    message = Message.user(["a", TextPart("b"), ImagePart(url="https://i.test/x.png"), "c"])
    assert message.content == (
        TextPart("a"),
        TextPart("b"),
        ImagePart(url="https://i.test/x.png"),
        TextPart("c"),
    )
    assert message.text == "abc"


async def test_message_user_with_a_list_of_strings_sends_them() -> None:
    handler, _, requests = reply(OK)
    async with mock_provider(handler) as provider, AsyncClient(provider) as client:
        await client.complete(Request([Message.user(["first", "second"])]))
    (sent,) = json.loads(requests[0].content)["messages"]
    assert sent == {
        "role": "user",
        "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}],
    }


@pytest.mark.parametrize(
    ("content", "sent"),
    [
        ("", "No."),
        ((), "No."),
        ("Well.", "Well.\n\nNo."),
        ((TextPart("Well."),), (TextPart("Well."), TextPart("No."))),
    ],
)
def test_refusal_as_text_puts_the_refusal_after_the_content(
    content: str | tuple[TextPart, ...], sent: str | tuple[TextPart, ...]
) -> None:
    """What an API without a refusal field is sent: the refusal as the assistant's text."""
    refused = Message("assistant", content, refusal="No.")
    assert refusal_as_text(refused) == Message("assistant", sent)
    unrefused = Message("assistant", content, refusal="")
    assert refusal_as_text(unrefused) is unrefused


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Message(_("robot"), "x"), ValueError, "role must be one of 'system', 'developer'"),
        (lambda: Message(_(None), "x"), ValueError, "role must be one of"),
        (lambda: Message.user(_(5)), TypeError, "content must be a string or a sequence of parts"),
        (lambda: Message.user(_(b"x")), TypeError, "content must be a string or a sequence"),
        (lambda: Message.user(_({"type": "text"})), TypeError, "content must be a string or a"),
        (
            lambda: Message.user(_([{"type": "text", "text": "x"}])),
            TypeError,
            "content\\[0\\] must",
        ),
        (lambda: Message.user(_(["ok", 3])), TypeError, "content\\[1\\] must be a TextPart"),
        (lambda: Message.user("\ud800"), ValueError, "content is not valid Unicode"),
        (lambda: Message.user(["\udfff"]), ValueError, "content\\[0\\] is not valid Unicode"),
        (lambda: Message.system(_(None)), TypeError, "content must be a string or a sequence"),
        (lambda: Message.tool(_(7), "x"), TypeError, "tool_call_id must be a string, not a number"),
        (lambda: Message("user", "x", name=_(1)), TypeError, "name must be a string"),
        (
            lambda: Message("assistant", tool_calls=_(["call"])),
            TypeError,
            "tool_calls must be ToolCall objects: tool_calls\\[0\\] is a string",
        ),
        (
            lambda: Message.assistant("x", reasoning=_([{"signature": "s"}])),
            TypeError,
            "reasoning must be Reasoning objects: reasoning\\[0\\] is",
        ),
        (
            lambda: Message("user", "x", refusal="No."),
            ValueError,
            "only an assistant message has a refusal, not a user one",
        ),
        (lambda: Message.assistant(refusal=_(5)), TypeError, "refusal must be a string"),
        (lambda: TextPart(_(None)), TypeError, "text must be a string, not null"),
        (lambda: TextPart("\ud800"), ValueError, "text is not valid Unicode"),
        (lambda: ImagePart(), ValueError, "exactly one of url= or data="),
        (lambda: ImagePart(url="u", data="d"), ValueError, "exactly one of url= or data="),
        (lambda: ImagePart(data="iVBO"), ValueError, "needs media_type="),
        (lambda: ImagePart(url=_(b"u")), TypeError, "url must be a string, not bytes"),
    ],
)
def test_messages_and_parts_reject_what_cannot_be_sent(
    make: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: ToolSpec(""), ValueError, "name must be 1 to 64 letters"),
        (lambda: ToolSpec("get weather"), ValueError, "name must be 1 to 64 letters"),
        (lambda: ToolSpec("x" * 65), ValueError, "name must be 1 to 64 letters"),
        (lambda: ToolSpec(_(None)), TypeError, "name must be a string, not null"),
        (lambda: ToolSpec("f", _(3)), TypeError, "description must be a string"),
        (lambda: ToolSpec("f", "", _([1])), TypeError, "parameters must be a dict, not an array"),
        (lambda: ToolSpec("f", "", _("{}")), TypeError, "parameters must be a dict, not a string"),
        (
            lambda: ToolSpec("f", "", _({"a": {1, 2}})),
            TypeError,
            "parameters\\['a'\\] must be JSON",
        ),
    ],
)
def test_tool_specs_reject_what_cannot_be_sent(
    make: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


HI = [Message.user("hi")]


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"messages": []}, ValueError, "messages must not be empty"),
        (
            {"messages": ["hi"]},
            TypeError,
            "messages must be Message objects: messages\\[0\\] is a string",
        ),
        ({"temperature": math.nan}, ValueError, "temperature must be a finite number, not nan"),
        ({"temperature": math.inf}, ValueError, "temperature must be a finite number, not inf"),
        ({"temperature": -1}, ValueError, "temperature must be at least 0, not -1"),
        ({"temperature": "0.7"}, TypeError, "temperature must be a number, not a string"),
        ({"temperature": True}, TypeError, "temperature must be a number, not a boolean"),
        ({"top_p": -math.inf}, ValueError, "top_p must be a finite number, not -inf"),
        ({"top_p": 1.5}, ValueError, "top_p must be between 0 and 1, not 1.5"),
        ({"max_tokens": -1}, ValueError, "max_tokens must be at least 0, not -1"),
        ({"max_tokens": 10.0}, TypeError, "max_tokens must be an integer, not a number"),
        ({"max_tokens": True}, TypeError, "max_tokens must be an integer, not a boolean"),
        ({"max_tokens": "10"}, TypeError, "max_tokens must be an integer, not a string"),
        ({"seed": 1.5}, TypeError, "seed must be an integer, not a number"),
        ({"model": 4}, TypeError, "model must be a string, not a number"),
        ({"model": "m\ud800"}, ValueError, "model is not valid Unicode"),
        ({"tool_choice": {"name": "f"}}, TypeError, "tool_choice must be a string"),
        (
            {"tools": [{"name": "f"}]},
            TypeError,
            "tools must be ToolSpec objects: tools\\[0\\] is an object",
        ),
        ({"stop": 5}, TypeError, "stop must be a string or a list of strings, not a number"),
        ({"stop": ["END", 5]}, TypeError, "stop\\[1\\] must be a string, not a number"),
        ({"stop": b"END"}, TypeError, "stop must be a string or a list of strings, not bytes"),
        ({"extra": [("a", 1)]}, TypeError, "extra must be a dict, not an array"),
        ({"extra": {"n": math.nan}}, ValueError, "extra\\['n'\\] must be a finite number"),
        ({"extra": {"when": object()}}, TypeError, "extra\\['when'\\] must be JSON data"),
        (
            {"response_format": "xml"},
            ValueError,
            "response_format must be a JSONSchema or 'json', not 'xml'",
        ),
        ({"response_format": {"type": "json_object"}}, TypeError, "must be a JSONSchema or"),
        (
            {"reasoning": {"effort": "low"}},
            TypeError,
            "reasoning must be a ReasoningConfig, not an object",
        ),
    ],
)
def test_requests_reject_parameters_that_cannot_be_sent(
    fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Request(**{"messages": HI, **fields})


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: JSONSchema("a b", {}), ValueError, "name must be 1 to 64 letters"),
        (lambda: JSONSchema(_(3), {}), TypeError, "name must be a string, not a number"),
        (lambda: JSONSchema("s", _([1])), TypeError, "schema must be a dict, not an array"),
        (lambda: JSONSchema("s", {"n": math.nan}), ValueError, "schema\\['n'\\] must be a finite"),
        (lambda: JSONSchema("s", {}, strict=_(1)), TypeError, "strict must be a boolean"),
        (lambda: ReasoningConfig(), ValueError, "needs effort=, budget_tokens= or both"),
        (lambda: ReasoningConfig(effort=_("max")), ValueError, "effort must be one of 'low'"),
        (lambda: ReasoningConfig(budget_tokens=0), ValueError, "budget_tokens must be at least 1"),
        (
            lambda: ReasoningConfig(budget_tokens=_(True)),
            TypeError,
            "budget_tokens must be an integer, not a boolean",
        ),
    ],
)
def test_structured_output_and_reasoning_options_reject_what_cannot_be_sent(
    build: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build()


def test_json_schema_copies_the_schema_and_is_strict_by_default() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"a": {"enum": ("x", "y")}}}
    given = copy.deepcopy(schema)
    format_ = JSONSchema("answer", schema)
    format_.schema["properties"]["a"]["enum"].append("z")
    assert schema == given
    assert format_.schema == {"type": "object", "properties": {"a": {"enum": ["x", "y", "z"]}}}
    assert format_.strict is True
    request = Request(HI, response_format="json", reasoning=ReasoningConfig(budget_tokens=1))
    assert (request.response_format, request.reasoning) == (
        "json",
        ReasoningConfig(budget_tokens=1),
    )
    assert ReasoningConfig(effort="high").require_effort("X") == "high"


def test_requests_accept_edge_values() -> None:
    request = Request(
        HI, temperature=0, top_p=1, max_tokens=0, seed=-1, stop="END", extra={"k": [1, None]}
    )
    assert request.stop == ("END",)
    assert request.temperature == 0


def test_building_a_request_leaves_the_callers_objects_alone() -> None:
    parts: list[TextPart | ImagePart | str] = ["a", TextPart("b")]
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    extra = {"response_format": {"type": "json_object"}, "tags": ["x", ("y", 1)]}
    stop = ["END", "STOP"]
    given = copy.deepcopy((parts, schema, extra, stop))

    request = Request(
        [Message.user(parts)], tools=[ToolSpec("look", "", schema)], stop=stop, extra=extra
    )
    assert (parts, schema, extra, stop) == given
    assert request.tools[0].parameters == schema
    assert request.extra == {"response_format": {"type": "json_object"}, "tags": ["x", ["y", 1]]}
    request.tools[0].parameters["properties"]["city"]["type"] = "changed"  # the request's copy
    request.extra["response_format"]["type"] = "changed"
    assert (parts, schema, extra, stop) == given


# Values each parameter of chat.completions.create() cannot take.
_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_WRONG_TYPES = st.one_of(
    st.booleans(), st.text(max_size=3), st.lists(st.integers(), max_size=2), st.just({"a": 1})
)
_BAD: dict[str, st.SearchStrategy[Any]] = {
    "temperature": _NON_FINITE | st.floats(max_value=-1e-9, allow_nan=False) | _WRONG_TYPES,
    "top_p": _NON_FINITE | st.floats(min_value=1.0001, allow_nan=False) | _WRONG_TYPES,
    "max_tokens": st.integers(max_value=-1) | st.floats(allow_nan=True) | _WRONG_TYPES,
    "max_completion_tokens": st.integers(max_value=-1) | _NON_FINITE | _WRONG_TYPES,
    "seed": st.floats() | st.booleans() | st.text(max_size=3),
    "presence_penalty": _NON_FINITE | _WRONG_TYPES,
    "model": st.integers() | st.just("gpt\ud800") | st.lists(st.text(max_size=2), max_size=1),
    "stop": st.integers() | st.lists(st.integers(), min_size=1, max_size=2),
    "messages": st.sampled_from(
        [
            [],
            [{"role": "robot", "content": "x"}],
            [{"role": "user", "content": 5}],
            [{"role": "user", "content": "\ud800"}],
            [{"role": "user", "content": [{"type": "text", "text": None}]}],
            [{"role": "tool", "content": "x"}],
            {"role": "user", "content": "x"},
            [None],
        ]
    ),
    "tools": st.sampled_from(
        [
            [{"type": "function", "function": {"name": "has space"}}],
            [{"type": "function", "function": {"name": ""}}],
            [{"type": "function", "function": {"description": "no name"}}],
            [{"name": "f", "parameters": [1]}],
            ["look"],
        ]
    ),
    "extra_body": st.sampled_from([{"x": math.nan}, {"x": {1, 2}}, {"x": b"y"}]),
}


@given(st.sampled_from(sorted(_BAD)).flatmap(lambda name: st.tuples(st.just(name), _BAD[name])))
@example(("stop", 0))  # a falsy stop was once taken for no stop at all
def test_bad_arguments_raise_before_any_request_is_sent(bad: tuple[str, Any]) -> None:
    name, value = bad
    handler, _, requests = reply(OK)
    arguments: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    arguments[name] = value

    async def attempt() -> None:
        async with mock_provider(handler) as provider, AsyncClient(provider) as client:
            with pytest.raises((TypeError, ValueError)):
                await client.chat.completions.create(**arguments)

    trio.run(attempt)
    assert requests == []


async def test_good_arguments_do_reach_the_transport() -> None:
    """The property above holds because of the checks: the same call, valid, is sent."""
    handler, _, requests = reply(OK)
    async with mock_provider(handler) as provider, AsyncClient(provider) as client:
        done = await client.chat.completions.create(model="m", messages="hi", temperature=0.5)
    assert done.choices[0].message.content == "hi"
    assert isinstance(requests[0], httpx.Request)


def test_request_defaults_are_empty_and_never_shared() -> None:
    """The defaults skip their converters' checks, not their copies: each request has its
    own empty dicts, so one request's dict changed by hand changes no other."""
    first, second = Request([Message.user("a")]), Request([Message.user("b")])
    for name in ("extra", "openai_params", "headers", "query"):
        assert getattr(first, name) == {}
        assert getattr(first, name) is not getattr(second, name)
    assert first.tools == ()
    assert first.stop == ()
