"""Tests for `eventide.wire._openai_responses`: the OpenAI Responses API stream decoder, the
request body builder and the error mapping.

The recorded transcripts under tests/data/openai_responses/ are byte-exact event streams in
the shape of the OpenAI API reference, "Streaming events" and "The response object"
(platform.openai.com/docs/api-reference/responses-streaming, read 2026-12; field names
checked against the official SDK's generated types): ``event:`` and ``data:`` lines, a
``type`` and ``sequence_number`` in every payload, ``obfuscation`` padding on the deltas.
A few are what servers and gateways that speak the API send on top of it (raw reasoning
text, data-only events, no usage, the nested error shape). Every expected event list below
is written out by hand; the decoder must give exactly that list whatever the chunk
boundaries are, and garbage input may only ever raise `ProtocolError`.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide import (
    AuthenticationError,
    BadRequestError,
    Error,
    Finish,
    ImagePart,
    Message,
    Metadata,
    NotFoundError,
    OverloadedError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    Reasoning,
    ReasoningDelta,
    RefusalDelta,
    Request,
    ServerError,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from eventide.wire._openai_responses import (
    OpenAIResponsesDecoder,
    build_responses_body,
    openai_responses_error,
)
from tests.conformance.cases import OPENAI_RESPONSES
from tests.contract import assert_keeps_contract
from tests.strategies import json_values, or_junk
from tests.wire import harness
from tests.wire.harness import (
    decode_garbage,
    feed_all,
    feed_until_failure,
    one_byte_chunks,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

DATA = Path(__file__).resolve().parents[1] / "data" / "openai_responses"
PROVIDER = "openai-responses"


# -- helpers -------------------------------------------------------------------------------


def decoder(requested_model: str = "m", **options: Any) -> OpenAIResponsesDecoder:
    return OpenAIResponsesDecoder(provider="p", requested_model=requested_model, **options)


def sse(*payloads: Mapping[str, Any], event_lines: bool = True) -> bytes:
    """Events as the API frames them (``event:`` then ``data:``), or data-only."""
    out = []
    for payload in payloads:
        head = f"event: {payload['type']}\n" if event_lines and "type" in payload else ""
        out.append(f"{head}data: {json.dumps(payload)}\n\n")
    return "".join(out).encode()


def created(model: str = "served-model", response_id: str = "resp_1") -> dict[str, Any]:
    return {
        "type": "response.created",
        "sequence_number": 0,
        "response": {"id": response_id, "object": "response", "model": model, "output": []},
    }


def text(delta: str) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": delta,
    }


def completed(**response: Any) -> dict[str, Any]:
    return {"type": "response.completed", "response": {"id": "resp_1", **response}}


METADATA = Metadata(provider="p", model="served-model", requested_model="m", response_id="resp_1")


# -- the recorded transcripts --------------------------------------------------------------


Transcript = functools.partial(harness.Transcript, OPENAI_RESPONSES)


def meta(model: str, requested: str, response_id: str, **extra: Any) -> Metadata:
    return Metadata(
        provider=PROVIDER,
        model=model,
        requested_model=requested,
        response_id=response_id,
        extra=extra,
    )


STOP = Finish("stop", "completed")

TRANSCRIPTS = [
    Transcript(
        # The whole event sequence of a text answer: created, in_progress, item and content
        # part added, deltas (raw UTF-8, 2- to 4-byte characters and a raw U+2028 that
        # str.splitlines() would take for a line break), the .done events, completed.
        "text",
        [
            meta(
                "gpt-4.1-mini-2025-04-14",
                "gpt-4.1-mini",
                "resp_68b1f0a2c4d08190a3e5b7c9d1f3a5b70e2c4d6f8a0b1c3d",
                request_id="req_8c1f3a0e",
            ),
            TextDelta("Bonjour"),
            TextDelta(" \u00e0 tous"),
            TextDelta(" \u2014 \u00e7a va\u2028?"),
            TextDelta(" \U0001f44b"),
            Usage(18, 9, 27, cache_read_tokens=0, reasoning_tokens=0),
            STOP,
        ],
        requested_model="gpt-4.1-mini",
        extra={"request_id": "req_8c1f3a0e"},
    ),
    Transcript(
        # A reasoning item with two summary parts, then the message: each part is its own
        # paragraph, so the second starts after a blank line; at the item's
        # output_item.done, the whole item is a Reasoning (id and summary parts kept).
        "reasoning_summary",
        [
            meta(
                "o4-mini-2025-04-16",
                "o4-mini",
                "resp_68b1f1b0d2e48190c5a7e9b1d3f5a7c90e2c4d6f8a0b1c3d",
            ),
            ReasoningDelta("**Comparing decimals**\n\nThe user"),
            ReasoningDelta(" asks which number is larger."),
            ReasoningDelta("\n\n**Checking tenths**\n\n9.8 has 8 tenths"),
            ReasoningDelta(", 9.11 has only 1."),
            Reasoning(
                "openai_responses",
                "**Comparing decimals**\n\nThe user asks which number is larger.\n\n"
                "**Checking tenths**\n\n9.8 has 8 tenths, 9.11 has only 1.",
                id="rs_68b1f1b15c6a8190a1b3c5d7e9f1a3b50e2c4d6f8a0b1c3d",
                summary=(
                    "**Comparing decimals**\n\nThe user asks which number is larger.",
                    "**Checking tenths**\n\n9.8 has 8 tenths, 9.11 has only 1.",
                ),
            ),
            TextDelta("9.8"),
            TextDelta(" is larger."),
            Usage(15, 620, 635, cache_read_tokens=0, reasoning_tokens=576),
            STOP,
        ],
        requested_model="o4-mini",
    ),
    Transcript(
        # An open-weight model server: raw reasoning as response.reasoning_text.delta, no
        # obfuscation, and usage without token details (so cached and reasoning are unknown).
        "reasoning_text",
        [
            meta(
                "openai/gpt-oss-20b", "openai/gpt-oss-20b", "resp_9c2f6a1d0b7e4e3c8a5d2f1b6e9c3a7d"
            ),
            ReasoningDelta("We need"),
            ReasoningDelta(" to answer"),
            ReasoningDelta(" the capital of France."),
            Reasoning(  # no summary: the raw reasoning content is the text
                "openai_responses",
                "We need to answer the capital of France.",
                id="rs_4b8e2d6f1a9c4c7e",
            ),
            TextDelta("Paris"),
            TextDelta("."),
            Usage(71, 19, 90),
            STOP,
        ],
        requested_model="openai/gpt-oss-20b",
    ),
    Transcript(
        # A reasoning item at output_index 0, then three function calls at output_index 1-3:
        # the ToolCall index counts the calls (0-2). Each call's first fragment carries its
        # call_id and name; its ToolCall comes at function_call_arguments.done. The reasoning
        # item has no summary: a Reasoning with its id alone.
        "tool_calls_parallel",
        [
            meta(
                "o4-mini-2025-04-16",
                "o4-mini",
                "resp_68b1f2c4a6b88190e1f3a5c7e9b1d3f50e2c4d6f8a0b1c3d",
            ),
            Reasoning("openai_responses", id="rs_68b1f2c5b7d98190f2a4c6e8a0b2c4d60e2c4d6f8a0b1c3d"),
            ToolCallDelta(0, "call_Vd3kQ8mRb1xT5nZ2pL7wYc0s", "get_weather", '{"lo'),
            ToolCallDelta(0, None, None, "cation"),
            ToolCallDelta(0, None, None, '":"Pa'),
            ToolCallDelta(0, None, None, 'ris"}'),
            ToolCall(0, "call_Vd3kQ8mRb1xT5nZ2pL7wYc0s", "get_weather", '{"location":"Paris"}'),
            ToolCallDelta(1, "call_Hq5tZ0uJe8rD2kV6yB4gS1oM", "get_weather", '{"location"'),
            ToolCallDelta(1, None, None, ':"Tok'),
            ToolCallDelta(1, None, None, 'yo"}'),
            ToolCall(1, "call_Hq5tZ0uJe8rD2kV6yB4gS1oM", "get_weather", '{"location":"Tokyo"}'),
            ToolCallDelta(2, "call_Nc3aF7wG1hP9xL5jU2dI8qR6", "get_time", '{"timezone":"Asia/'),
            ToolCallDelta(2, None, None, 'Tokyo"}'),
            ToolCall(2, "call_Nc3aF7wG1hP9xL5jU2dI8qR6", "get_time", '{"timezone":"Asia/Tokyo"}'),
            Usage(82, 140, 222, cache_read_tokens=0, reasoning_tokens=64),
            Finish("tool_calls", "completed"),
        ],
        requested_model="o4-mini",
    ),
    Transcript(
        # store=false with include=["reasoning.encrypted_content"]: the reasoning item's
        # encrypted_content (whole only at output_item.done) and summary are one Reasoning,
        # then the function call.
        "reasoning_encrypted",
        [
            meta("o4-mini-2025-04-16", "o4-mini", "resp_0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
            ReasoningDelta("**Looking up the weather**\n\nI should call get_weather."),
            Reasoning(
                "openai_responses",
                "**Looking up the weather**\n\nI should call get_weather.",
                redacted="gAAAAABoZ2VuY3J5cHRlZF9yZWFzb25pbmdfZm9yX3Rlc3Rz==",
                id="rs_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                summary=("**Looking up the weather**\n\nI should call get_weather.",),
            ),
            ToolCallDelta(
                0, "call_W7pQ2mXk9LrT4vB1nZ8yDc3s", "get_weather", '{"location":"Paris"}'
            ),
            ToolCall(0, "call_W7pQ2mXk9LrT4vB1nZ8yDc3s", "get_weather", '{"location":"Paris"}'),
            Usage(64, 90, 154, cache_read_tokens=0, reasoning_tokens=64),
            Finish("tool_calls", "completed"),
        ],
        requested_model="o4-mini",
    ),
    Transcript(
        # Structured outputs, refused: a message item whose content part is a "refusal";
        # response.refusal.delta pieces are RefusalDelta events (response.refusal.done and
        # the final response repeat the whole refusal: no more events).
        "refusal",
        [
            meta(
                "gpt-4o-2024-08-06",
                "gpt-4o",
                "resp_68b1f7a1c3e58190b2d4f6a8c0e2a4b60e2c4d6f8a0b1c3d",
            ),
            RefusalDelta("I'm sorry,"),
            RefusalDelta(" I can't help"),
            RefusalDelta(" with that request."),
            Usage(74, 10, 84, cache_read_tokens=0, reasoning_tokens=0),
            STOP,
        ],
        requested_model="gpt-4o",
    ),
    Transcript(
        # A long shared prefix read from the prompt cache.
        "usage_cached",
        [
            meta(
                "gpt-4o-2024-08-06",
                "gpt-4o",
                "resp_68b1f3d0e2f48190a7c9e1b3d5f7a9c10e2c4d6f8a0b1c3d",
            ),
            TextDelta("Hold the reset"),
            TextDelta(" button for 10 seconds."),
            Usage(2006, 11, 2017, cache_read_tokens=1920, reasoning_tokens=0),
            STOP,
        ],
        requested_model="gpt-4o",
    ),
    Transcript(
        # A server whose final response says "usage": null: no Usage event (unknown is not 0).
        "no_usage",
        [
            meta("qwen3-32b", "qwen3-32b", "resp_b7e0c3f6a9d24c1e"),
            TextDelta("No"),
            TextDelta(" numbers."),
            STOP,
        ],
        requested_model="qwen3-32b",
    ),
    Transcript(
        # max_output_tokens ran out: response.incomplete, and the text already sent stays.
        "incomplete_max_output_tokens",
        [
            meta(
                "gpt-4.1-mini-2025-04-14",
                "gpt-4.1-mini",
                "resp_68b1f4e2a4c68190c9e1a3c5e7a9b1d30e2c4d6f8a0b1c3d",
            ),
            TextDelta("Once upon a time, in a"),
            TextDelta(" land far"),
            Usage(12, 16, 28, cache_read_tokens=0, reasoning_tokens=0),
            Finish("length", "max_output_tokens"),
        ],
        requested_model="gpt-4.1-mini",
    ),
    Transcript(
        "incomplete_content_filter",
        [
            meta(
                "gpt-4o-2024-08-06",
                "gpt-4o",
                "resp_68b1f5f4c6e88190e1a3c5e7a9b1d3f50e2c4d6f8a0b1c3d",
            ),
            TextDelta("Here is how"),
            Usage(30, 3, 33, cache_read_tokens=0, reasoning_tokens=0),
            Finish("content_filter", "content_filter"),
        ],
        requested_model="gpt-4o",
    ),
    Transcript(
        # Web search progress events, a keepalive, an annotation, and an event type this
        # decoder has never heard of: all skipped. A web_search_call in the output is not a
        # function call, so the finish is "stop".
        "unknown_events",
        [
            meta(
                "gpt-4.1-2025-04-14",
                "gpt-4.1",
                "resp_68b1f6a6e8fa8190a3c5e7a9b1d3f5a70e2c4d6f8a0b1c3d",
            ),
            TextDelta("It streams events"),
            TextDelta("."),
            Usage(310, 42, 352, cache_read_tokens=0, reasoning_tokens=0),
            STOP,
        ],
        requested_model="gpt-4.1",
    ),
    Transcript(
        # A gateway: no event: lines (the JSON "type" alone says what each event is), a
        # comment keep-alive first, and a Chat Completions style [DONE] after the end.
        "data_only",
        [
            meta("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano", "resp_0e1f2a3b4c5d6e7f"),
            TextDelta("Data"),
            TextDelta("-only"),
            TextDelta(" works."),
            Usage(9, 4, 13, cache_read_tokens=0, reasoning_tokens=0),
            STOP,
        ],
        requested_model="gpt-4.1-nano",
    ),
]

# What real servers sent (not written from the reference: no sequence numbers).
REAL_SERVER_TRANSCRIPTS = [
    Transcript(
        # llama.cpp's llama-server, byte for byte: no payload has a sequence_number, neither
        # response.created nor response.in_progress names the model, and response.completed
        # names the served model first. Metadata
        # has the requested model (llama-server serves whatever it loaded), Finish.model the
        # served one.
        "llama_server_model_late",
        [
            meta("local", "local", "resp_2QTqpims85lDeuv2EzyadIbdbbUDY9Ln"),
            ReasoningDelta("Let"),
            ReasoningDelta(" me"),
            ReasoningDelta(" think"),
            ReasoningDelta(" briefly"),
            *map(
                TextDelta,
                ["Hello", ",", " world", "!", " The", " sky", " is", " blue", ".", " ", "\u2728"],
            ),
            Reasoning(  # llama-server closes the reasoning item last
                "openai_responses", "Let me think briefly", id="rs_LcksF3zaD0iqktNPplEurmaotDF8yZUt"
            ),
            Usage(21, 21, 42, cache_read_tokens=20),
            Finish("stop", "completed", model="tiny-llama"),
        ],
        requested_model="local",
    ),
]

TRANSCRIPTS += [
    *REAL_SERVER_TRANSCRIPTS,
    Transcript(
        # The LiteLLM proxy: the served model beside the response object, not in it (the
        # rest as OpenAI sends it). Metadata names it at response.created.
        "litellm_model_beside_response",
        [
            meta("hosted_vllm/Qwen/Qwen3-8B", "qwen3-8b", "resp_0a7c1e5b9d3f4a8c"),
            TextDelta("Hi"),
            TextDelta(" there."),
            Usage(9, 3, 12),
            STOP,
        ],
        requested_model="qwen3-8b",
    ),
]

FAILING_TRANSCRIPTS = [
    Transcript(
        # response.failed after two deltas: response.error.code "server_error".
        "error_response_failed",
        [
            meta(
                "gpt-4o-2024-08-06",
                "gpt-4o",
                "resp_68b1f7b8a0c28190d6f8a0c2e4a6b8d00e2c4d6f8a0b1c3d",
            ),
            TextDelta("The answer"),
            TextDelta(" is"),
        ],
        requested_model="gpt-4o",
        error=ServerError,
    ),
    Transcript(
        # The documented error event: code, message and param at the top level.
        "error_event",
        [
            meta(
                "o4-mini-2025-04-16",
                "o4-mini",
                "resp_68b1f8c0b2d48190e8a0c2e4a6b8d0f20e2c4d6f8a0b1c3d",
            )
        ],
        requested_model="o4-mini",
        error=RateLimitError,
    ),
    Transcript(
        # The error event as the API has been seen to send it (openai/openai-dotnet#881):
        # code, message and type nested under "error".
        "error_event_nested",
        [
            meta(
                "gpt-4.1-2025-04-14",
                "gpt-4.1",
                "resp_68b1f9d2c4e68190f9b1d3f5a7c9e1a30e2c4d6f8a0b1c3d",
            ),
            TextDelta("Let me"),
        ],
        requested_model="gpt-4.1",
        error=RateLimitError,
    ),
    Transcript(
        # The body stops in the middle of a data line: the cut event is dropped.
        "truncated_mid_event",
        [
            meta(
                "gpt-4.1-mini-2025-04-14",
                "gpt-4.1-mini",
                "resp_68b1fae4d6f88190a1c3e5a7c9e1b3d50e2c4d6f8a0b1c3d",
            ),
            TextDelta("Once upon"),
            TextDelta(" a time"),
        ],
        requested_model="gpt-4.1-mini",
        error=ProtocolError,
    ),
    Transcript(
        # The call is complete, but response.completed never came: still truncated, no Finish.
        "truncated_after_item_done",
        [
            meta(
                "gpt-4.1-2025-04-14",
                "gpt-4.1",
                "resp_68b1fbf6e8a08190c3e5a7c9e1b3d5f70e2c4d6f8a0b1c3d",
            ),
            ToolCallDelta(0, "call_Rk2mW9pX4sL7nQ1vT8yB3eJ6", "search_docs", '{"query":'),
            ToolCallDelta(0, None, None, '"sse"}'),
            ToolCall(0, "call_Rk2mW9pX4sL7nQ1vT8yB3eJ6", "search_docs", '{"query":"sse"}'),
        ],
        requested_model="gpt-4.1",
        error=ProtocolError,
    ),
    Transcript(
        # A data line that is not JSON after "Hello"; the valid event after it never counts.
        "invalid_json",
        [
            meta(
                "gpt-4.1-mini-2025-04-14",
                "gpt-4.1-mini",
                "resp_68b1fc0a1b2c8190e5a7c9e1b3d5f7a90e2c4d6f8a0b1c3d",
            ),
            TextDelta("Hello"),
        ],
        requested_model="gpt-4.1-mini",
        error=ProtocolError,
    ),
]

EVERY_TRANSCRIPT = {t.name: t for t in TRANSCRIPTS + FAILING_TRANSCRIPTS}


def _failure(name: str) -> Error:
    transcript = EVERY_TRANSCRIPT[name]
    return feed_until_failure(transcript.decoder(), [transcript.wire])[1]


def test_openai_responses_transcripts_carry_sequence_numbers() -> None:
    """The transcripts are in the API's shape: every payload numbered, in order from 0."""
    for transcript in TRANSCRIPTS:
        if transcript in REAL_SERVER_TRANSCRIPTS:
            continue
        numbers = [
            json.loads(line[6:])["sequence_number"]
            for line in transcript.wire.splitlines()  # bytes: U+2028 is no line break
            if line.startswith(b"data: {")
        ]
        assert numbers == list(range(len(numbers))), transcript.name


