"""Tests for `eventide.wire._gemini`: the Gemini ``streamGenerateContent?alt=sse`` decoder, the
request body builder and the error mapping.

The transcripts under tests/data/gemini/ are byte-exact bodies in the shape of the Gemini API
reference, "models.streamGenerateContent" and "GenerateContentResponse" (ai.google.dev/api/
generate-content, read 2026-12): CRLF-framed ``data:`` events (one transcript is LF-framed),
Gemini's own JSON spacing, usage on every chunk, and no end sentinel: the body ends at EOF.
Every expected event list below is written out by hand; the decoder must give exactly that
list whatever the chunk boundaries are. A test-only encoder drives the round-trip property,
and garbage input may only ever raise `ProtocolError`.
"""

from __future__ import annotations

import copy
import functools
import json
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide import (
    AuthenticationError,
    BadRequestError,
    Error,
    Event,
    Finish,
    FinishReason,
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
    Request,
    ServerError,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from eventide._errors import PermissionDeniedError
from eventide.wire._gemini import GeminiDecoder, build_gemini_body, gemini_error
from tests.conformance.cases import GEMINI
from tests.contract import assert_keeps_contract
from tests.strategies import chunked, json_values, or_junk
from tests.wire import harness
from tests.wire.harness import (
    decode_garbage,
    feed_all,
    feed_until_failure,
    one_byte_chunks,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

DATA = Path(__file__).resolve().parents[1] / "data" / "gemini"
FLASH = "gemini-2.5-flash"


# -- helpers -------------------------------------------------------------------------------


def meta(response_id: str, model: str = FLASH, requested: str | None = None) -> Metadata:
    return Metadata(
        provider="gemini",
        model=model,
        requested_model=requested or model,
        response_id=response_id,
    )


def sse(payload: Mapping[str, Any], newline: str = "\r\n") -> bytes:
    """One Gemini event: ``data: {json}`` and a blank line, CRLF-framed by default."""
    return f"data: {json.dumps(payload, ensure_ascii=False)}{newline}{newline}".encode()


def decoder(requested: str = "m") -> GeminiDecoder:
    return GeminiDecoder(provider="gemini", requested_model=requested)


def is_done(d: GeminiDecoder) -> bool:
    """`d.done`, read through a call so that mypy does not narrow it between two reads."""
    return d.done


# -- the recorded transcripts --------------------------------------------------------------


Transcript = functools.partial(harness.Transcript, GEMINI, requested_model=FLASH)


CALL_ARGS = (
    '{"query":"caf\u00e9 \u2014 menus","filters":{"lang":["fr","en"],"limit":3,"exact":false}}'
)
SEARCH_SIGNATURE = "EtQBCtEBAdHtim8xLwq0VY3kF0o2H1yJ5mT8p6rN4dC9bZ2aX7sQ1wE3="

TRANSCRIPTS = [
    Transcript(
        # CRLF framing; raw UTF-8 (2-, 3-, 4-byte characters), a raw U+2028 (which
        # str.splitlines() would take for a line break) and a JSON-escaped surrogate pair.
        # The alias asked for is not the model that served.
        "text",
        [
            meta("mCbOaOSwK-7Wz7IPxZjO8QU", requested="gemini-flash-latest"),
            TextDelta("Bonjour"),
            TextDelta(" \u00e0 tous \u2014 \u00e7a va\u2028?"),
            TextDelta(" \U0001f44b"),
            Usage(6, 9, 15),
            Finish("stop", "STOP"),
        ],
        requested_model="gemini-flash-latest",
    ),
    Transcript(
        # includeThoughts: thought summaries (thought: true) come as reasoning; each part's
        # thoughtSignature (the last, on an empty, signature-only part) as a Reasoning event.
        "reasoning",
        [
            meta("Xq0BafG2LNqUz7IP4NCSgAk", "gemini-2.5-pro"),
            ReasoningDelta("**Comparing decimals**\n\nThe user asks which is larger: 9.11 or 9.8."),
            ReasoningDelta(" Compare the tenths: 8 > 1, so 9.8 is larger."),
            TextDelta("9.8 is larger"),
            Reasoning("gemini", signature="CiIBVKhc7vB0kdLq2mW1YqZmM5A1hVxEwQ7rEo6nBf0xJj8yEmQ="),
            TextDelta(" than 9.11."),
            Reasoning("gemini", signature="CjwBVKhc7tKx3s0Hq1Zl9cO8wS2Y4NfU6rP1a0mX5bQ7dE2="),
            Usage(12, 91, 103, reasoning_tokens=84),
            Finish("stop", "STOP"),
        ],
        requested_model="gemini-2.5-pro",
    ),
    Transcript(
        # Three whole functionCall parts in one chunk, without ids: call_0, call_1, call_2.
        # STOP after function calls is "tool_calls". Only the first call has a
        # thoughtSignature (as the API sends parallel calls): it is that call's signature.
        "tool_calls_parallel",
        [
            meta("b4hLaZ3vBJqa1MkPvsbIqAw"),
            TextDelta("Let me check both cities."),
            ToolCallDelta(0, "call_0", "get_weather", '{"city":"Paris"}'),
            ToolCall(
                0,
                "call_0",
                "get_weather",
                '{"city":"Paris"}',
                "CiQBVKhc7hN3m2X0t9YkR4aQz1PpL8sV6uW2e5f7g0h1i2j3k4=",
            ),
            ToolCallDelta(1, "call_1", "get_weather", '{"city":"Tokyo"}'),
            ToolCall(1, "call_1", "get_weather", '{"city":"Tokyo"}'),
            ToolCallDelta(2, "call_2", "get_time", '{"timezone":"Asia/Tokyo"}'),
            ToolCall(2, "call_2", "get_time", '{"timezone":"Asia/Tokyo"}'),
            Usage(88, 41, 129),
            Finish("tool_calls", "STOP"),
        ],
    ),
    Transcript(
        # Calls with their own ids (the first with its thoughtSignature), nested and
        # non-ASCII arguments (kept as they are, key order too), and a call without args
        # ("{}"); two chunks, so two index counters.
        "tool_call_ids",
        [
            meta("kV5MaYm0D6-Bz7IP9p_Y0Ak", "gemini-3-flash-preview"),
            ToolCallDelta(0, "fc_9x3k2m1q", "search_docs", CALL_ARGS),
            ToolCall(0, "fc_9x3k2m1q", "search_docs", CALL_ARGS, SEARCH_SIGNATURE),
            ToolCallDelta(1, "fc_4b7n8p2r", "list_open_tabs", "{}"),
            ToolCall(1, "fc_4b7n8p2r", "list_open_tabs", "{}"),
            Usage(140, 248, 388, reasoning_tokens=212),
            Finish("tool_calls", "STOP"),
        ],
        requested_model="gemini-3-flash-preview",
    ),
    Transcript(
        # Usage on every chunk, growing; the last one is the final count. Output is the
        # answer plus the thinking (41 + 96); cached content is reported.
        "usage",
        [
            meta("uL1NaZe8Ha6N1MkPqeTfmQ4"),
            TextDelta("Summary of the contract:"),
            TextDelta(" the lessee pays monthly."),
            TextDelta(" Either party may end it with 30 days' notice."),
            Usage(2053, 137, 2190, cache_read_tokens=1024, reasoning_tokens=96),
            Finish("stop", "STOP"),
        ],
    ),
    Transcript(
        # LF framing and no usageMetadata anywhere: no Usage event (unknown is not zero).
        "no_usage",
        [
            meta("aW9OaZq4NuKb1MkP5r2Y8Ag", "gemini-2.5-flash-lite"),
            TextDelta("No"),
            TextDelta(" numbers."),
            Finish("stop", "STOP"),
        ],
        requested_model="gemini-2.5-flash-lite",
    ),
    Transcript(
        "finish_max_tokens",
        [
            meta("p0RPaYuWLd6F1MkPzuKXsQk"),
            TextDelta("Once upon a time, in a"),
            TextDelta(" land far"),
            Usage(10, 8, 18),
            Finish("length", "MAX_TOKENS"),
        ],
    ),
    Transcript(
        # The last candidate has no content, only the reason and its safety ratings.
        "finish_safety",
        [
            meta("c3RPaf2yA5aO1MkPg4-h0Ac"),
            TextDelta("Here is how"),
            Usage(14, 3, 17),
            Finish("content_filter", "SAFETY"),
        ],
    ),
    Transcript(
        # An empty text part and citation metadata with the reason.
        "finish_recitation",
        [
            meta("r2VQaZ7fEqCU1MkPkqWpuAE"),
            TextDelta("It was the best of times,"),
            Usage(11, 7, 18),
            Finish("content_filter", "RECITATION"),
        ],
    ),
    Transcript(
        # One chunk, no content: the output count is not reported, so it is unknown.
        "finish_language",
        [
            meta("bGFuZ3VhZ2UwMDFBQkNERUY"),
            Usage(19, None, 19),
            Finish("content_filter", "LANGUAGE"),
        ],
    ),
    Transcript(
        "finish_blocklist",
        [
            meta("YmxvY2tsaXN0MDFBQkNERUY"),
            TextDelta("The code word is"),
            Usage(9, 5, 14),
            Finish("content_filter", "BLOCKLIST"),
        ],
    ),
    Transcript(
        "finish_prohibited_content",
        [
            meta("cHJvaGliaXRlZDAxQUJDREU"),
            Usage(23, None, 23),
            Finish("content_filter", "PROHIBITED_CONTENT"),
        ],
    ),
    Transcript(
        "finish_spii",
        [
            meta("c3BpaTAwMDAwMUFCQ0RFRkc"),
            TextDelta("Her social security number is"),
            Usage(17, 6, 23),
            Finish("content_filter", "SPII"),
        ],
    ),
    Transcript(
        "finish_image_safety",
        [
            meta("aW1hZ2VzYWZldHkwMUFCQ0Q", "gemini-2.5-flash-image"),
            Usage(31, None, 31),
            Finish("content_filter", "IMAGE_SAFETY"),
        ],
        requested_model="gemini-2.5-flash-image",
    ),
    Transcript(
        # The model wrote a call that does not parse: no ToolCall, and the finish is an error.
        "finish_malformed_function_call",
        [
            meta("bWFsZm9ybWVkMDFBQkNERUY"),
            Usage(57, None, 57),
            Finish("error", "MALFORMED_FUNCTION_CALL"),
        ],
    ),
    Transcript(
        "finish_unexpected_tool_call",
        [
            meta("dW5leHBlY3RlZDAxQUJDREU"),
            Usage(44, None, 44),
            Finish("error", "UNEXPECTED_TOOL_CALL"),
        ],
    ),
    Transcript(
        "finish_other",
        [
            meta("b3RoZXIwMDAwMDFBQkNERUY"),
            TextDelta("Partial"),
            Usage(5, 1, 6),
            Finish("other", "OTHER"),
        ],
    ),
    Transcript(
        # The prompt itself was blocked: promptFeedback.blockReason and no candidates.
        "prompt_blocked",
        [
            meta("YmxvY2tlZDAwMUFCQ0RFRkc"),
            Usage(9, None, 9),
            Finish("content_filter", "PROHIBITED_CONTENT"),
        ],
    ),
    Transcript(
        # A comment, an unknown event type with non-JSON data, another with an id, unknown
        # response fields (createTime, modelStatus), part kinds without events (code, its
        # result, an image) and a candidate with index 1: only the text of candidate 0 counts.
        "unknown_event_types",
        [
            meta("dW5rbm93bjAwMUFCQ0RFRkc"),
            TextDelta("Computing"),
            TextDelta(": 45."),
            Usage(21, 30, 51),
            Finish("stop", "STOP"),
        ],
    ),
    Transcript(
        # The first chunk carries text but no modelVersion; the later ones name it: Metadata
        # (which cannot wait past content) has the requested model, Finish.model the served.
        "model_version_late",
        [
            meta("v2TOaK3fFqGz7M8PpLqB4Qs", "gemini-flash-lite-latest"),
            TextDelta("Hi"),
            TextDelta(" there."),
            Usage(4, 3, 7),
            Finish("stop", "STOP", model="gemini-2.5-flash-lite"),
        ],
        requested_model="gemini-flash-lite-latest",
    ),
]

FAILING_TRANSCRIPTS = [
    Transcript(
        # Gemini's in-stream error object after two text chunks.
        "error_mid_stream",
        [
            meta("ZXJyb3IwMDAwMUFCQ0RFRkc", "gemini-2.5-pro"),
            TextDelta("The answer"),
            TextDelta(" is"),
        ],
        requested_model="gemini-2.5-pro",
        error=ServerError,
    ),
    Transcript(
        "error_overloaded",
        [meta("b3ZlcmxvYWRlZDAxQUJDREU", "gemini-2.5-pro"), TextDelta("Let me")],
        requested_model="gemini-2.5-pro",
        error=OverloadedError,
    ),
    Transcript(
        # The body ends cleanly between events, but no chunk ever carried a finishReason.
        "truncated",
        [meta("dHJ1bmNhdGVkMDFBQkNERUY"), TextDelta("Once upon"), TextDelta(" a time")],
        error=ProtocolError,
    ),
    Transcript(
        # The body stops in the middle of a data line: the cut event is dropped.
        "truncated_mid_event",
        [meta("Y3V0MDAwMDAwMUFCQ0RFRkc"), TextDelta("Once upon")],
        error=ProtocolError,
    ),
    Transcript(
        # A data line that is not JSON after "Hello"; the valid chunk after it never counts.
        "invalid_json",
        [meta("aW52YWxpZDAwMUFCQ0RFRkc"), TextDelta("Hello")],
        error=ProtocolError,
    ),
]


def test_gemini_transcripts_use_gemini_framing() -> None:
    """The recordings are CRLF-framed, as the Gemini API sends them, but for the LF one."""
    for transcript in TRANSCRIPTS + FAILING_TRANSCRIPTS:
        wire = transcript.wire
        if transcript.name == "no_usage":
            assert b"\r" not in wire
        else:
            assert b"\r\n\r\n" in wire, transcript.name
            assert wire.count(b"\n") == wire.count(b"\r\n"), transcript.name


def _failure(name: str) -> Error:
    transcript = next(t for t in FAILING_TRANSCRIPTS if t.name == name)
    return feed_until_failure(transcript.decoder(), [transcript.wire])[1]


def test_gemini_decoder_reports_in_stream_internal_error() -> None:
    error = _failure("error_mid_stream")
    assert isinstance(error, ServerError)
    assert error.retryable
    assert error.status_code == 500
    assert error.code == "INTERNAL"
    assert error.message.startswith("An internal error has occurred.")
    assert str(error).startswith("gemini: ")


def test_gemini_decoder_reports_in_stream_overload() -> None:
    error = _failure("error_overloaded")
    assert isinstance(error, OverloadedError)
    assert error.retryable
    assert error.status_code == 503
    assert error.code == "UNAVAILABLE"
    assert error.message == "The model is overloaded. Please try again later."


# The failing transcripts cut before the terminal event, and what end() says of each
# (tests/wire/test_decoders.py).
TRUNCATED = {
    "truncated": "before a finishReason: the response is truncated",
    "truncated_mid_event": "in the middle of an event: the response is truncated",
}


def test_gemini_decoder_excerpts_invalid_json_line() -> None:
    error = _failure("invalid_json")
    assert isinstance(error, ProtocolError)
    assert "wor" in error.excerpt


# -- the end of the stream, metadata and smaller rules -------------------------------------


def test_gemini_decoder_is_done_only_after_end() -> None:
    """A finishReason is not the end: the body is complete only when it ends after one."""
    transcript = TRANSCRIPTS[0]
    d = transcript.decoder()
    events = d.feed(transcript.wire)
    assert not is_done(d)
    assert [type(e) for e in events] == [Metadata, TextDelta, TextDelta, TextDelta]
    assert d.end() == [Usage(6, 9, 15), Finish("stop", "STOP")]
    assert is_done(d)
    assert d.end() == []
    assert d.feed(sse({"candidates": [{"content": {"parts": [{"text": "late"}]}}]})) == []


def test_gemini_decoder_treats_a_cut_after_the_finish_as_truncation() -> None:
    """A finishReason followed by half an event: the body was still cut short."""
    wire = (DATA / "text.sse").read_bytes() + b'data: {"candidates": [{"con'
    events, error = feed_until_failure(decoder("gemini-flash-latest"), [wire])
    assert isinstance(error, ProtocolError)
    assert "in the middle of an event" in error.message
    assert Finish not in [type(e) for e in events]


def test_gemini_decoder_takes_chunks_after_the_finish_until_eof() -> None:
    """Nothing after the finish chunk is lost: a later usage-only chunk is the final count."""
    wire = sse(
        {"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]}
    ) + sse({"usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 1}})
    assert feed_all(decoder(), [wire]) == [
        Metadata(provider="gemini", model="m", requested_model="m"),
        TextDelta("Hi"),
        Usage(2, 1, None),
        Finish("stop", "STOP"),
    ]


def test_gemini_decoder_sends_requested_model_when_no_chunk_names_one() -> None:
    wire = sse(
        {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}], "responseId": "r-1"}
    ) + sse({"candidates": [{"finishReason": "STOP"}]})
    assert feed_all(decoder("my-model"), [wire]) == [
        Metadata(
            provider="gemini", model="my-model", requested_model="my-model", response_id="r-1"
        ),
        TextDelta("Hi"),
        Finish("stop", "STOP"),
    ]


def test_gemini_decoder_sends_metadata_at_the_end_when_nothing_came_before() -> None:
    wire = sse({"candidates": [{"finishReason": "OTHER"}]})
    assert feed_all(decoder(), [wire]) == [
        Metadata(provider="gemini", model="m", requested_model="m"),
        Finish("other", "OTHER"),
    ]


def test_gemini_decoder_sends_metadata_once_at_the_first_chunk() -> None:
    """Every chunk names a model: the first one is the served model, and Metadata goes out
    with it even when it carries no content."""
    first = sse({"modelVersion": "gemini-x", "responseId": "r-1"})
    second = sse(
        {"modelVersion": "gemini-y", "responseId": "r-2", "candidates": [{"finishReason": "STOP"}]}
    )
    d = decoder()
    assert d.feed(first) == [
        Metadata(provider="gemini", model="gemini-x", requested_model="m", response_id="r-1")
    ]
    assert d.feed(second) == []
    assert d.end() == [Finish("stop", "STOP")]


def test_gemini_decoder_passes_extra_to_metadata_without_mutating_it() -> None:
    extra = {"x-request-id": "req-1"}
    d = GeminiDecoder(provider="gemini", requested_model="m", extra=extra)
    events = feed_all(d, [sse({"modelVersion": "v", "candidates": [{"finishReason": "STOP"}]})])
    assert events[0] == Metadata(provider="gemini", model="v", requested_model="m", extra=extra)
    assert extra == {"x-request-id": "req-1"}


def test_gemini_decoder_follows_only_the_candidate_with_index_zero() -> None:
    wire = sse(
        {
            "candidates": [
                {"content": {"parts": [{"text": "B"}]}, "index": 1},
                {"content": {"parts": [{"text": "A"}]}},
            ]
        }
    ) + sse({"candidates": [{"index": 1, "finishReason": "MAX_TOKENS"}, {"finishReason": "STOP"}]})
    assert feed_all(decoder(), [wire]) == [
        Metadata(provider="gemini", model="m", requested_model="m"),
        TextDelta("A"),
        Finish("stop", "STOP"),
    ]


def test_gemini_decoder_numbers_calls_across_chunks_and_keeps_given_ids() -> None:
    wire = sse({"candidates": [{"content": {"parts": [{"functionCall": {"name": "a"}}]}}]}) + sse(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [{"functionCall": {"name": "b", "id": "given", "args": {}}}]
                    },
                    "finishReason": "MAX_TOKENS",
                }
            ]
        }
    )
    assert feed_all(decoder(), [wire]) == [
        Metadata(provider="gemini", model="m", requested_model="m"),
        ToolCallDelta(0, "call_0", "a", "{}"),
        ToolCall(0, "call_0", "a", "{}"),
        ToolCallDelta(1, "given", "b", "{}"),
        ToolCall(1, "given", "b", "{}"),
        Finish("length", "MAX_TOKENS"),
    ]


