"""Reasoning that round-trips: a collected reasoning + tool-call response, appended with
`Completion.to_message()` and a tool result, is the next request body the provider's
documentation shows; reasoning made by another API is dropped from it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from eventide import (
    Completion,
    CompletionCollector,
    Message,
    Reasoning,
    ReasoningConfig,
    Request,
    ToolCall,
    ToolSpec,
)
from eventide.wire import (
    AnthropicDecoder,
    GeminiDecoder,
    OllamaDecoder,
    OpenAIChatDecoder,
    OpenAIResponsesDecoder,
    build_chat_body,
    build_ollama_body,
)
from eventide.wire._anthropic import build_anthropic_body
from eventide.wire._gemini_body import build_gemini_body
from eventide.wire._openai_responses_body import build_responses_body
from tests.strategies import chunked
from tests.wire.harness import DATA, feed_all
from tests.wire.test_anthropic import REDACTED_DATA, THINKING_SIGNATURE

SIGNATURE = THINKING_SIGNATURE
CUTS = st.lists(st.integers(0, 6000), max_size=12)  # where the network cuts a transcript
REDACTED = REDACTED_DATA
CALL_ID = "toolu_01CaThnkWx8rLp2Vb7Yq3Zs9"
WEATHER = ToolSpec(
    "get_weather",
    "Get the current weather in a given city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
QUESTION = Message.user("What's the weather in Paris?")

# "Extended thinking" > "Preserving thinking blocks" (docs.anthropic.com, read 2026-12): the
# assistant turn goes back with its thinking (signature included) and redacted_thinking
# blocks unchanged, then its text and tool_use, and the tool result follows as a user turn.
ANTHROPIC_NEXT_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 16000,
    "messages": [
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "thinking",
                    "thinking": "The user wants the weather in Paris. I should call get_weather.",
                    "signature": SIGNATURE,
                },
                {"type": "redacted_thinking", "data": REDACTED},
                {"type": "text", "text": "Let me check."},
                {
                    "type": "tool_use",
                    "id": CALL_ID,
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": CALL_ID, "content": "15 degrees, cloudy"}
            ],
        },
    ],
    "stream": True,
    "tools": [
        {
            "name": "get_weather",
            "description": "Get the current weather in a given city",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        }
    ],
    "thinking": {"type": "enabled", "budget_tokens": 10000},
}


def _collected(decoder: Any, transcript: str, cuts: list[int]) -> Completion:
    """The `Completion` of a transcript (``<api>/<name>.sse``) cut at `cuts`."""
    wire = (DATA / f"{transcript}.sse").read_bytes()
    collector = CompletionCollector()
    collector.feed_batch(feed_all(decoder, chunked(wire, cuts)))
    return collector.result()


def _anthropic_completion(cuts: list[int]) -> Completion:
    decoder = AnthropicDecoder(provider="anthropic", requested_model="claude-sonnet-4-5")
    return _collected(decoder, "anthropic/reasoning_tool_use", cuts)


def _next_anthropic_body(messages: list[Message]) -> dict[str, Any]:
    request = Request(
        messages,
        max_tokens=16000,
        tools=[WEATHER],
        reasoning=ReasoningConfig(budget_tokens=10000),
    )
    body: dict[str, Any] = json.loads(
        json.dumps(build_anthropic_body(request, model="claude-sonnet-4-5"))
    )
    return body


@given(cuts=CUTS)
def test_anthropic_reasoning_and_tool_call_round_trip_to_the_documented_body(
    cuts: list[int],
) -> None:
    completion = _anthropic_completion(cuts)
    assert completion.reasoning_blocks == (
        Reasoning(
            "anthropic",
            "The user wants the weather in Paris. I should call get_weather.",
            SIGNATURE,
        ),
        Reasoning("anthropic", redacted=REDACTED),
    )
    result = Message.tool(CALL_ID, "15 degrees, cloudy")
    body = _next_anthropic_body([QUESTION, completion.to_message(), result])
    assert body == ANTHROPIC_NEXT_BODY


def test_completion_to_message_carries_text_reasoning_and_tool_calls() -> None:
    completion = _anthropic_completion([])
    message = completion.to_message()
    assert message.role == "assistant"
    assert message.text == "Let me check."
    assert message.reasoning == completion.reasoning_blocks
    assert [(call.id, call.name, call.arguments) for call in message.tool_calls] == [
        (CALL_ID, "get_weather", '{"city": "Paris"}')
    ]


def test_anthropic_body_drops_reasoning_of_another_api_and_unsigned_thinking() -> None:
    """Only blocks made by the Messages API go back to it: a Gemini or Responses block, or
    thinking without a signature, would get the whole request rejected."""
    assistant = Message.assistant(
        "Let me check.",
        tool_calls=[ToolCall(0, CALL_ID, "get_weather", '{"city": "Paris"}', "gemini-sig")],
        reasoning=[
            Reasoning("gemini", "thinking elsewhere", "gemini-thought-signature"),
            Reasoning("openai_responses", "", redacted="gAAAAencrypted"),
            Reasoning("anthropic", "no signature streamed"),
            Reasoning("anthropic", "signed", SIGNATURE),
        ],
    )
    body = _next_anthropic_body([QUESTION, assistant, Message.tool(CALL_ID, "15 degrees")])
    assert body["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "signed",
        "signature": SIGNATURE,
    }
    assert [block["type"] for block in body["messages"][1]["content"]] == [
        "thinking",
        "text",
        "tool_use",
    ]
    assert body["messages"][1]["content"][2] == {  # a Gemini call signature is not sent
        "type": "tool_use",
        "id": CALL_ID,
        "name": "get_weather",
        "input": {"city": "Paris"},
    }


def test_anthropic_body_of_a_message_with_only_foreign_reasoning_is_plain_text() -> None:
    assistant = Message.assistant("Hi.", reasoning=[Reasoning("gemini", "x", "sig")])
    body = _next_anthropic_body([QUESTION, assistant])
    assert body["messages"][1] == {"role": "assistant", "content": "Hi."}


# "Thought signatures" > "Parallel function calls" (ai.google.dev/gemini-api/docs, read
# 2026-12): the model turn goes back as it came, the signature on the first functionCall
# part only, and the function responses follow in one user turn.
GEMINI_SIGNATURE = "CiQBVKhc7hN3m2X0t9YkR4aQz1PpL8sV6uW2e5f7g0h1i2j3k4="
GEMINI_NEXT_BODY: dict[str, Any] = {
    "contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris and Tokyo, and the time there?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Let me check both cities."},
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                    "thoughtSignature": GEMINI_SIGNATURE,
                },
                {"functionCall": {"name": "get_weather", "args": {"city": "Tokyo"}}},
                {"functionCall": {"name": "get_time", "args": {"timezone": "Asia/Tokyo"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 15}}},
                {"functionResponse": {"name": "get_weather", "response": {"temp": 22}}},
                {"functionResponse": {"name": "get_time", "response": {"time": "21:04"}}},
            ],
        },
    ],
}


@given(cuts=CUTS)
def test_gemini_signed_function_calls_round_trip_to_the_documented_body(
    cuts: list[int],
) -> None:
    decoder = GeminiDecoder(provider="gemini", requested_model="gemini-2.5-flash")
    completion = _collected(decoder, "gemini/tool_calls_parallel", cuts)
    assert [call.signature for call in completion.tool_calls] == [GEMINI_SIGNATURE, None, None]
    results = [
        Message.tool(call.id, answer)
        for call, answer in zip(
            completion.tool_calls,
            ['{"temp": 15}', '{"temp": 22}', '{"time": "21:04"}'],
            strict=True,
        )
    ]
    question = Message.user("Weather in Paris and Tokyo, and the time there?")
    request = Request([question, completion.to_message(), *results])
    body = json.loads(json.dumps(build_gemini_body(request, model="gemini-2.5-flash")))
    assert body == GEMINI_NEXT_BODY


# "Thought signatures" > "Signatures in non-function-call responses" (ai.google.dev/gemini-api/
# docs, read 2026-12): the last signature of a text answer goes back in the last part of the
# model's turn; thought summaries are not sent back.
GEMINI_TEXT_SIGNATURE = "CjwBVKhc7tKx3s0Hq1Zl9cO8wS2Y4NfU6rP1a0mX5bQ7dE2="


@given(cuts=CUTS)
def test_gemini_signed_text_round_trips_with_its_last_signature(cuts: list[int]) -> None:
    decoder = GeminiDecoder(provider="gemini", requested_model="gemini-2.5-pro")
    completion = _collected(decoder, "gemini/reasoning", cuts)
    assert [block.signature for block in completion.reasoning_blocks][-1] == GEMINI_TEXT_SIGNATURE
    question, follow_up = Message.user("9.11 or 9.8?"), Message.user("And 9.9?")
    request = Request([question, completion.to_message(), follow_up])
    body = json.loads(json.dumps(build_gemini_body(request, model="gemini-2.5-pro")))
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "9.11 or 9.8?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "9.8 is larger than 9.11.", "thoughtSignature": GEMINI_TEXT_SIGNATURE}
            ],
        },
        {"role": "user", "parts": [{"text": "And 9.9?"}]},
    ]


def test_gemini_body_sends_a_signature_without_text_on_a_part_of_its_own() -> None:
    turn = Message.assistant("", reasoning=[Reasoning("gemini", signature="s1")])
    body = build_gemini_body(Request([Message.user("hi"), turn]), model="gemini-2.5-pro")
    assert body["contents"][1] == {
        "role": "model",
        "parts": [{"text": "", "thoughtSignature": "s1"}],
    }


# "Reasoning" guide, "Encrypted reasoning items" (platform.openai.com/docs, read 2026-12), and
# the ``reasoning`` input item of "Create a model response": with store=false, the reasoning
# item goes back as it came (id, summary, encrypted_content) before the function call, and
# the call's output follows.
RESPONSES_CALL_ID = "call_W7pQ2mXk9LrT4vB1nZ8yDc3s"
RESPONSES_NEXT_BODY: dict[str, Any] = {
    "model": "o4-mini",
    "input": [
        {"type": "message", "role": "user", "content": "What's the weather in Paris?"},
        {
            "type": "reasoning",
            "id": "rs_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "summary": [
                {
                    "type": "summary_text",
                    "text": "**Looking up the weather**\n\nI should call get_weather.",
                }
            ],
            "encrypted_content": "gAAAAABoZ2VuY3J5cHRlZF9yZWFzb25pbmdfZm9yX3Rlc3Rz==",
        },
        {
            "type": "function_call",
            "call_id": RESPONSES_CALL_ID,
            "name": "get_weather",
            "arguments": '{"location":"Paris"}',
        },
        {"type": "function_call_output", "call_id": RESPONSES_CALL_ID, "output": "15 degrees"},
    ],
    "stream": True,
    "store": False,
    "include": ["reasoning.encrypted_content"],
}


@given(cuts=CUTS)
def test_responses_encrypted_reasoning_round_trips_to_the_documented_body(
    cuts: list[int],
) -> None:
    decoder = OpenAIResponsesDecoder(provider="openai-responses", requested_model="o4-mini")
    completion = _collected(decoder, "openai_responses/reasoning_encrypted", cuts)
    request = Request(
        [QUESTION, completion.to_message(), Message.tool(RESPONSES_CALL_ID, "15 degrees")],
        extra={"store": False, "include": ["reasoning.encrypted_content"]},
    )
    body = json.loads(json.dumps(build_responses_body(request, model="o4-mini")))
    assert body == RESPONSES_NEXT_BODY


def test_responses_body_drops_reasoning_of_another_api_or_without_an_id() -> None:
    assistant = Message.assistant(
        "Hi.",
        reasoning=[
            Reasoning("anthropic", "thinking", SIGNATURE),
            Reasoning("openai_responses", "no id"),
            Reasoning("openai_responses", id="rs_1"),
        ],
    )
    body = build_responses_body(Request([QUESTION, assistant]), model="o4-mini")
    assert body["input"][1:] == [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi."}],
        },
    ]


# The APIs with no reasoning to send back still round-trip the turn: OpenAI's
# "Function calling" guide (platform.openai.com/docs/guides/function-calling, read 2026-12)
# appends the assistant message with its tool_calls as it came, then one "tool" message per
# call; Ollama's chat API ("Chat request (with history, with tools)", docs/api.md, read
# 2026-12) takes the calls' arguments as objects and each result with its tool_name.
@given(cuts=CUTS)
def test_openai_chat_tool_calls_round_trip_to_the_documented_messages(cuts: list[int]) -> None:
    decoder = OpenAIChatDecoder(provider="openai", requested_model="gpt-4o")
    completion = _collected(decoder, "openai_chat/tool_calls_parallel", cuts)
    first = completion.tool_calls[0]
    turn = [completion.to_message(), Message.tool(first.id, '{"temp": 15}')]
    body = build_chat_body(Request([Message.user("Weather?"), *turn]), model="gpt-4o")
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in completion.tool_calls
            ],
        },
        {"role": "tool", "content": '{"temp": 15}', "tool_call_id": first.id},
    ]
    assert [call.name for call in completion.tool_calls] == [
        "get_weather",
        "get_weather",
        "get_time",
    ]


def test_ollama_tool_calls_round_trip_to_the_documented_messages() -> None:
    decoder = OllamaDecoder(provider="ollama", requested_model="llama3.2")
    wire = (DATA / "ollama/tool_calls_parallel.ndjson").read_bytes()
    collector = CompletionCollector()
    collector.feed_batch(feed_all(decoder, [wire]))
    completion = collector.result()
    first = completion.tool_calls[0]
    turn = [completion.to_message(), Message.tool(first.id, "22", name=first.name)]
    body = build_ollama_body(Request([Message.user("Weather?"), *turn]), model="llama3.2")
    assistant, result = body["messages"][1:]
    assert assistant["role"] == "assistant"
    assert [call["function"] for call in assistant["tool_calls"]] == [
        {"name": call.name, "arguments": json.loads(call.arguments)}
        for call in completion.tool_calls
    ]
    assert (result["role"], result["content"], result["tool_name"]) == ("tool", "22", first.name)