def test_openai_responses_decoder_reports_response_failed_as_server_error() -> None:
    error = _failure("error_response_failed")
    assert isinstance(error, ServerError)
    assert error.retryable
    assert error.code == "server_error"
    assert error.status_code is None
    assert error.message.startswith("An error occurred while processing your request.")
    assert error.body.startswith('{"code":"server_error","message":"An error occurred')


def test_openai_responses_decoder_reports_documented_error_event() -> None:
    error = _failure("error_event")
    assert isinstance(error, RateLimitError)
    assert error.retryable
    assert error.code == "rate_limit_exceeded"
    assert error.message.startswith("Rate limit reached for o4-mini")
    assert str(error).startswith("openai-responses: Rate limit reached")


def test_openai_responses_decoder_reads_nested_error_event() -> None:
    error = _failure("error_event_nested")
    assert isinstance(error, RateLimitError)
    assert error.code == "too_many_requests"
    assert error.message == "Too Many Requests"


# The failing transcripts cut before the terminal event, and what end() says of each
# (tests/wire/test_decoders.py).
TRUNCATED = {
    "truncated_mid_event": "truncated",
    "truncated_after_item_done": "truncated",
}


def test_openai_responses_decoder_excerpts_invalid_json_line() -> None:
    error = _failure("invalid_json")
    assert isinstance(error, ProtocolError)
    assert error.excerpt.startswith('{"type":"response.output_text.delta","sequence_number":4')