# Every FinishReason value of the API reference, and what it must become.
FINISH_REASONS: dict[str, FinishReason] = {
    "FINISH_REASON_UNSPECIFIED": "other",
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "LANGUAGE": "content_filter",
    "OTHER": "other",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "IMAGE_OTHER": "other",
    "NO_IMAGE": "other",
    "UNEXPECTED_TOOL_CALL": "error",
    "TOO_MANY_TOOL_CALLS": "other",
    "MISSING_THOUGHT_SIGNATURE": "other",
    "SOMETHING_NEW": "other",
}


@pytest.mark.parametrize(("raw", "reason"), FINISH_REASONS.items())
def test_gemini_decoder_normalises_every_finish_reason(raw: str, reason: FinishReason) -> None:
    wire = sse({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": raw}]})
    assert feed_all(decoder(), [wire])[-1] == Finish(reason, raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("STOP", "tool_calls"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter")],
)
def test_gemini_decoder_stop_after_function_calls_is_tool_calls(
    raw: str, reason: FinishReason
) -> None:
    part = {"functionCall": {"name": "f", "args": {"x": 1}}}
    wire = sse({"candidates": [{"content": {"parts": [part]}, "finishReason": raw}]})
    assert feed_all(decoder(), [wire])[-1] == Finish(reason, raw)


@pytest.mark.parametrize("reason", ["SAFETY", "OTHER", "BLOCKLIST", "IMAGE_SAFETY"])
def test_gemini_decoder_finishes_a_blocked_prompt_as_content_filter(reason: str) -> None:
    wire = sse({"promptFeedback": {"blockReason": reason}, "modelVersion": "v"})
    assert feed_all(decoder(), [wire]) == [
        Metadata(provider="gemini", model="v", requested_model="m"),
        Finish("content_filter", reason),
    ]


@pytest.mark.parametrize(
    ("metadata", "usage"),
    [
        ({}, Usage(None, None, None)),
        ({"promptTokenCount": 4, "totalTokenCount": 4}, Usage(4, None, 4)),
        ({"candidatesTokenCount": 3}, Usage(None, 3, None)),
        ({"thoughtsTokenCount": 5}, Usage(None, 5, None, reasoning_tokens=5)),
        (
            {"candidatesTokenCount": 3, "thoughtsTokenCount": 5, "cachedContentTokenCount": 0},
            Usage(None, 8, None, cache_read_tokens=0, reasoning_tokens=5),
        ),
        ({"promptTokenCount": "4", "candidatesTokenCount": True}, Usage(None, None, None)),
    ],
)
def test_gemini_decoder_reads_usage_without_guessing(
    metadata: dict[str, Any], usage: Usage
) -> None:
    wire = sse({"usageMetadata": metadata, "candidates": [{"finishReason": "STOP"}]})
    events = feed_all(decoder(), [wire])
    assert [e for e in events if isinstance(e, Usage)] == [usage]


def test_gemini_decoder_raises_provider_error_for_error_event_type() -> None:
    wire = sse({"candidates": [{"content": {"parts": [{"text": "a"}]}}]}) + (
        b'event: error\r\ndata: {"message": "backend went away"}\r\n\r\n'
    )
    events, error = feed_until_failure(decoder(), [wire])
    assert type(error) is ProviderError
    assert error.message == "backend went away"
    assert events == [Metadata(provider="gemini", model="m", requested_model="m"), TextDelta("a")]


def test_gemini_decoder_error_before_any_chunk_has_no_events() -> None:
    wire = sse(
        {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}}
    )
    events, error = feed_until_failure(decoder(), [wire])
    assert isinstance(error, RateLimitError)
    assert error.status_code == 429
    assert events == []


# -- bounded buffer --------------------------------------------------------------------------

HI_EVENT = sse({"candidates": [{"content": {"parts": [{"text": "hi"}]}}], "modelVersion": "m"})


@pytest.mark.parametrize("one_byte", [False, True], ids=["whole", "one-byte"])
def test_gemini_decoder_rejects_event_over_max_event_bytes(one_byte: bool) -> None:
    wire = b"data: " + b"x" * 500 + b"\r\n\r\n"
    d = GeminiDecoder(provider="gemini", requested_model="m", max_event_bytes=256)
    with pytest.raises(ProtocolError) as info:
        feed_all(d, one_byte_chunks(wire) if one_byte else [wire])
    assert info.value.provider == "gemini"


@pytest.mark.parametrize(
    "oversized",
    [b"data: " + b"x" * 500 + b"\r\n\r\n", b"data: " + b"x" * 500],
    ids=["terminated", "unterminated"],
)
def test_gemini_decoder_keeps_events_before_an_oversized_event(oversized: bytes) -> None:
    expected = [Metadata(provider="gemini", model="m", requested_model="m"), TextDelta("hi")]
    for chunks in ([HI_EVENT, oversized], [HI_EVENT + oversized]):
        d = GeminiDecoder(provider="gemini", requested_model="m", max_event_bytes=256)
        events, error = feed_until_failure(d, chunks)
        assert isinstance(error, ProtocolError)
        assert events == expected, f"chunks of sizes {[len(c) for c in chunks]}"


# -- garbage in: only eventide errors out ----------------------------------------------------


# Pieces of this API's stream, for garbage that looks like it (tests/wire/test_decoders.py).
SPRINKLES = [
    b"data: ",
    b"data:",
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b"{",
    b"}",
    b'"',
    b"[]",
    b'{"candidates": [{"content": {"parts": [{"text": "x"}]}}]}',
    b'{"candidates": [{"finishReason": "STOP"}]}',
    b'"modelVersion": "m"',
    b'"functionCall": {"name": "f"',
    b'"thought": true',
    b": keep-alive\r\n\r\n",
    b"event: ping\r\n",
]


def test_gemini_decoder_rejects_deeply_nested_json_as_protocol_error() -> None:
    """The JSON parser's recursion limit is a ProtocolError, not a RecursionError."""
    wire = b"data: " + b"[" * 100_000 + b"\r\n\r\n"
    with pytest.raises(ProtocolError, match="not valid JSON"):
        feed_all(decoder(), [wire])


_CALL = st.fixed_dictionaries(
    {},
    optional={
        "name": or_junk(st.text(max_size=5)),
        "args": or_junk(st.dictionaries(st.text(max_size=3), json_values, max_size=2)),
        "id": or_junk(st.text(max_size=5)),
    },
)
_PART = st.fixed_dictionaries(
    {},
    optional={
        "text": or_junk(st.text(max_size=5)),
        "thought": or_junk(st.booleans()),
        "functionCall": or_junk(_CALL),
        "thoughtSignature": st.text(max_size=4),
    },
)
_CANDIDATE = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.integers(0, 2)),
        "content": or_junk(
            st.fixed_dictionaries(
                {}, optional={"parts": or_junk(st.lists(or_junk(_PART), max_size=3))}
            )
        ),
        "finishReason": or_junk(st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", ""])),
    },
)
_USAGE = st.fixed_dictionaries(
    {},
    optional={
        name: or_junk(st.integers(0, 9))
        for name in (
            "promptTokenCount",
            "candidatesTokenCount",
            "thoughtsTokenCount",
            "cachedContentTokenCount",
            "totalTokenCount",
        )
    },
)
# Response-shaped objects with wrong types anywhere; never an "error" key, so no ProviderError.
_RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "candidates": or_junk(st.lists(or_junk(_CANDIDATE), max_size=3)),
        "promptFeedback": or_junk(
            st.fixed_dictionaries({}, optional={"blockReason": or_junk(st.just("SAFETY"))})
        ),
        "usageMetadata": or_junk(_USAGE),
        "modelVersion": or_junk(st.text(max_size=5)),
        "responseId": or_junk(st.text(max_size=5)),
    },
)


