"""OpenAI's Chat Completions parameters (`Request.openai_params`) on every body builder: the
OpenAI chat body sends them as they are, every other API maps the ones it has to its own
fields (one table each, tests/../wire/_params_body.py) and refuses the rest with a ValueError
naming the parameter, the API and ``extra_body=``; `extra` still wins."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any, TypeAlias

import pytest

from eventide import ImagePart, Message, Request, ToolSpec
from eventide.wire._anthropic_body import build_anthropic_body
from eventide.wire._gemini_body import build_gemini_body
from eventide.wire._ollama_body import build_ollama_body
from eventide.wire._openai_chat_body import build_chat_body
from eventide.wire._openai_responses_body import build_responses_body
from eventide.wire._params_body import apply_params

Builder: TypeAlias = Callable[..., dict[str, Any]]

BUILDERS: dict[str, tuple[Builder, str]] = {
    "openai-responses": (build_responses_body, "OpenAI Responses API"),
    "anthropic": (build_anthropic_body, "Anthropic Messages API"),
    "gemini": (build_gemini_body, "Gemini API"),
    "ollama": (build_ollama_body, "Ollama API"),
}
TOOL = ToolSpec("look", "Looks.", {"type": "object", "properties": {"q": {"type": "string"}}})


def body(builder: Builder, **fields: Any) -> dict[str, Any]:
    made = builder(Request(messages=[Message.user("hi")], **fields), model="m")
    json.dumps(made)  # what is built can be sent
    return made


def subset(made: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The part of `made` that has the keys of `expected`, nested dicts included."""
    return {
        key: subset(made[key], value)
        if isinstance(value, dict) and isinstance(made.get(key), dict)
        else made.get(key)
        for key, value in expected.items()
    }


# -- OpenAI chat: as given ---------------------------------------------------------------------


def test_chat_body_sends_openai_params_as_they_are_after_the_neutral_fields() -> None:
    params = {"logit_bias": {"1": -100}, "store": True, "metadata": {"a": "b"}, "n": 1}
    made = body(build_chat_body, openai_params=params, temperature=0.5)
    assert subset(made, params) == params
    assert made["temperature"] == 0.5


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        ({}, {"include_usage": True}),
        ({"include_usage": False}, {"include_usage": True}),
        ({"include_obfuscation": False}, {"include_obfuscation": False, "include_usage": True}),
    ],
)
def test_chat_body_always_asks_usage_and_keeps_the_callers_stream_options(
    options: dict[str, Any], wire: dict[str, Any]
) -> None:
    params = {"stream_options": options} if options else {}
    assert body(build_chat_body, openai_params=params)["stream_options"] == wire


@pytest.mark.parametrize(
    ("params", "wire"),
    [
        ({}, {"max_tokens": 9}),
        ({"max_completion_tokens": 9}, {"max_completion_tokens": 9}),
        (
            {"max_completion_tokens": 9, "max_tokens": 5},
            {"max_completion_tokens": 9, "max_tokens": 5},
        ),
    ],
)
def test_chat_body_names_the_token_limit_as_the_caller_did(
    params: dict[str, Any], wire: dict[str, Any]
) -> None:
    made = body(build_chat_body, max_tokens=9, openai_params=params)
    assert {
        key: made[key] for key in ("max_tokens", "max_completion_tokens") if key in made
    } == wire


def test_chat_body_sends_tool_strict_and_image_detail_only_when_set() -> None:
    tools = [TOOL, ToolSpec("strict_one", strict=True), ToolSpec("loose", strict=False)]
    image = [ImagePart(url="https://example.test/a.png", detail="high"), ImagePart(url="u")]
    made = build_chat_body(Request([Message.user(image)], tools=tools), model="m")
    assert [tool["function"].get("strict") for tool in made["tools"]] == [None, True, False]
    assert [part["image_url"] for part in made["messages"][0]["content"]] == [
        {"url": "https://example.test/a.png", "detail": "high"},
        {"url": "u"},
    ]


# -- the other APIs: one table each --------------------------------------------------------------