# -- the terminal event, metadata and smaller rules ----------------------------------------


# A complete body, and bytes after its terminal event (tests/wire/test_decoders.py).
AFTER_THE_END = ("text", sse(text("late")) + b"data: {oops\n\n")


def test_openai_responses_decoder_is_not_done_before_the_terminal_event() -> None:
    wire = EVERY_TRANSCRIPT["text"].wire
    decoder = EVERY_TRANSCRIPT["text"].decoder()
    events = decoder.feed(wire[: wire.index(b"event: response.completed")])
    assert not decoder.done
    assert [type(e) for e in events] == [Metadata, TextDelta, TextDelta, TextDelta, TextDelta]


def test_openai_responses_decoder_dispatches_on_the_json_type_not_the_event_name() -> None:
    """The JSON "type" decides; an SSE event name that says otherwise is not believed."""
    wire = (
        sse(created())
        + b"event: response.in_progress\ndata: "
        + json.dumps(text("yes")).encode()
        + b"\n\n"
        + b"event: response.output_text.delta\ndata: "
        + json.dumps({"type": "response.output_text.annotation.added", "delta": "no"}).encode()
        + b"\n\n"
        + sse(completed())
    )
    assert feed_all(decoder(), [wire]) == [METADATA, TextDelta("yes"), STOP]