@given(chunks=st.lists(or_junk(_RESPONSE), max_size=5), one_byte=st.booleans())
@example(chunks=[{"candidates": "abc"}], one_byte=False)
@example(chunks=[{"candidates": {"0": {}}}], one_byte=False)
@example(chunks=[{"candidates": [7]}], one_byte=False)
@example(chunks=[{"candidates": [{"content": "text"}]}], one_byte=False)
@example(chunks=[{"candidates": [{"content": {"parts": 5}}]}], one_byte=False)
@example(chunks=[{"candidates": [{"content": {"parts": [{"functionCall": "f"}]}}]}], one_byte=False)
@example(
    chunks=[
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": [1]}}]}}]}
    ],
    one_byte=False,
)
@example(chunks=[{"candidates": [{"finishReason": 3}]}], one_byte=False)
@example(chunks=[{"promptFeedback": {"blockReason": ["SAFETY"]}}], one_byte=False)
@example(chunks=[{"usageMetadata": [1]}], one_byte=False)
def test_gemini_decoder_raises_only_protocol_error_on_misshapen_chunks(
    chunks: list[Any], one_byte: bool
) -> None:
    """Valid JSON of the wrong shape (a string where a list belongs, ...) is skipped or a
    ProtocolError; never an AttributeError, TypeError or KeyError."""
    wire = b"".join(b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n" for chunk in chunks)
    assert_keeps_contract(
        decode_garbage(_fuzzed(), one_byte_chunks(wire) if one_byte else [wire]), complete=None
    )


@given(
    chunks=st.lists(st.one_of(_RESPONSE, st.fixed_dictionaries({"error": json_values})), max_size=4)
)
def test_gemini_decoder_raises_only_eventide_errors_on_error_payloads(chunks: list[Any]) -> None:
    wire = b"".join(b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n" for chunk in chunks)
    assert_keeps_contract(decode_garbage(_fuzzed(), [wire], allowed=Error), complete=None)


# -- round trip through a test-only encoder --------------------------------------------------


@attrs.frozen
class Say:
    text: str
    thought: bool = False


@attrs.frozen
class Call:
    name: str
    args: dict[str, Any]
    id: str | None = None


Step = Say | Call

_ALNUM = string.ascii_letters + string.digits
_ARG_VALUES = st.none() | st.booleans() | st.integers() | st.text(max_size=8)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[list[list[Step]], Usage | None, str]:
    """What the model said, chunk by chunk, its final usage and its finish reason."""
    step = st.one_of(
        st.builds(Say, st.text(min_size=1, max_size=12), st.booleans()),
        st.builds(
            Call,
            st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True),
            st.dictionaries(st.text(max_size=5), _ARG_VALUES, max_size=3),
            st.none() | st.text(_ALNUM, min_size=1, max_size=10),
        ),
    )
    chunks = draw(st.lists(st.lists(step, max_size=3), min_size=1, max_size=5))
    counts = st.integers(0, 10**7)
    usage = draw(
        st.none()
        | st.builds(
            Usage,
            input_tokens=counts,
            output_tokens=counts,
            total_tokens=counts,
            cache_read_tokens=st.none() | counts,
            reasoning_tokens=st.none() | counts,
        )
    )
    finish = draw(st.sampled_from(sorted(FINISH_REASONS)))
    return chunks, usage, finish


def _usage_metadata(usage: Usage) -> dict[str, Any]:
    assert usage.output_tokens is not None
    thoughts = usage.reasoning_tokens
    if thoughts is not None and thoughts > usage.output_tokens:
        thoughts = usage.output_tokens
    metadata = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens - (thoughts or 0),
        "totalTokenCount": usage.total_tokens,
    }
    if usage.cache_read_tokens is not None:
        metadata["cachedContentTokenCount"] = usage.cache_read_tokens
    if thoughts is not None:
        metadata["thoughtsTokenCount"] = thoughts
    return metadata