# The parameters the Responses API has under the same name and in the same form.
RESPONSES_AS_GIVEN: dict[str, Any] = {
    "store": False,
    "metadata": {"team": "docs"},
    "service_tier": "flex",
    "parallel_tool_calls": False,
    "user": "u",
    "safety_identifier": "h",
    "prompt_cache_key": "k",
    "prompt_cache_retention": "24h",
    "top_logprobs": 2,
    "moderation": {"model": "omni-moderation-latest"},
}
MAPPED: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("openai-responses", RESPONSES_AS_GIVEN, RESPONSES_AS_GIVEN),
    (
        "openai-responses",
        {"logprobs": True, "verbosity": "low", "reasoning_effort": "minimal"},
        {
            "include": ["message.output_text.logprobs"],
            "text": {"verbosity": "low"},
            "reasoning": {"effort": "minimal"},
        },
    ),
    (
        "openai-responses",
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "a", "schema": {"type": "object"}, "description": "d"},
            },
            "stream_options": {"include_usage": True, "include_obfuscation": False},
        },
        {
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "a",
                    "schema": {"type": "object"},
                    "description": "d",
                }
            },
            "stream_options": {"include_obfuscation": False},
        },
    ),
    (
        "anthropic",
        {"user": "u-1", "service_tier": "default", "parallel_tool_calls": False},
        {
            "metadata": {"user_id": "u-1"},
            "service_tier": "standard_only",
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
        },
    ),
    (
        "anthropic",
        {"safety_identifier": "h", "service_tier": "auto", "response_format": {"type": "text"}},
        {"metadata": {"user_id": "h"}, "service_tier": "auto"},
    ),
    (
        "gemini",
        {
            "presence_penalty": 0.5,
            "frequency_penalty": -0.5,
            "logprobs": True,
            "top_logprobs": 3,
            "modalities": ["text"],
            "reasoning_effort": "minimal",
            "parallel_tool_calls": True,
            "stream_options": {"include_usage": True},
        },
        {
            "generationConfig": {
                "presencePenalty": 0.5,
                "frequencyPenalty": -0.5,
                "responseLogprobs": True,
                "logprobs": 3,
                "responseModalities": ["TEXT"],
                "thinkingConfig": {"thinkingLevel": "minimal"},
            }
        },
    ),
    (
        "ollama",
        {"presence_penalty": 0.5, "frequency_penalty": 1.0, "logprobs": True, "top_logprobs": 2},
        {
            "options": {"presence_penalty": 0.5, "frequency_penalty": 1.0},
            "logprobs": True,
            "top_logprobs": 2,
        },
    ),
]


@pytest.mark.parametrize(("api", "params", "wire"), MAPPED, ids=[m[0] for m in MAPPED])
def test_each_api_writes_the_parameters_it_has_in_its_own_fields(
    api: str, params: dict[str, Any], wire: dict[str, Any]
) -> None:
    builder, _ = BUILDERS[api]
    made = body(builder, openai_params=params, max_tokens=7, seed=3)
    assert subset(made, wire) == wire
    for name in params:  # nothing is sent under OpenAI's name unless the API has that name
        if name not in wire:
            assert name not in made


@pytest.mark.parametrize(
    ("api", "params", "wire"),
    [
        ("openai-responses", {"max_completion_tokens": 7, "n": 1}, {"max_output_tokens": 7}),
        ("anthropic", {"max_completion_tokens": 7}, {"max_tokens": 7}),
        ("gemini", {"max_completion_tokens": 7}, {"generationConfig": {"maxOutputTokens": 7}}),
        ("ollama", {"max_completion_tokens": 7, "n": 1}, {"options": {"num_predict": 7}}),
    ],
)
def test_the_token_limit_goes_once_under_each_apis_name(
    api: str, params: dict[str, Any], wire: dict[str, Any]
) -> None:
    builder, _ = BUILDERS[api]
    made = body(builder, openai_params=params, max_tokens=7)
    assert subset(made, wire) == wire
    assert "max_completion_tokens" not in json.dumps(made)


REFUSED: list[tuple[str, str, Any]] = [
    ("openai-responses", "logit_bias", {"1": 5}),
    ("openai-responses", "presence_penalty", 0.5),
    ("openai-responses", "audio", {"voice": "alloy"}),
    ("openai-responses", "web_search_options", {}),
    ("anthropic", "logprobs", True),
    ("anthropic", "metadata", {"team": "docs"}),
    ("anthropic", "service_tier", "flex"),
    ("anthropic", "store", True),
    ("anthropic", "stream_options", {"include_obfuscation": False}),
    ("anthropic", "reasoning_effort", "minimal"),
    ("gemini", "user", "u"),
    ("gemini", "modalities", ["text", "audio"]),
    ("gemini", "parallel_tool_calls", False),
    ("gemini", "response_format", {"type": "json_schema", "json_schema": {"name": "a"}}),
    ("ollama", "logit_bias", {"1": 5}),
    ("ollama", "seed_bias", 1),
    ("ollama", "reasoning_effort", "xhigh"),
]