def test_openai_responses_decoder_uses_the_event_name_when_the_json_has_no_type() -> None:
    payload = {"item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "hi"}
    wire = (
        sse(created())
        + b"event: response.output_text.delta\ndata: "
        + json.dumps(payload).encode()
        + b"\n\n"
        + b"data: "
        + json.dumps(payload).encode()
        + b"\n\n"  # neither says: skipped
        + sse(completed())
    )
    assert feed_all(decoder(), [wire]) == [METADATA, TextDelta("hi"), STOP]


def test_openai_responses_decoder_sends_requested_model_when_no_event_names_one() -> None:
    wire = sse(text("Hi"), {"type": "response.completed", "response": {}}, event_lines=False)
    assert feed_all(decoder("my-model"), [wire]) == [
        Metadata(provider="p", model="my-model", requested_model="my-model"),
        TextDelta("Hi"),
        STOP,
    ]


def test_openai_responses_decoder_sends_metadata_and_finish_for_a_bare_completed() -> None:
    wire = sse(completed(model="served-model"))
    assert feed_all(decoder(), [wire]) == [METADATA, STOP]


def test_openai_responses_decoder_sends_metadata_once_across_created_and_in_progress() -> None:
    in_progress = {"type": "response.in_progress", "response": {"id": "resp_2", "model": "other"}}
    wire = sse(created(), in_progress, text("a"), completed(model="late"))
    assert feed_all(decoder(), [wire]) == [METADATA, TextDelta("a"), STOP]


def test_openai_responses_decoder_takes_the_model_from_in_progress_if_created_has_none() -> None:
    """Metadata waits through the response events for one that names the model."""
    bare = {"type": "response.created", "response": {"id": "resp_1", "object": "response"}}
    wire = sse(bare, created(model="served-model") | {"type": "response.in_progress"})
    wire += sse(text("a"), completed(model="served-model"))
    decoded = decoder()
    assert decoded.feed(sse(bare)) == []
    assert decoded.feed(wire[len(sse(bare)) :]) + decoded.end() == [
        METADATA,
        TextDelta("a"),
        STOP,
    ]


def test_openai_responses_decoder_waits_for_the_model_only_through_response_events() -> None:
    """After the response events, the first other event sends Metadata (the requested model,
    the response id) even if it carries nothing; the final response's model is then
    Finish.model. A keep-alive before any response event does not send it."""
    bare = {"type": "response.created", "response": {"id": "resp_1"}}
    added = {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"id": "msg_1", "type": "message", "content": []},
    }
    decoded = decoder()
    assert decoded.feed(sse({"type": "keepalive"}, bare)) == []
    late = Metadata(provider="p", model="m", requested_model="m", response_id="resp_1")
    assert decoded.feed(sse(added)) == [late]
    assert decoded.feed(sse(text("a"), completed(model="served-model"))) == [
        TextDelta("a"),
        Finish("stop", "completed", model="served-model"),
    ]


def test_openai_responses_decoder_reads_incomplete_without_a_reason_as_other() -> None:
    incomplete = {"type": "response.incomplete", "response": {"incomplete_details": None}}
    assert feed_all(decoder(), [sse(created(), text("a"), incomplete)]) == [
        METADATA,
        TextDelta("a"),
        Finish("other", None),
    ]


def test_openai_responses_decoder_separates_reasoning_parts_only_between_parts() -> None:
    def summary(item: str, index: int, delta: str) -> dict[str, Any]:
        return {
            "type": "response.reasoning_summary_text.delta",
            "item_id": item,
            "output_index": 0,
            "summary_index": index,
            "delta": delta,
        }

    wire = sse(
        created(),
        summary("rs_1", 0, "A"),
        summary("rs_1", 0, "b"),
        summary("rs_1", 1, "C"),
        text("answer"),
        summary("rs_2", 0, "D"),
        completed(),
    )
    assert feed_all(decoder(), [wire]) == [
        METADATA,
        ReasoningDelta("A"),
        ReasoningDelta("b"),
        ReasoningDelta("\n\nC"),
        TextDelta("answer"),
        ReasoningDelta("\n\nD"),
        STOP,
    ]