def _part(step: Step) -> dict[str, Any]:
    if isinstance(step, Say):
        return {"text": step.text, "thought": True} if step.thought else {"text": step.text}
    call: dict[str, Any] = {"name": step.name, "args": step.args}
    if step.id is not None:
        call["id"] = step.id
    return {"functionCall": call}


def encode(
    chunks: list[list[Step]],
    usage: Usage | None,
    finish: str,
    *,
    newline: str,
    ascii_only: bool,
    keepalive: bool,
    early_usage: bool,
) -> bytes:
    """A Gemini body for the script: one event per chunk, the finish and usage on the last."""
    out: list[str] = []
    for number, steps in enumerate(chunks):
        candidate: dict[str, Any] = {
            "content": {"parts": [_part(s) for s in steps], "role": "model"}
        }
        last = number == len(chunks) - 1
        if last:
            candidate["finishReason"] = finish
        response: dict[str, Any] = {"candidates": [candidate]}
        if usage is not None and (last or early_usage):
            metadata = _usage_metadata(usage)
            if not last:  # an early, partial count that the final one replaces
                metadata = {"promptTokenCount": usage.input_tokens, "totalTokenCount": 1}
            response["usageMetadata"] = metadata
        response["modelVersion"] = "gemini-2.5-flash-001"
        response["responseId"] = "resp-42"
        if keepalive:
            out.append(f": keep-alive{newline}{newline}")
        out.append(f"data: {json.dumps(response, ensure_ascii=ascii_only)}{newline}{newline}")
    return "".join(out).encode()


