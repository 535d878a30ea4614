"""Structured output and reasoning on every body builder: `Request.response_format` and
`Request.reasoning` become each provider's own fields (the JSON its API reference shows), a
combination a provider cannot express is a ValueError before any I/O, and `extra` wins."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeAlias

import pytest

import eventide
from eventide import JSONSchema, Message, ReasoningConfig, Request
from eventide.providers import Anthropic
from eventide.wire._anthropic_body import DEFAULT_MAX_TOKENS, build_anthropic_body
from eventide.wire._gemini_body import build_gemini_body
from eventide.wire._ollama_body import build_ollama_body
from eventide.wire._openai_chat_body import build_chat_body
from eventide.wire._openai_responses_body import build_responses_body

Builder: TypeAlias = Callable[..., dict[str, Any]]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "celsius": {"type": "number"}},
    "required": ["city", "celsius"],
    "additionalProperties": False,
}
WEATHER = JSONSchema("weather", SCHEMA)
LOOSE = JSONSchema("weather", SCHEMA, strict=False)


def ask(**options: Any) -> Request:
    return Request(messages=[Message.user("Weather in Paris?")], **options)


def body_fields(builder: Builder, request: Request, *keys: str) -> dict[str, Any]:
    """The given top-level fields of the body `builder` writes (absent ones left out)."""
    body = builder(request, model="m")
    json.dumps(body)  # what is built can be sent
    return {key: body[key] for key in keys if key in body}


# -- OpenAI Chat Completions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        (
            {"response_format": WEATHER},
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "weather", "schema": SCHEMA, "strict": True},
                }
            },
        ),
        (
            {"response_format": LOOSE},
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "weather", "schema": SCHEMA, "strict": False},
                }
            },
        ),
        ({"response_format": "json"}, {"response_format": {"type": "json_object"}}),
        ({"reasoning": ReasoningConfig(effort="low")}, {"reasoning_effort": "low"}),
        (
            {"reasoning": ReasoningConfig(effort="high", budget_tokens=4000)},
            {"reasoning_effort": "high"},
        ),
        ({}, {}),
    ],
)
def test_chat_body_writes_response_format_and_reasoning_effort(
    options: dict[str, Any], wire: dict[str, Any]
) -> None:
    keys = ("response_format", "reasoning_effort")
    assert body_fields(build_chat_body, ask(**options), *keys) == wire


# -- OpenAI Responses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        (
            {"response_format": WEATHER},
            {
                "text": {
                    "format": {
                        "type": "json_schema",
                        "name": "weather",
                        "schema": SCHEMA,
                        "strict": True,
                    }
                }
            },
        ),
        ({"response_format": "json"}, {"text": {"format": {"type": "json_object"}}}),
        ({"reasoning": ReasoningConfig(effort="medium")}, {"reasoning": {"effort": "medium"}}),
        (
            {"reasoning": ReasoningConfig(effort="low", budget_tokens=2048)},
            {"reasoning": {"effort": "low"}},
        ),
        ({}, {}),
    ],
)
def test_responses_body_writes_text_format_and_reasoning_effort(
    options: dict[str, Any], wire: dict[str, Any]
) -> None:
    assert body_fields(build_responses_body, ask(**options), "text", "reasoning") == wire


# -- Anthropic Messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        (
            {"response_format": WEATHER},
            {
                "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
                "max_tokens": DEFAULT_MAX_TOKENS,
            },
        ),
        (  # Anthropic always enforces the schema: strict has no field to go to
            {"response_format": LOOSE},
            {
                "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
                "max_tokens": DEFAULT_MAX_TOKENS,
            },
        ),
        (
            {"reasoning": ReasoningConfig(effort="medium")},
            {"output_config": {"effort": "medium"}, "max_tokens": DEFAULT_MAX_TOKENS},
        ),
        (
            {"reasoning": ReasoningConfig(budget_tokens=2048), "max_tokens": 8000},
            {"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 8000},
        ),
        (
            {"reasoning": ReasoningConfig(budget_tokens=10000)},
            {
                "thinking": {"type": "enabled", "budget_tokens": 10000},
                "max_tokens": 10000 + DEFAULT_MAX_TOKENS,
            },
        ),
        (
            {
                "reasoning": ReasoningConfig(effort="low", budget_tokens=1024),
                "response_format": WEATHER,
                "max_tokens": 4096,
            },
            {
                "thinking": {"type": "enabled", "budget_tokens": 1024},
                "output_config": {
                    "format": {"type": "json_schema", "schema": SCHEMA},
                    "effort": "low",
                },
                "max_tokens": 4096,
            },
        ),
        ({}, {"max_tokens": DEFAULT_MAX_TOKENS}),
    ],
)
def test_anthropic_body_writes_output_config_and_thinking(
    options: dict[str, Any], wire: dict[str, Any]
) -> None:
    keys = ("output_config", "thinking", "max_tokens")
    assert body_fields(build_anthropic_body, ask(**options), *keys) == wire


def test_anthropic_body_refuses_json_mode() -> None:
    with pytest.raises(ValueError, match="no JSON mode: give response_format a JSONSchema"):
        build_anthropic_body(ask(response_format="json"), model="m")


def with_tool(choice: str, reasoning: ReasoningConfig) -> Request:
    return ask(tools=[eventide.ToolSpec("look")], tool_choice=choice, reasoning=reasoning)


@pytest.mark.parametrize("choice", ["required", "look"])
def test_anthropic_body_refuses_a_thinking_budget_with_a_forced_tool(choice: str) -> None:
    request = with_tool(choice, ReasoningConfig(budget_tokens=2048))
    with pytest.raises(ValueError, match=f"only with tool_choice 'auto' or 'none'.*'{choice}'"):
        build_anthropic_body(request, model="m")


@pytest.mark.parametrize("choice", ["auto", "none"])
def test_anthropic_body_sends_a_thinking_budget_with_a_free_tool_choice(choice: str) -> None:
    request = with_tool(choice, ReasoningConfig(budget_tokens=2048))
    assert build_anthropic_body(request, model="m")["thinking"]["budget_tokens"] == 2048


def test_anthropic_body_lets_an_effort_go_with_a_forced_tool() -> None:
    """Effort is not extended thinking: it has no tool_choice rule."""
    request = with_tool("look", ReasoningConfig(effort="low"))
    assert build_anthropic_body(request, model="m")["output_config"] == {"effort": "low"}


def test_anthropic_body_copies_the_schema() -> None:
    request = ask(response_format=WEATHER)
    body = build_anthropic_body(request, model="m")
    body["output_config"]["format"]["schema"]["type"] = "changed"
    assert request.response_format == JSONSchema("weather", SCHEMA)


async def test_anthropic_provider_refuses_json_mode_before_any_io() -> None:
    async with Anthropic(base_url="http://127.0.0.1:9", api_key="k") as provider:
        with pytest.raises(eventide.RequestError, match="no JSON mode") as info:
            provider.stream(ask(response_format="json"))
    assert info.value.provider == "anthropic"


# -- Gemini ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "config"),
    [
        (
            {"response_format": WEATHER},
            {"responseMimeType": "application/json", "responseJsonSchema": SCHEMA},
        ),
        ({"response_format": "json"}, {"responseMimeType": "application/json"}),
        (
            {"reasoning": ReasoningConfig(budget_tokens=1024)},
            {"thinkingConfig": {"thinkingBudget": 1024}},
        ),
        (
            {"reasoning": ReasoningConfig(effort="low")},
            {"thinkingConfig": {"thinkingLevel": "low"}},
        ),
        (  # the API refuses both: the budget, which every thinking model takes, is sent
            {"reasoning": ReasoningConfig(effort="high", budget_tokens=512)},
            {"thinkingConfig": {"thinkingBudget": 512}},
        ),
        (
            {"response_format": "json", "temperature": 0.2, "max_tokens": 100},
            {"responseMimeType": "application/json", "temperature": 0.2, "maxOutputTokens": 100},
        ),
    ],
)
def test_gemini_body_writes_generation_config(
    options: dict[str, Any], config: dict[str, Any]
) -> None:
    assert build_gemini_body(ask(**options), model="m")["generationConfig"] == config


def test_gemini_body_copies_the_schema() -> None:
    request = ask(response_format=WEATHER)
    body = build_gemini_body(request, model="m")
    body["generationConfig"]["responseJsonSchema"]["type"] = "changed"
    assert request.response_format == JSONSchema("weather", SCHEMA)


# -- Ollama ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        ({"response_format": WEATHER}, {"format": SCHEMA}),
        ({"response_format": LOOSE}, {"format": SCHEMA}),
        ({"response_format": "json"}, {"format": "json"}),
        ({"reasoning": ReasoningConfig(effort="high")}, {"think": "high"}),
        ({"reasoning": ReasoningConfig(effort="low", budget_tokens=100)}, {"think": "low"}),
        ({}, {}),
    ],
)
def test_ollama_body_writes_format_and_think(options: dict[str, Any], wire: dict[str, Any]) -> None:
    assert body_fields(build_ollama_body, ask(**options), "format", "think") == wire


# -- what a provider cannot express, and extra winning ---------------------------------------


@pytest.mark.parametrize(
    ("builder", "api"),
    [
        (build_chat_body, "OpenAI Chat Completions"),
        (build_responses_body, "OpenAI Responses"),
        (build_ollama_body, "Ollama"),
    ],
)
def test_builders_without_a_token_budget_refuse_a_budget_alone(builder: Builder, api: str) -> None:
    request = ask(reasoning=ReasoningConfig(budget_tokens=2048))
    with pytest.raises(ValueError, match=f"^{api} takes a reasoning effort, not a token budget"):
        builder(request, model="m")


@pytest.mark.parametrize(
    ("builder", "extra"),
    [
        (
            build_chat_body,
            {"response_format": {"type": "text"}, "reasoning_effort": "minimal"},
        ),
        (
            build_responses_body,
            {"text": {"verbosity": "low"}, "reasoning": {"effort": "high", "summary": "auto"}},
        ),
        (
            build_anthropic_body,
            {"output_config": {"effort": "max"}, "thinking": {"type": "adaptive"}},
        ),
        (build_ollama_body, {"format": "json", "think": False}),
    ],
)
def test_extra_wins_over_response_format_and_reasoning(
    builder: Builder, extra: dict[str, Any]
) -> None:
    request = ask(
        response_format=WEATHER,
        reasoning=ReasoningConfig(effort="low"),
        max_tokens=4096,
        extra=extra,
    )
    assert body_fields(builder, request, *extra) == extra


def test_gemini_extra_wins_inside_generation_config() -> None:
    request = ask(
        response_format=WEATHER,
        reasoning=ReasoningConfig(effort="low"),
        extra={"generationConfig": {"thinkingConfig": {"thinkingBudget": 0}}},
    )
    assert build_gemini_body(request, model="m")["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": SCHEMA,
        "thinkingConfig": {"thinkingBudget": 0},
    }