def test_openai_responses_decoder_skips_empty_deltas() -> None:
    reasoning = {"type": "response.reasoning_text.delta", "item_id": "rs", "delta": ""}
    wire = sse(created(), text(""), reasoning, text("x"), completed())
    assert feed_all(decoder(), [wire]) == [METADATA, TextDelta("x"), STOP]


def test_openai_responses_decoder_ignores_done_events_of_text_already_streamed() -> None:
    done = {
        "type": "response.output_text.done",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "text": "ab",
    }
    wire = sse(created(), text("a"), text("b"), done, completed())
    assert feed_all(decoder(), [wire]) == [METADATA, TextDelta("a"), TextDelta("b"), STOP]


def test_openai_responses_decoder_skips_a_done_line() -> None:
    """A gateway's [DONE] before the terminal event ends nothing: the body is still cut."""
    decoder_ = decoder()
    assert decoder_.feed(sse(created(), text("a")) + b"data: [DONE]\n\n") == [
        METADATA,
        TextDelta("a"),
    ]
    with pytest.raises(ProtocolError, match="truncated"):
        decoder_.end()


# -- tool calls ----------------------------------------------------------------------------


def call_added(output_index: int, item_id: str, call_id: str, name: str) -> dict[str, Any]:
    return {
        "type": "response.output_item.added",
        "output_index": output_index,
        "item": {
            "id": item_id,
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call_id,
            "name": name,
        },
    }


def arguments(output_index: int, item_id: str, delta: str) -> dict[str, Any]:
    return {
        "type": "response.function_call_arguments.delta",
        "item_id": item_id,
        "output_index": output_index,
        "delta": delta,
    }


def arguments_done(output_index: int, item_id: str, whole: str, **name: str) -> dict[str, Any]:
    return {
        "type": "response.function_call_arguments.done",
        "item_id": item_id,
        "output_index": output_index,
        "arguments": whole,
        **name,
    }


def test_openai_responses_decoder_counts_calls_in_order_of_appearance() -> None:
    """Calls opened out of output_index order keep the order in which they appeared, and
    fragments find their call by output_index even when interleaved."""
    wire = sse(
        created(),
        call_added(3, "fc_a", "call_a", "first"),
        call_added(1, "fc_b", "call_b", "second"),
        arguments(1, "fc_b", "{"),
        arguments(3, "fc_a", "["),
        arguments(1, "fc_b", "}"),
        arguments_done(1, "fc_b", "{}", name="second"),
        arguments(3, "fc_a", "]"),
        arguments_done(3, "fc_a", "[]", name="first"),
        completed(),
    )
    assert feed_all(decoder(), [wire]) == [
        METADATA,
        ToolCallDelta(1, "call_b", "second", "{"),
        ToolCallDelta(0, "call_a", "first", "["),
        ToolCallDelta(1, None, None, "}"),
        ToolCall(1, "call_b", "second", "{}"),
        ToolCallDelta(0, None, None, "]"),
        ToolCall(0, "call_a", "first", "[]"),
        Finish("tool_calls", "completed"),
    ]


def test_openai_responses_decoder_takes_arguments_from_the_done_event() -> None:
    """.done's arguments are the call's; a call without deltas still completes once, and the
    output_item.done that repeats it adds nothing."""
    item_done = {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {
            "id": "fc_1",
            "type": "function_call",
            "call_id": "call_1",
            "name": "f",
            "arguments": '{"a":1}',
        },
    }
    wire = sse(
        created(),
        call_added(0, "fc_1", "call_1", "f"),
        arguments_done(0, "fc_1", '{"a":1}'),
        item_done,
        completed(),
    )
    assert feed_all(decoder(), [wire]) == [
        METADATA,
        ToolCall(0, "call_1", "f", '{"a":1}'),
        Finish("tool_calls", "completed"),
    ]


def test_openai_responses_decoder_finds_calls_by_item_id_without_output_item_added() -> None:
    """A server that skips output_item.added and output_index: the call is known by its
    item id, named by .done."""
    first = {"type": "response.function_call_arguments.delta", "item_id": "fc_9", "delta": "{}"}
    done = {
        "type": "response.function_call_arguments.done",
        "item_id": "fc_9",
        "name": "lookup",
        "arguments": "{}",
    }
    wire = sse(created(), first, done, completed(), event_lines=False)
    assert feed_all(decoder(), [wire]) == [
        METADATA,
        ToolCallDelta(0, "fc_9", "", "{}"),
        ToolCall(0, "fc_9", "lookup", "{}"),
        Finish("tool_calls", "completed"),
    ]


def test_openai_responses_decoder_completes_calls_only_the_final_response_shows() -> None:
    """A gateway that streams no call events at all: the calls in response.output still
    become ToolCall events, before Usage and Finish."""
    output = [
        {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "f",
            "arguments": "{}",
        },
    ]
    final = completed(model="served-model", output=output, usage={"input_tokens": 3})
    assert feed_all(decoder(), [sse(created(), final)]) == [
        METADATA,
        ToolCall(0, "call_1", "f", "{}"),
        Usage(3, None),
        Finish("tool_calls", "completed"),
    ]


def test_openai_responses_decoder_completes_a_call_cut_by_max_output_tokens() -> None:
    """response.incomplete in the middle of a call: it completes with what arrived, as the
    Chat Completions decoder does at a length finish."""
    incomplete = {
        "type": "response.incomplete",
        "response": {"incomplete_details": {"reason": "max_output_tokens"}},
    }
    wire = sse(
        created(), call_added(0, "fc_1", "call_1", "f"), arguments(0, "fc_1", '{"a'), incomplete
    )
    assert feed_all(decoder(), [wire]) == [
        METADATA,
        ToolCallDelta(0, "call_1", "f", '{"a'),
        ToolCall(0, "call_1", "f", '{"a'),
        Finish("length", "max_output_tokens"),
    ]


# -- errors in the stream ------------------------------------------------------------------


def test_openai_responses_decoder_is_done_after_response_failed() -> None:
    failed = {"type": "response.failed", "response": {"error": None}}
    decoder_ = decoder()
    events, error = feed_until_failure(decoder_, [sse(created(), failed)])
    assert events == [METADATA]
    assert isinstance(error, ServerError), "failed without a word: the server's failure"
    assert error.message == "the response failed"
    assert decoder_.done
    assert decoder_.feed(sse(text("late"))) == []
    assert decoder_.end() == []