def expected_events(chunks: list[list[Step]], usage: Usage | None, finish: str) -> list[Event]:
    events: list[Event] = [
        Metadata(
            provider="gemini",
            model="gemini-2.5-flash-001",
            requested_model=FLASH,
            response_id="resp-42",
        )
    ]
    calls = 0
    for steps in chunks:
        for step in steps:
            if isinstance(step, Say):
                events.append(ReasoningDelta(step.text) if step.thought else TextDelta(step.text))
            else:
                call_id = step.id or f"call_{calls}"
                arguments = json.dumps(step.args, ensure_ascii=False, separators=(",", ":"))
                events.append(ToolCallDelta(calls, call_id, step.name, arguments))
                events.append(ToolCall(calls, call_id, step.name, arguments))
                calls += 1
    if usage is not None:
        thoughts = usage.reasoning_tokens
        if thoughts is not None and usage.output_tokens is not None:
            thoughts = min(thoughts, usage.output_tokens)
        events.append(attrs.evolve(usage, reasoning_tokens=thoughts))
    reason = FINISH_REASONS[finish]
    events.append(Finish("tool_calls" if reason == "stop" and calls else reason, finish))
    return events


@given(data=st.data())
def test_gemini_decoder_round_trips_encoded_streams(data: st.DataObject) -> None:
    """Whatever the model said, and however the server framed and the network cut it,
    decoding gives back exactly what was said."""
    chunks, usage, finish = data.draw(scripts(), label="script")
    wire = encode(
        chunks,
        usage,
        finish,
        newline=data.draw(st.sampled_from(["\r\n", "\n"]), label="newline"),
        ascii_only=data.draw(st.booleans(), label="ascii"),
        keepalive=data.draw(st.booleans(), label="keepalive"),
        early_usage=data.draw(st.booleans(), label="early usage"),
    )
    if data.draw(st.booleans(), label="one byte at a time"):
        pieces = one_byte_chunks(wire)
    else:
        pieces = chunked(wire, data.draw(st.lists(st.integers(0, len(wire)), max_size=30)))
    d = GeminiDecoder(provider="gemini", requested_model=FLASH)
    assert feed_all(d, pieces) == expected_events(chunks, usage, finish)
    assert d.done