@pytest.mark.parametrize(("api", "name", "value"), REFUSED, ids=[f"{r[0]}-{r[1]}" for r in REFUSED])
def test_each_api_refuses_a_parameter_it_has_no_equivalent_of(
    api: str, name: str, value: Any
) -> None:
    builder, api_name = BUILDERS[api]
    with pytest.raises(ValueError, match=rf"^{name}=.* in the {api_name}: .*extra_body=$"):
        body(builder, openai_params={name: value})


@pytest.mark.parametrize("api", ["gemini", "ollama"])
def test_an_api_without_strict_tools_refuses_a_strict_one(api: str) -> None:
    builder, api_name = BUILDERS[api]
    assert "strict" not in json.dumps(body(builder, tools=[ToolSpec("loose", strict=False)]))
    with pytest.raises(ValueError, match=rf"tool 'exact': strict=True .* {api_name}.*extra_body="):
        body(builder, tools=[TOOL, ToolSpec("exact", strict=True)])


@pytest.mark.parametrize(
    ("api", "path"),
    [("openai-responses", ["tools", 0, "strict"]), ("anthropic", ["tools", 0, "strict"])],
)
def test_strict_tools_stay_strict_where_the_api_has_it(api: str, path: list[Any]) -> None:
    builder, _ = BUILDERS[api]
    made: Any = body(builder, tools=[ToolSpec("exact", strict=True)])
    for key in path:
        made = made[key]
    assert made is True


def test_responses_images_keep_their_detail() -> None:
    request = Request([Message.user([ImagePart(url="u", detail="low"), ImagePart(url="v")])])
    parts = build_responses_body(request, model="m")["input"][0]["content"]
    assert [part["detail"] for part in parts] == ["low", "auto"]


def test_two_parameters_that_set_one_field_differently_are_refused() -> None:
    params = {"user": "a", "safety_identifier": "b"}
    with pytest.raises(ValueError, match=r"^user and safety_identifier both set metadata.user_id"):
        body(build_anthropic_body, openai_params=params)
    same = body(build_anthropic_body, openai_params={"user": "a", "safety_identifier": "a"})
    assert same["metadata"] == {"user_id": "a"}


def test_extra_is_merged_after_the_mapped_parameters() -> None:
    made = body(
        build_ollama_body,
        temperature=0.1,
        openai_params={"presence_penalty": 0.5},
        extra={"options": {"presence_penalty": 1.5, "top_k": 3}},
    )
    assert made["options"] == {"temperature": 0.1, "presence_penalty": 1.5, "top_k": 3}
    made = body(build_gemini_body, openai_params={"logprobs": True}, extra={"labels": {"a": "b"}})
    assert (made["generationConfig"], made["labels"]) == ({"responseLogprobs": True}, {"a": "b"})


def test_apply_params_copies_values_and_writes_nothing_when_it_refuses() -> None:
    table = {"metadata": "meta.data", "user": "meta.user"}
    given = {"metadata": {"tags": ["a"]}}
    made: dict[str, Any] = {"meta": {"kept": 1}}
    apply_params(made, given, table, api="Test API")
    made["meta"]["data"]["tags"].append("b")
    assert given == {"metadata": {"tags": ["a"]}}
    assert made == {"meta": {"kept": 1, "data": {"tags": ["a", "b"]}}}
    untouched = copy.deepcopy(made)
    with pytest.raises(ValueError, match=r"^store=True has no equivalent in the Test API"):
        apply_params(made, {"user": "u", "store": True}, table, api="Test API")
    assert made == untouched


def test_chat_body_takes_a_hand_built_max_completion_tokens_alone() -> None:
    made = body(build_chat_body, openai_params={"max_completion_tokens": 9})
    assert (made["max_completion_tokens"], "max_tokens" in made) == (9, False)