def test_openai_responses_decoder_reads_an_error_payload_without_type() -> None:
    """A gateway's Chat Completions style {"error": {...}} in the stream is an error too."""
    payload = {"error": {"message": "upstream overloaded", "type": "overloaded_error"}}
    events, error = feed_until_failure(decoder(), [sse(created(), text("a"), payload)])
    assert events == [METADATA, TextDelta("a")]
    assert isinstance(error, OverloadedError)
    assert error.provider == "p"


def test_openai_responses_decoder_raises_an_error_event_before_any_metadata() -> None:
    error_event = {"type": "error", "code": "invalid_prompt", "message": "flagged", "param": None}
    events, error = feed_until_failure(decoder(), [sse(error_event)])
    assert events == []
    assert isinstance(error, BadRequestError)
    assert not error.retryable


# -- bounded buffer --------------------------------------------------------------------------


@pytest.mark.parametrize("one_byte", [False, True], ids=["whole", "one-byte"])
def test_openai_responses_decoder_rejects_event_over_max_event_bytes(one_byte: bool) -> None:
    wire = b"data: " + b"x" * 500 + b"\n\n"
    with pytest.raises(ProtocolError):
        feed_all(decoder(max_event_bytes=256), one_byte_chunks(wire) if one_byte else [wire])


def test_openai_responses_decoder_keeps_events_before_an_oversized_event() -> None:
    small = sse(created(), text("hi"))
    for chunks in ([small, b"data: " + b"x" * 500], [small + b"data: " + b"x" * 500 + b"\n\n"]):
        events, error = feed_until_failure(decoder(max_event_bytes=256), chunks)
        assert isinstance(error, ProtocolError)
        assert events == [METADATA, TextDelta("hi")]


def test_openai_responses_decoder_keeps_the_response_when_an_oversized_trailer_follows() -> None:
    """The terminal event came first: a bad trailer in the same chunk does not matter."""
    wire = sse(created(), text("hi"), completed()) + b"data: " + b"x" * 500 + b"\n\n"
    assert feed_all(decoder(max_event_bytes=256), [wire]) == [METADATA, TextDelta("hi"), STOP]


# -- garbage in: only ProtocolError out ------------------------------------------------------


# Pieces of this API's stream, for garbage that looks like it (tests/wire/test_decoders.py).
SPRINKLES = [
    b"data: ",
    b"event: response.output_text.delta\n",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"{",
    b"}",
    b'"',
    b"[]",
    b'{"type":"response.output_text.delta","delta":"x"}',
    b'{"type":"response.completed","response":{}}',
    b'{"type":"response.created","response":{"model":"m"}}',
    b'"type":"response.function_call_arguments.delta"',
    b'"output_index":0',
    b"data: [DONE]\n\n",
    b": keep-alive\n\n",
]


_ITEM = st.fixed_dictionaries(
    {},
    optional={
        "type": or_junk(st.sampled_from(["function_call", "message", "reasoning"])),
        "id": or_junk(st.sampled_from(["fc_1", "fc_2"])),
        "call_id": or_junk(st.sampled_from(["call_1", "call_2"])),
        "name": or_junk(st.text(max_size=4)),
        "arguments": or_junk(st.text(max_size=4)),
    },
)
_RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "model": or_junk(st.text(max_size=4)),
        "output": or_junk(st.lists(or_junk(_ITEM), max_size=3)),
        "usage": or_junk(
            st.fixed_dictionaries(
                {},
                optional={
                    "input_tokens": or_junk(st.integers(0, 9)),
                    "output_tokens": or_junk(st.integers(0, 9)),
                    "input_tokens_details": or_junk(
                        st.fixed_dictionaries({"cached_tokens": json_values})
                    ),
                    "output_tokens_details": or_junk(
                        st.fixed_dictionaries({"reasoning_tokens": json_values})
                    ),
                },
            )
        ),
        "incomplete_details": or_junk(st.fixed_dictionaries({"reason": json_values})),
    },
)
_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_item.done",
    "response.output_text.delta",
    "response.reasoning_summary_text.delta",
    "response.reasoning_text.delta",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.completed",
    "response.incomplete",
    "response.content_part.added",
]
# Event-shaped objects with wrong types anywhere; never an error event, so no ProviderError.
_EVENT = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(_TYPES), st.integers(), st.lists(st.none(), max_size=1))},
    optional={
        "response": or_junk(_RESPONSE),
        "item": or_junk(_ITEM),
        "output_index": or_junk(st.integers(0, 2)),
        "item_id": or_junk(st.sampled_from(["fc_1", "fc_2", "rs_1"])),
        "summary_index": json_values,
        "delta": or_junk(st.text(max_size=4)),
        "arguments": or_junk(st.text(max_size=4)),
        "name": json_values,
    },
)


@given(events=st.lists(_EVENT, max_size=6), one_byte=st.booleans())
@example(events=[{"type": "response.created", "response": "r"}], one_byte=False)
@example(events=[{"type": "response.output_item.added", "item": []}], one_byte=False)
@example(events=[{"type": "response.output_text.delta", "delta": 5}], one_byte=False)
@example(events=[{"type": "response.function_call_arguments.delta"}], one_byte=False)
@example(
    events=[{"type": "response.output_item.added", "item": {"type": "function_call", "name": 1}}],
    one_byte=False,
)
@example(
    events=[
        {
            "type": "response.completed",
            "response": {"output": [{"type": "function_call", "call_id": 7}]},
        }
    ],
    one_byte=False,
)
@example(events=[{"type": ["response.completed"]}], one_byte=False)
def test_openai_responses_decoder_raises_only_protocol_error_on_misshapen_events(
    events: list[dict[str, Any]], one_byte: bool
) -> None:
    """Valid JSON of the wrong shape (a string where an object belongs, ...) is skipped or a
    ProtocolError; never an AttributeError, TypeError or KeyError."""
    wire = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events)
    assert_keeps_contract(
        decode_garbage(_fuzzed(), one_byte_chunks(wire) if one_byte else [wire]), complete=None
    )


_ERROR_OBJECT = st.fixed_dictionaries(
    {},
    optional={
        "code": or_junk(st.sampled_from(["server_error", "rate_limit_exceeded", "x"])),
        "message": json_values,
        "type": json_values,
        "status": or_junk(st.integers(100, 700)),
    },
)