# -- build_gemini_body -----------------------------------------------------------------------


def make_request(**fields: Any) -> Request:
    """`Request(**fields)`, untyped: mypy's attrs plugin cannot type the tuple converters of
    `Request.tools` and `Request.stop` (see tests/wire/test_openai_chat.py)."""
    return Request(**fields)


WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
    "required": ["city"],
}
SAFETY_SETTINGS = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]


def full_request(parameters: Mapping[str, Any], extra: Mapping[str, Any]) -> Request:
    return make_request(
        messages=[
            Message.system("You are terse."),
            Message.user("Weather in Paris and Tokyo?"),
            Message.assistant(
                tool_calls=[
                    ToolCall(0, "call_0", "get_weather", '{"city": "Paris"}'),
                    ToolCall(1, "call_1", "get_weather", '{"city": "Tokyo"}'),
                ]
            ),
            Message.tool("call_0", '{"temp_c": 18}'),
            Message.tool("call_1", "sunny, 24 \u00b0C"),
            Message.assistant("Paris 18 \u00b0C; Tokyo sunny, 24 \u00b0C."),
            Message.system("Answer in French."),
            Message.user(
                [
                    TextPart("And is this sky blue?"),
                    ImagePart(url="https://example.org/sky.png"),
                    ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
                    ImagePart(url="gs://bucket/sky.jpg", media_type="image/jpeg"),
                ]
            ),
        ],
        model="gemini-2.5-flash",
        tools=[
            ToolSpec("get_weather", "Current weather for a city.", parameters),
            ToolSpec("list_open_tabs"),
        ],
        tool_choice="get_weather",
        temperature=0.7,
        max_tokens=256,
        top_p=0.9,
        stop=["\n\n"],
        seed=7,
        extra=extra,
    )