@given(
    payload=st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("error")},
            optional={"code": json_values, "message": json_values, "error": or_junk(_ERROR_OBJECT)},
        ),
        st.fixed_dictionaries(
            {"type": st.just("response.failed")},
            optional={
                "response": or_junk(st.fixed_dictionaries({}, optional={"error": _ERROR_OBJECT}))
            },
        ),
    )
)
def test_openai_responses_decoder_raises_provider_errors_for_misshapen_error_events(
    payload: dict[str, Any],
) -> None:
    """However odd an error event, it is a ProviderError with a message, and nothing else."""
    events, error = feed_until_failure(decoder(), [sse(created(), payload)])
    assert events == [METADATA]
    assert isinstance(error, ProviderError)
    assert error.message
    assert error.provider == "p"


# -- build_responses_body ------------------------------------------------------------------


def make_request(**fields: Any) -> Request:
    """`Request(**fields)`, untyped (see tests/wire/test_openai_chat.py: mypy's attrs plugin
    cannot type the converters of Request.tools and Request.stop)."""
    return Request(**fields)


WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
    "required": ["city"],
}


def full_request(parameters: Mapping[str, Any], extra: Mapping[str, Any]) -> Request:
    return make_request(
        messages=[
            Message.system("You are terse."),
            Message.user("Weather in Paris and Tokyo?"),
            Message.assistant(
                "Checking both.",
                tool_calls=[
                    ToolCall(0, "call_1", "get_weather", '{"city": "Paris"}'),
                    ToolCall(1, "call_2", "get_weather", '{"city": "Tokyo"}'),
                ],
            ),
            Message.tool("call_1", '{"temp_c": 18}', name="get_weather"),
            Message.tool("call_2", '{"temp_c": 24}', name="get_weather"),
            Message.assistant("18 \u00b0C in Paris, 24 \u00b0C in Tokyo."),
            Message.system("Answer the next question in French."),
            Message.user(
                [
                    TextPart("And is this sky blue?"),
                    ImagePart(url="https://example.org/sky.png"),
                    ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
                ]
            ),
        ],
        model="gpt-4.1",
        tools=[ToolSpec("get_weather", "Current weather for a city.", parameters)],
        tool_choice="get_weather",
        temperature=0.7,
        max_tokens=256,
        top_p=0.9,
        stop=["\n\n"],
        seed=7,
        extra=extra,
    )


def test_build_responses_body_writes_every_part_of_a_request() -> None:
    """The first system prompt as instructions, a later one in place; multi-turn history;
    assistant text as output_text and its calls as function_call items; tool results as
    function_call_output items; image URL and base64 parts; flat non-strict tools; a named
    tool_choice; max_output_tokens; `extra` merged last, and winning."""
    extra = {"store": False, "temperature": 0.0, "reasoning": {"summary": "auto"}}
    body = build_responses_body(full_request(WEATHER_PARAMETERS, extra), model="gpt-4.1-2025")
    assert body == {
        "model": "gpt-4.1-2025",
        "instructions": "You are terse.",
        "input": [
            {"type": "message", "role": "user", "content": "Weather in Paris and Tokyo?"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Checking both."}],
            },
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city": "Paris"}',
            },
            {
                "type": "function_call",
                "call_id": "call_2",
                "name": "get_weather",
                "arguments": '{"city": "Tokyo"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": '{"temp_c": 18}'},
            {"type": "function_call_output", "call_id": "call_2", "output": '{"temp_c": 24}'},
            {
                "type": "message",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "18 \u00b0C in Paris, 24 \u00b0C in Tokyo."}
                ],
            },
            {"type": "message", "role": "system", "content": "Answer the next question in French."},
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "And is this sky blue?"},
                    {
                        "type": "input_image",
                        "image_url": "https://example.org/sky.png",
                        "detail": "auto",
                    },
                    {
                        "type": "input_image",
                        "image_url": "data:image/png;base64,iVBORw0KGgo=",
                        "detail": "auto",
                    },
                ],
            },
        ],
        "stream": True,
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": "Current weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
                    "required": ["city"],
                },
                "strict": False,
            }
        ],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "temperature": 0.0,
        "max_output_tokens": 256,
        "top_p": 0.9,
        "store": False,
        "reasoning": {"summary": "auto"},
    }


def test_build_responses_body_streams_and_omits_unset_options() -> None:
    body = build_responses_body(Request(messages=[Message.user("Hi")]), model="gpt-4.1-mini")
    assert body == {
        "model": "gpt-4.1-mini",
        "input": [{"type": "message", "role": "user", "content": "Hi"}],
        "stream": True,
    }


def test_build_responses_body_has_no_stop_or_seed() -> None:
    """The Responses API has neither parameter: sending them would be a 400."""
    request = make_request(messages=[Message.user("q")], stop=["END"], seed=3)
    body = build_responses_body(request, model="m")
    assert "stop" not in body
    assert "seed" not in body


def test_build_responses_body_keeps_a_multi_part_system_prompt_in_the_input() -> None:
    request = Request(messages=[Message("system", [TextPart("Be brief.")]), Message.user("q")])
    assert build_responses_body(request, model="m")["input"] == [
        {
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "Be brief."}],
        },
        {"type": "message", "role": "user", "content": "q"},
    ]


def test_build_responses_body_sends_only_calls_for_an_assistant_turn_without_text() -> None:
    message = Message.assistant(tool_calls=[ToolCall(0, "call_9", "f", "{}")])
    body = build_responses_body(Request(messages=[Message.user("q"), message]), model="m")
    assert body["input"][1:] == [
        {"type": "function_call", "call_id": "call_9", "name": "f", "arguments": "{}"}
    ]


def test_build_responses_body_sends_an_empty_assistant_turn_as_empty_text() -> None:
    body = build_responses_body(
        Request(messages=[Message.user("q"), Message.assistant()]), model="m"
    )
    assert body["input"][1] == {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": ""}],
    }


def test_build_responses_body_sends_tool_results_with_images_as_parts() -> None:
    result = Message(
        "tool", [TextPart("chart:"), ImagePart(url="https://e.org/c.png")], tool_call_id="call_3"
    )
    body = build_responses_body(Request(messages=[Message.user("q"), result]), model="m")
    assert body["input"][1] == {
        "type": "function_call_output",
        "call_id": "call_3",
        "output": [
            {"type": "input_text", "text": "chart:"},
            {"type": "input_image", "image_url": "https://e.org/c.png", "detail": "auto"},
        ],
    }


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_build_responses_body_passes_tool_choice_keywords_through(choice: str) -> None:
    request = make_request(messages=[Message.user("q")], tools=[ToolSpec("f")], tool_choice=choice)
    assert build_responses_body(request, model="m")["tool_choice"] == choice


def test_build_responses_body_does_not_mutate_the_request() -> None:
    parameters = copy.deepcopy(WEATHER_PARAMETERS)
    extra: dict[str, Any] = {"user": "user-42", "metadata": {"trace": "t-1"}}
    request = full_request(parameters, extra)
    snapshot = copy.deepcopy(request)

    first = build_responses_body(request, model="gpt-4.1")
    second = build_responses_body(request, model="gpt-4.1")

    assert parameters == WEATHER_PARAMETERS
    assert extra == {"user": "user-42", "metadata": {"trace": "t-1"}}
    assert request == snapshot
    assert first == second
    # The body is the caller's to change: its top level shares nothing with the request.
    first["input"].append({"type": "message", "role": "user", "content": "more"})
    first["input"][-2]["content"].append({"type": "input_text", "text": "x"})
    first["tools"][0]["name"] = "renamed"
    first["user"] = "someone-else"
    assert request == snapshot
    assert build_responses_body(request, model="gpt-4.1") == second


def test_build_responses_body_is_json_serialisable() -> None:
    body = build_responses_body(full_request(WEATHER_PARAMETERS, {"user": "u"}), model="m")
    assert json.loads(json.dumps(body)) == body


def test_build_responses_body_serialises_read_only_tool_parameters() -> None:
    frozen = MappingProxyType({"type": "object", "properties": {}})
    request = make_request(messages=[Message.user("q")], tools=[ToolSpec("f", parameters=frozen)])
    body = build_responses_body(request, model="m")
    assert json.loads(json.dumps(body))["tools"][0]["parameters"] == {
        "type": "object",
        "properties": {},
    }


# -- openai_responses_error ----------------------------------------------------------------


def _http_payload(message: str, type_: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (
            400,
            _http_payload(
                "Unknown parameter: 'stop'.", "invalid_request_error", "unknown_parameter"
            ),
            BadRequestError,
        ),
        (
            401,
            _http_payload(
                "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            ),
            AuthenticationError,
        ),
        (
            404,
            _http_payload("The model `gpt-9` does not exist.", "invalid_request_error", None),
            NotFoundError,
        ),
        (500, _http_payload("The server had an error.", "server_error", None), ServerError),
        (
            503,
            _http_payload("The engine is currently overloaded.", "server_error", None),
            OverloadedError,
        ),
    ],
)
def test_openai_responses_error_maps_http_status_to_error_class(
    status: int, payload: dict[str, Any], cls: type[ProviderError]
) -> None:
    error = openai_responses_error(payload, status_code=status, raw=json.dumps(payload))
    assert type(error) is cls
    assert error.status_code == status
    assert payload["error"]["message"] in error.message
    assert str(status) in error.message


def test_openai_responses_error_keeps_retry_after_on_http_rate_limit() -> None:
    payload = _http_payload("Rate limit reached.", "requests", "rate_limit_exceeded")
    error = openai_responses_error(payload, status_code=429, retry_after=20.0, raw="{}")
    assert type(error) is RateLimitError
    assert error.retryable
    assert error.retry_after == 20.0
    assert error.code == "rate_limit_exceeded"


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        ("server_error", ServerError, True),
        ("vector_store_timeout", ServerError, True),
        ("rate_limit_exceeded", RateLimitError, True),
        ("invalid_prompt", BadRequestError, False),
        ("invalid_base64_image", BadRequestError, False),
        ("image_too_large", BadRequestError, False),
        ("failed_to_download_image", BadRequestError, False),
        ("bio_policy", BadRequestError, False),
        ("model_not_found", NotFoundError, False),
        ("invalid_api_key", AuthenticationError, False),
        ("server_is_overloaded", OverloadedError, True),
        ("some_future_code", ProviderError, False),
    ],
)
def test_openai_responses_error_maps_in_stream_codes(
    code: str, cls: type[ProviderError], retryable: bool
) -> None:
    failed = {"type": "response.failed", "response": {"error": {"code": code, "message": "m"}}}
    flat = {"type": "error", "code": code, "message": "m", "param": None}
    for payload in (failed, flat):
        error = openai_responses_error(payload, raw=json.dumps(payload))
        assert type(error) is cls, payload
        assert error.retryable is retryable
        assert error.code == code
        assert error.message == "m"
        assert error.status_code is None


def test_openai_responses_error_treats_insufficient_quota_as_not_retryable() -> None:
    """The nested shape seen from the API when the account is out of credit."""
    payload = {
        "type": "error",
        "sequence_number": 2,
        "error": {
            "type": "insufficient_quota",
            "code": "credit_balance_exhausted",
            "message": "You have no credits remaining.",
            "param": None,
        },
    }
    error = openai_responses_error(payload, raw=json.dumps(payload))
    assert isinstance(error, RateLimitError)
    assert not error.retryable
    assert error.code == "credit_balance_exhausted"
    assert error.message == "You have no credits remaining."


def test_openai_responses_error_takes_the_status_an_error_event_names() -> None:
    payload = {"type": "error", "code": "upstream_error", "message": "busy", "status": 503}
    error = openai_responses_error(payload)
    assert isinstance(error, OverloadedError)
    assert error.status_code == 503


def test_openai_responses_error_prefers_top_level_fields_over_nested_ones() -> None:
    payload = {
        "type": "error",
        "code": "server_error",
        "message": "top",
        "error": {"code": "rate_limit_exceeded", "message": "nested"},
    }
    error = openai_responses_error(payload)
    assert isinstance(error, ServerError)
    assert error.message == "top"


def test_openai_responses_error_names_the_code_when_there_is_no_message() -> None:
    error = openai_responses_error({"type": "error", "code": "server_error"})
    assert error.message == "the stream carried an error event: server_error"
    failed = {"type": "response.failed", "response": {"error": {"code": "invalid_prompt"}}}
    assert openai_responses_error(failed).message == "the response failed: invalid_prompt"


def _fuzzed() -> OpenAIResponsesDecoder:
    return OpenAIResponsesDecoder(provider="fuzz", requested_model="m")


def test_responses_decoder_skips_a_refusal_delta_of_an_unknown_shape() -> None:
    """A refusal delta that is not a string (a shape the API does not document) carries no
    event and is no fault; the text around it is kept."""
    payloads: list[dict[str, Any]] = [
        {"type": "response.refusal.delta", "delta": {"text": "no"}},
        {"type": "response.output_text.delta", "delta": "Hi"},
        {"type": "response.completed", "response": {"model": "m", "output": []}},
    ]
    wire = b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in payloads)
    events = feed_all(OpenAIResponsesDecoder(provider="p", requested_model="m"), [wire])
    assert [type(e) for e in events] == [Metadata, TextDelta, Finish]