FULL_EXTRA = {
    "generationConfig": {"temperature": 0.0, "thinkingConfig": {"includeThoughts": True}},
    "safetySettings": SAFETY_SETTINGS,
}


def test_build_gemini_body_writes_every_part_of_a_request() -> None:
    """System prompts, multi-turn history, parallel tool calls and their results (one user
    turn, names found by call id, a non-object result wrapped), image URL and base64 parts,
    tools, a named tool choice and sampling options; `extra` is merged last."""
    body = build_gemini_body(full_request(WEATHER_PARAMETERS, FULL_EXTRA), model=FLASH)
    assert body == {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris and Tokyo?"}]},
            {
                "role": "model",
                "parts": [
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                        "thoughtSignature": "skip_thought_signature_validator",
                    },
                    {"functionCall": {"name": "get_weather", "args": {"city": "Tokyo"}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"temp_c": 18}}},
                    {
                        "functionResponse": {
                            "name": "get_weather",
                            "response": {"result": "sunny, 24 \u00b0C"},
                        }
                    },
                ],
            },
            {"role": "model", "parts": [{"text": "Paris 18 \u00b0C; Tokyo sunny, 24 \u00b0C."}]},
            {
                "role": "user",
                "parts": [
                    {"text": "And is this sky blue?"},
                    {"fileData": {"fileUri": "https://example.org/sky.png"}},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/sky.jpg"}},
                ],
            },
        ],
        "systemInstruction": {"parts": [{"text": "You are terse."}, {"text": "Answer in French."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Current weather for a city.",
                        "parameters": WEATHER_PARAMETERS,
                    },
                    {"name": "list_open_tabs"},
                ]
            }
        ],
        "toolConfig": {
            "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
        },
        "generationConfig": {
            "temperature": 0.0,
            "maxOutputTokens": 256,
            "topP": 0.9,
            "stopSequences": ["\n\n"],
            "seed": 7,
            "thinkingConfig": {"includeThoughts": True},
        },
        "safetySettings": SAFETY_SETTINGS,
    }


def test_build_gemini_body_omits_unset_options() -> None:
    body = build_gemini_body(Request(messages=[Message.user("Hi")]), model=FLASH)
    assert body == {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}


def test_build_gemini_body_keeps_assistant_text_before_its_calls() -> None:
    message = Message.assistant("Let me check.", tool_calls=[ToolCall(0, "c9", "f", "")])
    body = build_gemini_body(Request(messages=[Message.user("q"), message]), model=FLASH)
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Let me check."},
            {
                "functionCall": {"name": "f", "args": {}},
                "thoughtSignature": "skip_thought_signature_validator",
            },
        ],
    }


def test_build_gemini_body_finds_each_result_name_by_call_id() -> None:
    """Results may come in any order; each is named after its own call, and a user turn
    after them starts a new content."""
    request = Request(
        messages=[
            Message.user("q"),
            Message.assistant(
                tool_calls=[ToolCall(0, "a", "first", "{}"), ToolCall(1, "b", "second", "{}")]
            ),
            Message.tool("b", "2"),
            Message.tool("a", "[1]"),
            Message.user("thanks"),
        ]
    )
    contents = build_gemini_body(request, model=FLASH)["contents"]
    assert contents[2:] == [
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "second", "response": {"result": "2"}}},
                {"functionResponse": {"name": "first", "response": {"result": "[1]"}}},
            ],
        },
        {"role": "user", "parts": [{"text": "thanks"}]},
    ]


def test_build_gemini_body_names_a_result_without_its_call_from_the_message() -> None:
    request = Request(messages=[Message.user("q"), Message.tool("gone", "{}", name="lookup")])
    assert build_gemini_body(request, model=FLASH)["contents"][1] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "lookup", "response": {}}}],
    }


def test_build_gemini_body_rejects_a_result_that_answers_no_call() -> None:
    request = Request(messages=[Message.user("q"), Message.tool("call_404", "ok")])
    with pytest.raises(ValueError, match="call_404"):
        build_gemini_body(request, model=FLASH)


@pytest.mark.parametrize("arguments", ["[1, 2]", '"text"', "{not json"])
def test_build_gemini_body_rejects_arguments_that_are_not_an_object(arguments: str) -> None:
    message = Message.assistant(tool_calls=[ToolCall(0, "c1", "f", arguments)])
    with pytest.raises(ValueError, match="JSON object"):
        build_gemini_body(Request(messages=[Message.user("q"), message]), model=FLASH)


def test_build_gemini_body_sends_a_data_url_image_inline() -> None:
    request = Request(messages=[Message.user([ImagePart(url="data:image/webp;base64,UklGRg==")])])
    assert build_gemini_body(request, model=FLASH)["contents"][0]["parts"] == [
        {"inlineData": {"mimeType": "image/webp", "data": "UklGRg=="}}
    ]


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("lookup", {"mode": "ANY", "allowedFunctionNames": ["lookup"]}),
    ],
)
def test_build_gemini_body_maps_tool_choice(choice: str, config: dict[str, Any]) -> None:
    request = make_request(
        messages=[Message.user("q")], tools=[ToolSpec("lookup")], tool_choice=choice
    )
    assert build_gemini_body(request, model=FLASH)["toolConfig"] == {
        "functionCallingConfig": config
    }


def test_build_gemini_body_lets_extra_replace_what_is_not_an_object() -> None:
    request = make_request(
        messages=[Message.user("q")], temperature=0.5, extra={"generationConfig": None, "x": [1]}
    )
    body = build_gemini_body(request, model=FLASH)
    assert body["generationConfig"] is None
    assert body["x"] == [1]


def test_build_gemini_body_does_not_mutate_the_request() -> None:
    parameters = copy.deepcopy(WEATHER_PARAMETERS)
    extra = copy.deepcopy(FULL_EXTRA)
    request = full_request(parameters, extra)
    snapshot = copy.deepcopy(request)

    first = build_gemini_body(request, model=FLASH)
    second = build_gemini_body(request, model=FLASH)

    assert parameters == WEATHER_PARAMETERS
    assert extra == FULL_EXTRA
    assert request == snapshot
    assert first == second
    # The body is the caller's to change: it shares nothing with the request.
    first["contents"].append({"role": "user", "parts": [{"text": "more"}]})
    first["generationConfig"]["stopSequences"].append("END")
    first["generationConfig"]["thinkingConfig"]["includeThoughts"] = False
    first["tools"][0]["functionDeclarations"][0]["parameters"]["required"].append("unit")
    first["safetySettings"][0]["threshold"] = "BLOCK_NONE"
    assert request == snapshot
    assert request.tools[0].parameters == WEATHER_PARAMETERS
    assert build_gemini_body(request, model=FLASH) == second


def test_build_gemini_body_is_json_serialisable() -> None:
    body = build_gemini_body(full_request(WEATHER_PARAMETERS, FULL_EXTRA), model=FLASH)
    assert json.loads(json.dumps(body)) == body


# -- gemini_error ----------------------------------------------------------------------------


def _status(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return {"error": error}


RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
QUOTA_FAILURE = {
    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
    "violations": [
        {
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "quotaValue": "10",
        }
    ],
}
API_KEY_INVALID = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
    "metadata": {"service": "generativelanguage.googleapis.com"},
}


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (
            400,
            _status(400, "INVALID_ARGUMENT", 'Invalid JSON payload received. Unknown name "foo".'),
            BadRequestError,
        ),
        (
            400,
            _status(400, "FAILED_PRECONDITION", "User location is not supported for the API use."),
            BadRequestError,
        ),
        (
            400,
            _status(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                API_KEY_INVALID,
            ),
            AuthenticationError,
        ),
        (
            401,
            _status(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
            AuthenticationError,
        ),
        (
            403,
            _status(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."),
            PermissionDeniedError,
        ),
        (
            404,
            _status(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta."),
            NotFoundError,
        ),
        (429, _status(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted."), RateLimitError),
        (500, _status(500, "INTERNAL", "An internal error has occurred."), ServerError),
        (
            503,
            _status(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
            OverloadedError,
        ),
        (504, _status(504, "DEADLINE_EXCEEDED", "The request timed out."), ServerError),
    ],
)
def test_gemini_error_maps_status_to_error_class(
    status: int, payload: dict[str, Any], cls: type[ProviderError]
) -> None:
    raw = json.dumps(payload, indent=2)
    error = gemini_error(payload, status_code=status, raw=raw)
    assert type(error) is cls
    assert error.status_code == status
    assert error.code == payload["error"]["status"]
    assert error.message == f"HTTP {status}: {payload['error']['message']}"
    assert error.retryable is cls.retryable
    assert error.retryable is (cls in (RateLimitError, OverloadedError, ServerError))
    assert "\n" not in error.body


def test_gemini_error_reads_retry_delay_from_retry_info() -> None:
    payload = _status(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        QUOTA_FAILURE,
        {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
        RETRY_INFO,
    )
    error = gemini_error(payload, status_code=429, raw=json.dumps(payload))
    assert type(error) is RateLimitError
    assert error.retryable
    assert error.retry_after == 37.0
    assert error.code == "RESOURCE_EXHAUSTED"


def test_gemini_error_prefers_the_retry_after_header() -> None:
    payload = _status(429, "RESOURCE_EXHAUSTED", "slow down", RETRY_INFO)
    assert gemini_error(payload, status_code=429, retry_after=5.0).retry_after == 5.0


@pytest.mark.parametrize(
    ("delay", "seconds"),
    [("37s", 37.0), ("1.500s", 1.5), ("0s", 0.0), ("37", None), ("-1s", None), (37, None)],
)
def test_gemini_error_parses_retry_delay_durations(delay: Any, seconds: float | None) -> None:
    detail = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}
    payload = _status(429, "RESOURCE_EXHAUSTED", "slow down", detail)
    assert gemini_error(payload, status_code=429).retry_after == seconds


def test_gemini_error_reads_the_array_form_of_an_error_body() -> None:
    payload = [_status(404, "NOT_FOUND", "models/x is not found.")]
    error = gemini_error(payload, status_code=404)
    assert type(error) is NotFoundError
    assert error.message == "HTTP 404: models/x is not found."


def test_gemini_error_uses_the_payload_code_as_status_in_a_stream() -> None:
    error = gemini_error(_status(429, "RESOURCE_EXHAUSTED", "Quota exceeded."))
    assert type(error) is RateLimitError
    assert error.status_code == 429
    assert error.message == "Quota exceeded."
    unnamed = gemini_error({"error": {"code": 502, "message": "Bad gateway"}})
    assert type(unnamed) is ServerError
    assert unnamed.status_code == 502


def test_gemini_error_reads_html_body_without_tag_noise() -> None:
    raw = (
        "<html><head><title>502 Bad Gateway</title></head>\r\n"
        "<body><h1>502 Bad Gateway</h1></body></html>"
    )
    error = gemini_error(None, status_code=502, raw=raw)
    assert type(error) is ServerError
    assert error.message == "HTTP 502: 502 Bad Gateway"
    assert error.code is None


def test_gemini_error_without_any_body_still_has_a_message() -> None:
    error = gemini_error(None, status_code=500, raw="")
    assert type(error) is ServerError
    assert error.message == "HTTP 500: no error message"


def _fuzzed() -> GeminiDecoder:
    return GeminiDecoder(provider="fuzz", requested_model="m")
