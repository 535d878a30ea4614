"""Tests for `eventide.wire._anthropic`: the Anthropic Messages stream decoder, the request
body builder and the error mapping.

The transcripts under tests/data/anthropic/ are byte-exact event streams in the shape of the
Anthropic API reference, "Streaming Messages" (docs.anthropic.com/en/api/messages-streaming,
read 2026-12) and the official SDK's stream event types: ``event:`` lines naming each event,
compact JSON data, ``{"type": "ping"}`` keep-alives. Every expected event list below is written
out by hand; the decoder must give exactly that list whatever the chunk boundaries are. A
test-only encoder (below) drives the round-trip property, and garbage input may only ever
raise `ProtocolError`.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from benchmarks import bench_anthropic_tools
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
from eventide.wire._anthropic import (
    DEFAULT_MAX_TOKENS,
    AnthropicDecoder,
    anthropic_error,
    build_anthropic_body,
)
from tests.conformance.cases import ANTHROPIC
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

DATA = Path(__file__).resolve().parents[1] / "data" / "anthropic"


# -- helpers -------------------------------------------------------------------------------


def decoder(requested_model: str = "claude-sonnet-4-5", **options: Any) -> AnthropicDecoder:
    return AnthropicDecoder(provider="anthropic", requested_model=requested_model, **options)


def sse(*events: Mapping[str, Any]) -> bytes:
    """Events as the API frames them: ``event: <type>`` and one compact ``data:`` line."""
    return b"".join(
        f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
        for event in events
    )


def message_start(
    model: str = "claude-sonnet-4-5-20250929",
    usage: Mapping[str, Any] | None = None,
    message_id: str = "msg_01",
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
    }
    if usage is not None:
        message["usage"] = dict(usage)
    return {"type": "message_start", "message": message}


def block_start(index: int, block: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": dict(block)}


def block_delta(index: int, delta: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": dict(delta)}


def block_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_delta(stop_reason: str | None, usage: Mapping[str, Any] | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
    }
    if usage is not None:
        event["usage"] = dict(usage)
    return event


MESSAGE_STOP = {"type": "message_stop"}


def meta(model: str, response_id: str | None, requested: str = "claude-sonnet-4-5") -> Metadata:
    return Metadata(
        provider="anthropic", model=model, requested_model=requested, response_id=response_id
    )


# -- the recorded transcripts --------------------------------------------------------------


Transcript = functools.partial(harness.Transcript, ANTHROPIC, requested_model="claude-sonnet-4-5")


SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5-20251001"
THINKING_SIGNATURE = (
    "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"
    "7r0NvFmkSIuwS9Kx2wGyFXeUb4o0dZkaJ0pBqk4bJf9"
)
REDACTED_DATA = (
    "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB4URj"
)

TRANSCRIPTS = [
    Transcript(
        # ping between deltas; raw UTF-8 of 2, 3 and 4 bytes and a raw U+2028, which
        # str.splitlines() would take for a line break. Usage: input from message_start,
        # output from message_delta (not message_start's running count of 1).
        "text",
        [
            Metadata(
                provider="anthropic",
                model=SONNET,
                requested_model="claude-sonnet-4-5",
                response_id="msg_01XFDUDYJgAACzvnptvVoYEL",
                extra={"request_id": "req_011CTxyz"},
            ),
            TextDelta("Bonjour"),
            TextDelta(" \u00e0 tous \u2014 \u00e7a va ?"),
            TextDelta(" \U0001f44b line\u2028sep"),
            Usage(25, 15, 40, cache_read_tokens=0, cache_write_tokens=0),
            Finish("stop", "end_turn"),
        ],
        extra={"request_id": "req_011CTxyz"},
    ),
    Transcript(
        # Extended thinking: thinking_delta pieces are reasoning; at the block's stop, the
        # whole block with its signature_delta is one Reasoning; then the text block.
        "reasoning",
        [
            meta(SONNET, "msg_01Thnk8Rs4sQv2LmN7pWx3Yz"),
            ReasoningDelta("Let me solve this step by step:\n\n1. 27 * 453"),
            ReasoningDelta(" = 27 * 400 + 27 * 53"),
            ReasoningDelta("\n2. 10800 + 1431 = 12231"),
            Reasoning(
                "anthropic",
                "Let me solve this step by step:\n\n1. 27 * 453 = 27 * 400 + 27 * 53"
                "\n2. 10800 + 1431 = 12231",
                THINKING_SIGNATURE,
            ),
            TextDelta("27 * 453 = "),
            TextDelta("**12,231**"),
            Usage(48, 96, 144, cache_read_tokens=0, cache_write_tokens=0),
            Finish("stop", "end_turn"),
        ],
        signatures={0: THINKING_SIGNATURE},
    ),
    Transcript(
        # A redacted_thinking block (encrypted: no text, a Reasoning with its data) before a
        # thinking block; the signature is kept under the thinking block's own index, 1.
        "reasoning_redacted",
        [
            meta("claude-3-7-sonnet-20250219", "msg_01Rdct3dTh1nk1ngQx9Vb2Lm"),
            Reasoning("anthropic", redacted=REDACTED_DATA),
            ReasoningDelta("The user wants a short answer."),
            Reasoning(
                "anthropic",
                "The user wants a short answer.",
                "ErUBCkYIBxgCIkB0aW1lc3RhbXBfc2lnbmF0dXJlX2Zvcl90ZXN0cw==",
            ),
            TextDelta("Yes."),
            Usage(92, 41, 133, cache_read_tokens=0, cache_write_tokens=0),
            Finish("stop", "end_turn"),
        ],
        signatures={1: "ErUBCkYIBxgCIkB0aW1lc3RhbXBfc2lnbmF0dXJlX2Zvcl90ZXN0cw=="},
    ),
    Transcript(
        # Thinking with its signature, a redacted_thinking block, text, then a tool call:
        # everything the next turn of a tool loop must send back.
        "reasoning_tool_use",
        [
            meta(SONNET, "msg_01ThnkT00lUse4xQ9Lm2Vb7Z"),
            ReasoningDelta("The user wants the weather in Paris."),
            ReasoningDelta(" I should call get_weather."),
            Reasoning(
                "anthropic",
                "The user wants the weather in Paris. I should call get_weather.",
                THINKING_SIGNATURE,
            ),
            Reasoning("anthropic", redacted=REDACTED_DATA),
            TextDelta("Let me check."),
            ToolCallDelta(0, "toolu_01CaThnkWx8rLp2Vb7Yq3Zs9", "get_weather", ""),
            ToolCallDelta(0, None, None, '{"city": "Pa'),
            ToolCallDelta(0, None, None, 'ris"}'),
            ToolCall(0, "toolu_01CaThnkWx8rLp2Vb7Yq3Zs9", "get_weather", '{"city": "Paris"}'),
            Usage(412, 138, 550, cache_read_tokens=0, cache_write_tokens=0),
            Finish("tool_calls", "tool_use"),
        ],
        signatures={0: THINKING_SIGNATURE},
    ),
    Transcript(
        # A text block, then three tool_use blocks (content indices 1..3 are tool calls
        # 0..2). Each call: a first delta with id and name, the non-empty partial_json pieces
        # (the API's leading "" is no event), and the ToolCall at its content_block_stop.
        "tool_calls_parallel",
        [
            meta(SONNET, "msg_014p7gG3wDgGV9EUtLvnow3U"),
            TextDelta("I'll check both"),
            TextDelta(" cities."),
            ToolCallDelta(0, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", ""),
            ToolCallDelta(0, None, None, '{"location":'),
            ToolCallDelta(0, None, None, ' "Par'),
            ToolCallDelta(0, None, None, 'is", "unit": "c"}'),
            ToolCall(
                0,
                "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                "get_weather",
                '{"location": "Paris", "unit": "c"}',
            ),
            ToolCallDelta(1, "toolu_01K7hQ3mZ9xW2vB5nL8pR4sT", "get_weather", ""),
            ToolCallDelta(1, None, None, '{"location": "T\u014dky\u014d"'),
            ToolCallDelta(1, None, None, ', "unit": "c"}'),
            ToolCall(
                1,
                "toolu_01K7hQ3mZ9xW2vB5nL8pR4sT",
                "get_weather",
                '{"location": "T\u014dky\u014d", "unit": "c"}',
            ),
            ToolCallDelta(2, "toolu_01Nc3aF7wG1hP9xL5jU2dI8q", "get_time", ""),
            ToolCallDelta(2, None, None, '{"timezone": "Asia/Tokyo"}'),
            ToolCall(2, "toolu_01Nc3aF7wG1hP9xL5jU2dI8q", "get_time", '{"timezone": "Asia/Tokyo"}'),
            Usage(472, 143, 615, cache_read_tokens=0, cache_write_tokens=0),
            Finish("tool_calls", "tool_use"),
        ],
    ),
    Transcript(
        # A tool without parameters: only partial_json "" streams; the arguments are "{}".
        "tool_call_no_input",
        [
            meta(HAIKU, "msg_01NoArgsT00lCa11Kq8Vd2Wm"),
            ToolCallDelta(0, "toolu_01Vq2cR8mZ4tX6wL9nB3pK7j", "get_current_time", ""),
            ToolCallDelta(0, None, None, "{}"),  # so that the fragments join to the arguments
            ToolCall(0, "toolu_01Vq2cR8mZ4tX6wL9nB3pK7j", "get_current_time", "{}"),
            Usage(388, 36, 424, cache_read_tokens=0, cache_write_tokens=0),
            Finish("tool_calls", "tool_use"),
        ],
    ),
    Transcript(
        # Prompt caching: the input is input_tokens (12, after the cache breakpoint) plus
        # cache_read_input_tokens (2048) plus cache_creation_input_tokens. Two message_delta
        # events with cumulative output_tokens 10 then 27: the last one is final (not 37).
        "usage_cache",
        [
            meta(SONNET, "msg_01Cach3dUs4geW9kPq2Zx7Rt"),
            TextDelta("Section 3 says"),
            TextDelta(" the term is two years."),
            Usage(2060, 27, 2087, cache_read_tokens=2048, cache_write_tokens=0),
            Finish("stop", "end_turn"),
        ],
    ),
    Transcript(
        # Prompt caching, the first request: 1830 prompt tokens written to the cache
        # (cache_creation_input_tokens), 21 after the breakpoint; the prompt is 1851.
        "usage_cache_write",
        [
            meta(SONNET, "msg_01Cach3Wr1teHv7Lq2Nx5Pd"),
            TextDelta("The notice period"),
            TextDelta(" is 30 days."),
            Usage(1851, 9, 1860, cache_read_tokens=0, cache_write_tokens=1830),
            Finish("stop", "end_turn"),
        ],
    ),
    Transcript(
        "finish_max_tokens",
        [
            meta(HAIKU, "msg_01MaxT0k3nsLm8Qw2Xv5Nb7c"),
            TextDelta("Once upon a time, in a"),
            TextDelta(" land far"),
            Usage(14, 8, 22, cache_read_tokens=0, cache_write_tokens=0),
            Finish("length", "max_tokens"),
        ],
    ),
    Transcript(
        "finish_stop_sequence",
        [
            meta(HAIKU, "msg_01St0pS3qu3nc3Hv4Jk9Lw2e"),
            TextDelta("1, 2, 3, 4"),
            Usage(31, 12, 43, cache_read_tokens=0, cache_write_tokens=0),
            Finish("stop", "stop_sequence"),
        ],
    ),
    Transcript(
        # Claude 4 streaming refusal: the text so far, then stop_reason "refusal".
        "finish_refusal",
        [
            meta(SONNET, "msg_01R3fu5alSt0pQz7Wn4Xk1Vb"),
            TextDelta("Here is how"),
            Usage(40, 5, 45, cache_read_tokens=0, cache_write_tokens=0),
            Finish("refusal", "refusal"),
        ],
    ),
    Transcript(
        "finish_context_window_exceeded",
        [
            meta(SONNET, "msg_01C0nt3xtW1nd0wEx9Lp3Qa6"),
            TextDelta("In summary, the"),
            Usage(199990, 10, 200000, cache_read_tokens=0, cache_write_tokens=0),
            Finish("length", "model_context_window_exceeded"),
        ],
    ),
    Transcript(
        # A server tool (web search) paused the turn: its server_tool_use input and its
        # result block are Anthropic's business, not tool calls for the caller.
        "finish_pause_turn",
        [
            meta(SONNET, "msg_01Pau5eTurnWs8Hq3Mz6Kv2d"),
            TextDelta("I'll search for that."),
            Usage(2679, 59, 2738, cache_read_tokens=0, cache_write_tokens=0),
            Finish("other", "pause_turn"),
        ],
    ),
    Transcript(
        # An unknown event type, a citations_delta, an unknown delta type and an unknown
        # content block type with its own deltas: all skipped, the text around them kept.
        "unknown_events",
        [
            meta("claude-opus-4-1-20250805", "msg_01Unkn0wnEv3ntsPz5Hq8Wm1"),
            TextDelta("The grass is green"),
            TextDelta(" and the sky is blue."),
            Usage(1530, 22, 1552, cache_read_tokens=0, cache_write_tokens=0),
            Finish("stop", "end_turn"),
        ],
    ),
    Transcript(
        # CRLF line ends throughout, one event over two data: lines; a JSON-escaped CRLF in
        # the text stays text.
        "crlf",
        [
            meta(HAIKU, "msg_01Crlf9Fr4m1ngDe3Wq7Ha2s"),
            TextDelta("Hel"),
            TextDelta("lo\r\nworld"),
            Usage(8, 4, 12, cache_read_tokens=0, cache_write_tokens=0),
            Finish("stop", "end_turn"),
        ],
    ),
    Transcript(
        # message_delta gave the stop_reason (and the final usage), then the body ended
        # cleanly without message_stop, which carries nothing more: a complete answer
        # (docs/providers.md, "When a stream is complete").
        "stop_reason_without_message_stop",
        [
            meta(HAIKU, "msg_01Trunc4ted4fterD3lt4Mx"),
            TextDelta("Done"),
            Usage(11, 2, 13, cache_read_tokens=0, cache_write_tokens=0),
            Finish("stop", "end_turn"),
        ],
    ),
]

FAILING_TRANSCRIPTS = [
    Transcript(
        # HTTP 200, two text deltas, then "event: error" overloaded_error: the text comes
        # first, then an OverloadedError (retryable), not a generic status error.
        "error_overloaded",
        [
            meta(SONNET, "msg_01Ov3rl0ad3dMd5tr3amQz4X"),
            TextDelta("The answer"),
            TextDelta(" is"),
        ],
        error=OverloadedError,
    ),
    Transcript(
        # api_error in the middle of a tool call: its pieces so far are delivered, the
        # ToolCall never is (the call never completed).
        "error_api_mid_tool_call",
        [
            meta(SONNET, "msg_01Ap1Err0rM1dT00lWq3Ze8Y"),
            ToolCallDelta(0, "toolu_01Hq5tZ0uJe8rD2kV6yB4gS1", "search_docs", ""),
            ToolCallDelta(0, None, None, '{"query": "sse fr'),
        ],
        error=ServerError,
    ),
    Transcript(
        # The body stops inside a data line: the cut event is dropped.
        "truncated_mid_event",
        [meta(HAIKU, "msg_01Trunc4tedM1dEv3ntQa2Lp"), TextDelta("Once upon"), TextDelta(" a time")],
        error=ProtocolError,
    ),
    Transcript(
        # The content block ended but no message_delta came: no stop_reason, so the body
        # that ended there, cleanly, is truncated.
        "truncated_before_stop_reason",
        [meta(HAIKU, "msg_01Trunc4tedB4St0pR34s0n"), TextDelta("Done")],
        error=ProtocolError,
    ),
    Transcript(
        # A data line that is not JSON after "Hello"; the valid events after it never count.
        "invalid_json",
        [meta(HAIKU, "msg_01Inv4l1dJs0nL1neWe9Rx3k"), TextDelta("Hello")],
        error=ProtocolError,
    ),
]

EVERY_TRANSCRIPT = {t.name: t for t in TRANSCRIPTS + FAILING_TRANSCRIPTS}


def test_anthropic_transcripts_cover_every_stop_reason() -> None:
    raw = {t.expected[-1].raw_reason for t in TRANSCRIPTS if isinstance(t.expected[-1], Finish)}
    assert raw == {
        "end_turn",
        "stop_sequence",
        "max_tokens",
        "tool_use",
        "refusal",
        "pause_turn",
        "model_context_window_exceeded",
    }


def _failure(name: str) -> Error:
    transcript = EVERY_TRANSCRIPT[name]
    return feed_until_failure(transcript.decoder(), [transcript.wire])[1]


def test_anthropic_decoder_reports_in_stream_overloaded_error_as_retryable() -> None:
    error = _failure("error_overloaded")
    assert isinstance(error, OverloadedError)
    assert error.retryable
    assert error.kind == "overloaded"
    assert error.code == "overloaded_error"
    assert error.status_code is None  # the HTTP status was 200; the payload names none
    assert error.message == "Overloaded"
    assert str(error) == "anthropic: Overloaded"


def test_anthropic_decoder_reports_in_stream_api_error_with_request_id() -> None:
    error = _failure("error_api_mid_tool_call")
    assert isinstance(error, ServerError)
    assert error.retryable
    assert error.code == "api_error"
    assert error.message == "Internal server error (request req_011CSHoEeqs5C35K2UUqR7Fy)"
    assert '"api_error"' in error.body


def test_anthropic_decoder_reports_in_stream_rate_limit_error() -> None:
    wire = sse(message_start(), block_start(0, {"type": "text", "text": ""})) + (
        b"event: error\n"
        b'data: {"type":"error","error":{"type":"rate_limit_error",'
        b'"message":"Number of request tokens has exceeded your per-minute rate limit"}}\n\n'
    )
    events, error = feed_until_failure(decoder(), [wire])
    assert isinstance(error, RateLimitError)
    assert error.retryable
    assert error.retry_after is None
    assert "per-minute rate limit" in error.message
    assert events == [meta(SONNET, "msg_01")]


def test_anthropic_decoder_reads_error_event_named_only_by_sse() -> None:
    """``event: error`` is an error even when its data lacks the ``type`` field."""
    wire = sse(message_start()) + (
        b'event: error\ndata: {"error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    events, error = feed_until_failure(decoder(), [wire])
    assert isinstance(error, OverloadedError)
    assert events == [meta(SONNET, "msg_01")]


def test_anthropic_decoder_error_before_message_start_sends_no_metadata() -> None:
    wire = b'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"x"}}\n\n'
    events, error = feed_until_failure(decoder(), [wire])
    assert isinstance(error, ServerError)
    assert events == []


# The failing transcripts cut before the terminal event, and what end() says of each
# (tests/wire/test_decoders.py).
TRUNCATED = {
    "truncated_mid_event": "truncated",
    "truncated_before_stop_reason": "ended before message_stop or a stop_reason: the",
}


def test_anthropic_decoder_excerpts_invalid_json_line() -> None:
    error = _failure("invalid_json")
    assert isinstance(error, ProtocolError)
    assert "wor" in error.excerpt


# -- the terminal event, metadata and smaller rules ----------------------------------------


# A complete body, and bytes after its terminal event (tests/wire/test_decoders.py).
AFTER_THE_END = (
    "text",
    sse(block_delta(0, {"type": "text_delta", "text": "late"})) + b"data: {oops\n\n",
)


def test_anthropic_decoder_is_not_done_before_message_stop() -> None:
    wire = EVERY_TRANSCRIPT["text"].wire
    decoder = EVERY_TRANSCRIPT["text"].decoder()
    decoder.feed(wire[: wire.index(b"event: message_stop")])
    assert not decoder.done


def test_anthropic_decoder_sends_requested_model_when_message_start_is_missing() -> None:
    wire = sse(
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "Hi"}),
        block_stop(0),
        message_delta("end_turn", None),
        MESSAGE_STOP,
    )
    assert feed_all(decoder("my-model"), [wire]) == [
        Metadata(provider="anthropic", model="my-model", requested_model="my-model"),
        TextDelta("Hi"),
        Finish("stop", "end_turn"),
    ]


def test_anthropic_decoder_sends_metadata_and_finish_for_a_bare_message_stop() -> None:
    assert feed_all(decoder("m"), [sse(MESSAGE_STOP)]) == [
        Metadata(provider="anthropic", model="m", requested_model="m"),
        Finish("other", None),
    ]


def test_anthropic_decoder_sends_metadata_once_for_a_repeated_message_start() -> None:
    wire = sse(message_start(message_id="msg_a"), message_start(message_id="msg_b"), MESSAGE_STOP)
    assert feed_all(decoder(), [wire]) == [meta(SONNET, "msg_a"), Finish("other", None)]


def test_anthropic_decoder_takes_event_type_from_sse_name_when_data_has_none() -> None:
    wire = (
        b"event: message_start\n"
        b'data: {"message":{"id":"msg_x","model":"claude-x","usage":{"input_tokens":3}}}\n\n'
        b'event: message_delta\ndata: {"delta":{"stop_reason":"end_turn"},'
        b'"usage":{"output_tokens":2}}\n\n'
        b"event: message_stop\ndata: {}\n\n"
    )
    assert feed_all(decoder(), [wire]) == [
        meta("claude-x", "msg_x"),
        Usage(3, 2, 5),
        Finish("stop", "end_turn"),
    ]


def test_anthropic_decoder_prefers_cumulative_usage_from_message_delta() -> None:
    """Newer API versions repeat input and cache counts in message_delta: those are final.
    output_tokens_details.thinking_tokens is the reasoning count."""
    wire = sse(
        message_start(usage={"input_tokens": 10, "cache_read_input_tokens": 0, "output_tokens": 1}),
        message_delta(
            "end_turn",
            {
                "input_tokens": 11,
                "cache_read_input_tokens": 64,
                "output_tokens": 120,
                "output_tokens_details": {"thinking_tokens": 90},
            },
        ),
        MESSAGE_STOP,
    )
    events = feed_all(decoder(), [wire])
    assert events[-2:] == [
        Usage(75, 120, 195, cache_read_tokens=64, reasoning_tokens=90),  # 11 + 64 read
        Finish("stop", "end_turn"),
    ]


def test_anthropic_decoder_does_not_take_message_start_output_count_as_final() -> None:
    """Without a message_delta usage the output count is unknown (None), not the running
    count of 1 that message_start carries, and the total is unknown too."""
    wire = sse(message_start(usage={"input_tokens": 10, "output_tokens": 1}), MESSAGE_STOP)
    assert feed_all(decoder(), [wire])[-2:] == [Usage(10, None, None), Finish("other", None)]


def test_anthropic_decoder_sends_no_usage_when_none_is_reported() -> None:
    wire = sse(message_start(usage=None), message_delta("end_turn", None), MESSAGE_STOP)
    assert feed_all(decoder(), [wire]) == [meta(SONNET, "msg_01"), Finish("stop", "end_turn")]


def test_anthropic_decoder_keeps_tool_input_sent_whole_in_block_start() -> None:
    """A proxy that puts the whole input in content_block_start and streams none."""
    wire = sse(
        message_start(),
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}),
        block_stop(0),
        MESSAGE_STOP,
    )
    assert feed_all(decoder(), [wire])[1:3] == [
        ToolCallDelta(0, "toolu_1", "f", '{"a":1}'),
        ToolCall(0, "toolu_1", "f", '{"a":1}'),
    ]


def test_anthropic_decoder_completes_an_unclosed_tool_call_at_message_stop() -> None:
    wire = sse(
        message_start(),
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}),
        block_delta(0, {"type": "input_json_delta", "partial_json": '{"q": 1}'}),
        message_delta("tool_use", {"output_tokens": 9}),
        MESSAGE_STOP,
    )
    assert feed_all(decoder(), [wire])[3:] == [
        ToolCall(0, "toolu_1", "f", '{"q": 1}'),
        Usage(None, 9),
        Finish("tool_calls", "tool_use"),
    ]


def test_anthropic_decoder_says_why_an_event_is_misshapen() -> None:
    text = {"type": "text", "text": ""}
    wire = sse(message_start(), block_start(0, text), block_start(0, text))
    error = feed_until_failure(decoder(), [wire])[1]
    assert isinstance(error, ProtocolError)
    assert error.message == (
        "content_block_start event does not have the Messages API shape "
        "(content block 0 started twice)"
    )
    assert '"index":0' in error.excerpt


def test_anthropic_decoder_keeps_signature_from_thinking_block_start() -> None:
    wire = sse(
        message_start(),
        block_start(2, {"type": "thinking", "thinking": "Hm.", "signature": "sig-at-start"}),
        block_stop(2),
        MESSAGE_STOP,
    )
    dec = decoder()
    assert feed_all(dec, [wire])[1] == ReasoningDelta("Hm.")
    assert dec.signatures == {2: "sig-at-start"}


def test_anthropic_decoder_completes_reasoning_blocks_left_open_at_message_stop() -> None:
    """A thinking or redacted_thinking block whose content_block_stop never came is sent
    whole at message_stop, before the Finish, as an open tool call is."""
    wire = sse(
        message_start(),
        block_start(0, {"type": "redacted_thinking", "data": "opaque"}),
        block_start(1, {"type": "thinking", "thinking": "Hm.", "signature": "sig"}),
        MESSAGE_STOP,
    )
    events = feed_all(decoder(), [wire])
    assert events[1:] == [
        ReasoningDelta("Hm."),
        Reasoning("anthropic", redacted="opaque"),
        Reasoning("anthropic", "Hm.", "sig"),
        Finish("other", None),
    ]


@pytest.mark.parametrize(
    "events",
    [
        [block_start(0, {"type": "text", "text": ""}), block_start(0, {"type": "text"})],
        [
            block_start(0, {"type": "tool_use", "id": "t", "name": "f", "input": {}}),
            block_stop(0),
            block_delta(0, {"type": "input_json_delta", "partial_json": "{}"}),
        ],
        [block_delta(0, {"type": "text_delta", "text": 5})],
        [block_delta(0, {"type": "text_delta"})],
        [block_delta(-1, {"type": "text_delta", "text": "x"})],
        [{"type": "content_block_delta", "index": 0, "delta": "text"}],
        [block_start(0, {"type": "tool_use", "name": "f"})],
        [{"type": "message_start", "message": "hello"}],
        [{"type": "message_delta", "delta": {"stop_reason": 7}}],
        [{"type": "message_delta", "delta": [], "usage": {}}],
        [{"type": "content_block_stop", "index": "0"}],
    ],
    ids=[
        "block-started-twice",
        "tool-delta-after-stop",
        "text-not-a-string",
        "text-missing",
        "negative-index",
        "delta-not-an-object",
        "tool-without-id",
        "message-not-an-object",
        "stop-reason-not-a-string",
        "delta-is-a-list",
        "index-is-a-string",
    ],
)
def test_anthropic_decoder_rejects_misshapen_events_with_protocol_error(
    events: list[dict[str, Any]],
) -> None:
    wire = sse(message_start(), *events)
    delivered, error = feed_until_failure(decoder(), [wire])
    assert type(error) is ProtocolError
    assert error.provider == "anthropic"
    assert "shape" in error.message
    assert delivered[0] == meta(SONNET, "msg_01")


def test_anthropic_decoder_joins_ten_thousand_json_fragments_exactly() -> None:
    """The tool input comes back byte for byte, however finely it was cut (the timing of
    this path is benchmarks/bench_anthropic_tools.py)."""
    arguments = json.dumps(
        {"items": [{"n": i, "s": f"\u00e9l\u00e9ment {i}"} for i in range(2000)]},
        ensure_ascii=False,
    )
    bounds = [len(arguments) * k // 10_000 for k in range(10_001)]
    fragments = [arguments[a:b] for a, b in itertools.pairwise(bounds)]
    assert len(fragments) == 10_000
    assert all(fragments)
    wire = sse(
        message_start(),
        block_start(0, {"type": "tool_use", "id": "toolu_big", "name": "store", "input": {}}),
        *(block_delta(0, {"type": "input_json_delta", "partial_json": f}) for f in fragments),
        block_stop(0),
        message_delta("tool_use", {"output_tokens": 1}),
        MESSAGE_STOP,
    )
    events = feed_all(decoder(), chunked(wire, list(range(0, len(wire), 16 * 1024))))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert len(deltas) == len(fragments) + 1
    assert "".join(d.arguments for d in deltas) == arguments
    assert calls == [ToolCall(0, "toolu_big", "store", arguments)]
    assert json.loads(calls[0].arguments)["items"][1999] == {
        "n": 1999,
        "s": "\u00e9l\u00e9ment 1999",
    }


def test_anthropic_tools_benchmark_decodes_the_exact_json() -> None:
    """The benchmark's 10,000-fragment body gives back its JSON exactly (no timing here)."""
    body, arguments = bench_anthropic_tools.tool_body(10_000)
    assert len(body) > 3 * bench_anthropic_tools.PIECE
    assert bench_anthropic_tools.decode(body) == (arguments, 10_000)
    assert json.loads(arguments)["rows"][9999] == "r009999"


# -- bounded buffer --------------------------------------------------------------------------


@pytest.mark.parametrize("one_byte", [False, True], ids=["whole", "one-byte"])
def test_anthropic_decoder_rejects_event_over_max_event_bytes(one_byte: bool) -> None:
    small = sse(message_start(), block_start(0, {"type": "text", "text": ""}))
    big = sse(block_delta(0, {"type": "text_delta", "text": "x" * 2000}))
    dec = decoder(max_event_bytes=1024)
    events, error = feed_until_failure(
        dec, one_byte_chunks(small + big) if one_byte else [small + big]
    )
    assert isinstance(error, ProtocolError)
    assert events == [meta(SONNET, "msg_01")]


# -- garbage in: only eventide errors out ----------------------------------------------------


# Pieces of this API's stream, for garbage that looks like it (tests/wire/test_decoders.py).
SPRINKLES = [
    b"data: ",
    b"event: ",
    b"\n",
    b"\r\n",
    b"\n\n",
    b'data: {"type":"message_stop"}\n\n',
    b'data: {"type":"message_start","message":{"model":"m"}}\n\n',
    b"{",
    b"}",
    b'"',
    b'"index":0',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}',
    b'"type":"input_json_delta","partial_json":"',
    b'data: {"type": "ping"}\n\n',
]


_INDEX = or_junk(st.integers(0, 2))
_USAGE = st.fixed_dictionaries(
    {},
    optional={
        "input_tokens": or_junk(st.integers(0, 9)),
        "output_tokens": or_junk(st.integers(0, 9)),
        "cache_read_input_tokens": or_junk(st.integers(0, 9)),
        "output_tokens_details": or_junk(st.fixed_dictionaries({"thinking_tokens": json_values})),
    },
)
_BLOCK = st.fixed_dictionaries(
    {"type": or_junk(st.sampled_from(["text", "thinking", "tool_use", "redacted_thinking"]))},
    optional={
        "text": or_junk(st.text(max_size=3)),
        "thinking": or_junk(st.text(max_size=3)),
        "signature": or_junk(st.text(max_size=3)),
        "id": or_junk(st.text(max_size=3)),
        "name": or_junk(st.text(max_size=3)),
        "input": json_values,
    },
)
_DELTA = st.fixed_dictionaries(
    {
        "type": or_junk(
            st.sampled_from(["text_delta", "input_json_delta", "thinking_delta", "signature_delta"])
        )
    },
    optional={
        "text": or_junk(st.text(max_size=3)),
        "partial_json": or_junk(st.text(max_size=3)),
        "thinking": or_junk(st.text(max_size=3)),
        "signature": or_junk(st.text(max_size=3)),
    },
)
# Event-shaped objects with wrong types anywhere; never an error event, so no ProviderError.
_EVENT = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("message_start")},
        optional={
            "message": or_junk(
                st.fixed_dictionaries(
                    {}, optional={"id": json_values, "model": json_values, "usage": or_junk(_USAGE)}
                )
            )
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("content_block_start")},
        optional={"index": _INDEX, "content_block": or_junk(_BLOCK)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("content_block_delta")},
        optional={"index": _INDEX, "delta": or_junk(_DELTA)},
    ),
    st.fixed_dictionaries({"type": st.just("content_block_stop")}, optional={"index": _INDEX}),
    st.fixed_dictionaries(
        {"type": st.just("message_delta")},
        optional={
            "delta": or_junk(st.fixed_dictionaries({}, optional={"stop_reason": json_values})),
            "usage": or_junk(_USAGE),
        },
    ),
    st.just({"type": "ping"}),
    st.dictionaries(st.text(max_size=4).filter(lambda key: key != "type"), json_values, max_size=3),
)


@given(
    events=st.lists(or_junk(_EVENT), max_size=6),
    stop=st.booleans(),
    one_byte=st.booleans(),
)
@example(
    events=[{"type": "content_block_delta", "index": True, "delta": {}}], stop=True, one_byte=False
)
@example(events=[{"type": "message_start", "message": []}], stop=True, one_byte=False)
@example(
    events=[{"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use"}}],
    stop=True,
    one_byte=False,
)
@example(
    events=[
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "i", "name": "n", "input": [1]},
        }
    ],
    stop=True,
    one_byte=False,
)
@example(events=[{"type": "message_delta", "usage": [1]}], stop=True, one_byte=False)
def test_anthropic_decoder_raises_only_protocol_error_on_misshapen_events(
    events: list[Any], stop: bool, one_byte: bool
) -> None:
    """Valid JSON of the wrong shape is skipped or a ProtocolError; never an AttributeError,
    TypeError, KeyError or ValueError."""
    wire = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events)
    if stop:
        wire += sse(MESSAGE_STOP)
    assert_keeps_contract(
        decode_garbage(_fuzzed(), one_byte_chunks(wire) if one_byte else [wire]), complete=None
    )


# -- round trip through a test-only encoder --------------------------------------------------

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
    "pause_turn": "other",
    "some_future_reason": "other",
}


@attrs.frozen
class TextBlock:
    pieces: tuple[str, ...]


@attrs.frozen
class ThinkingBlock:
    pieces: tuple[str, ...]
    signature: str


@attrs.frozen
class ToolBlock:
    id: str
    name: str
    fragments: tuple[str, ...]


Block = TextBlock | ThinkingBlock | ToolBlock


@attrs.frozen
class Script:
    model: str
    message_id: str
    blocks: tuple[Block, ...]
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    stop_reason: str


@attrs.frozen
class Framing:
    newline: str
    event_lines: bool  # "event: <type>" before each data line (the API always sends them)
    spaced_json: bool
    ascii_only: bool
    pings: bool


def encode(script: Script, framing: Framing) -> bytes:
    """Write `script` as a Messages event stream, the way the API frames it."""
    nl = framing.newline
    separators = (", ", ": ") if framing.spaced_json else (",", ":")

    def event(payload: dict[str, Any]) -> str:
        data = json.dumps(payload, separators=separators, ensure_ascii=framing.ascii_only)
        head = f"event: {payload['type']}{nl}" if framing.event_lines else ""
        ping = f'event: ping{nl}data: {{"type": "ping"}}{nl}{nl}' if framing.pings else ""
        return f"{head}data: {data}{nl}{nl}{ping}"

    usage: dict[str, Any] = {}
    if script.input_tokens is not None:
        usage["input_tokens"] = script.input_tokens
        usage["output_tokens"] = 1
    if script.cache_read_tokens is not None:
        usage["cache_read_input_tokens"] = script.cache_read_tokens
    if script.cache_write_tokens is not None:
        usage["cache_creation_input_tokens"] = script.cache_write_tokens
    out = [event(message_start(script.model, usage or None, script.message_id))]
    for index, block in enumerate(script.blocks):
        if isinstance(block, TextBlock):
            out.append(event(block_start(index, {"type": "text", "text": ""})))
            out.extend(
                event(block_delta(index, {"type": "text_delta", "text": p})) for p in block.pieces
            )
        elif isinstance(block, ThinkingBlock):
            out.append(event(block_start(index, {"type": "thinking", "thinking": ""})))
            out.extend(
                event(block_delta(index, {"type": "thinking_delta", "thinking": p}))
                for p in block.pieces
            )
            out.append(
                event(block_delta(index, {"type": "signature_delta", "signature": block.signature}))
            )
        else:
            start = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
            out.append(event(block_start(index, start)))
            out.extend(
                event(block_delta(index, {"type": "input_json_delta", "partial_json": f}))
                for f in block.fragments
            )
        out.append(event(block_stop(index)))
    final = {"output_tokens": script.output_tokens} if script.output_tokens is not None else None
    out.append(event(message_delta(script.stop_reason, final)))
    out.append(event(MESSAGE_STOP))
    return "".join(out).encode()


def expected_events(script: Script, requested: str) -> list[Event]:
    """What decoding `script` must give, built from the script alone."""
    events: list[Event] = [
        Metadata(
            provider="anthropic",
            model=script.model,
            requested_model=requested,
            response_id=script.message_id,
        )
    ]
    position = 0
    for block in script.blocks:
        if isinstance(block, TextBlock):
            events.extend(TextDelta(p) for p in block.pieces if p)
        elif isinstance(block, ThinkingBlock):
            events.extend(ReasoningDelta(p) for p in block.pieces if p)
            text = "".join(block.pieces)
            events.append(Reasoning("anthropic", text, block.signature or None))
        else:
            events.append(ToolCallDelta(position, block.id, block.name, ""))
            events.extend(ToolCallDelta(position, None, None, f) for f in block.fragments if f)
            arguments = "".join(block.fragments) or "{}"
            events.append(ToolCall(position, block.id, block.name, arguments))
            position += 1
    if script.input_tokens is not None or script.output_tokens is not None:
        # The whole prompt: the tokens after the cache breakpoint, read and written ones.
        prompt = script.input_tokens
        if prompt is not None:
            prompt += (script.cache_read_tokens or 0) + (script.cache_write_tokens or 0)
        output = script.output_tokens
        total = prompt + output if prompt is not None and output is not None else None
        events.append(
            Usage(
                prompt,
                output,
                total,
                script.cache_read_tokens,
                script.cache_write_tokens,
            )
        )
    events.append(Finish(STOP_REASONS[script.stop_reason], script.stop_reason))
    return events


_ALNUM = string.ascii_letters + string.digits
_PIECES = st.lists(st.text(max_size=10), max_size=4).map(tuple)


@st.composite
def _tool_blocks(draw: st.DrawFn) -> ToolBlock:
    arguments = json.dumps(
        draw(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=6), max_size=3)),
        ensure_ascii=draw(st.booleans()),
    )
    cuts = sorted(set(draw(st.lists(st.integers(0, len(arguments)), max_size=5))))
    bounds = [0, *cuts, len(arguments)]
    fragments = tuple(arguments[a:b] for a, b in itertools.pairwise(bounds))
    return ToolBlock(
        "toolu_" + draw(st.text(_ALNUM, min_size=4, max_size=12)),
        draw(st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True)),
        fragments,
    )


scripts = st.builds(
    Script,
    model=st.sampled_from([SONNET, HAIKU, "\u00e9-model"]),
    message_id=st.text(_ALNUM, min_size=1, max_size=12).map(lambda s: "msg_" + s),
    blocks=st.lists(
        st.one_of(
            st.builds(TextBlock, _PIECES),
            st.builds(ThinkingBlock, _PIECES, st.text(_ALNUM + "+/=", min_size=1, max_size=20)),
            _tool_blocks(),
        ),
        max_size=5,
    ).map(tuple),
    input_tokens=st.none() | st.integers(0, 10**6),
    output_tokens=st.none() | st.integers(0, 10**6),
    cache_read_tokens=st.none() | st.integers(0, 10**6),
    cache_write_tokens=st.none() | st.integers(0, 10**6),
    stop_reason=st.sampled_from(sorted(STOP_REASONS)),
)
framings = st.builds(
    Framing,
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    event_lines=st.booleans(),
    spaced_json=st.booleans(),
    ascii_only=st.booleans(),
    pings=st.booleans(),
)


@given(script=scripts, framing=framings, data=st.data())
def test_anthropic_decoder_round_trips_encoded_streams(
    script: Script, framing: Framing, data: st.DataObject
) -> None:
    """Whatever the model said, and however it was framed and the network cut it, decoding
    gives back exactly what was said, and every thinking signature."""
    if script.input_tokens is None:  # the encoder writes cache counts only beside input ones
        script = attrs.evolve(script, cache_read_tokens=None)
    wire = encode(script, framing)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=20), label="cuts")
    dec = decoder("requested")
    events = feed_all(dec, chunked(wire, cuts))
    assert events == expected_events(script, "requested")
    assert_keeps_contract(events, complete=None)
    assert dec.signatures == {
        index: block.signature
        for index, block in enumerate(script.blocks)
        if isinstance(block, ThinkingBlock)
    }


# -- build_anthropic_body --------------------------------------------------------------------

WEATHER_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
    "required": ["city"],
}
PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
    "nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


def tool_result(tool_use_id: str, content: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": content}


TOKYO_ARGUMENTS = '{"city": "T\u014dky\u014d", "unit": "c"}'


def conversation(parameters: dict[str, Any], extra: dict[str, Any]) -> Request:
    """A multi-turn conversation: system prompt, text and images, two tool calls, their
    results, and a follow-up question."""
    return Request(
        messages=[
            Message.system("You are a weather assistant."),
            Message.user(
                [
                    TextPart("What is this, and what's the weather in Paris and Tokyo?"),
                    ImagePart(url="https://example.org/cloud.jpg"),
                    ImagePart(data=PNG_BASE64, media_type="image/png"),
                    ImagePart(url=f"data:image/png;base64,{PNG_BASE64}"),
                ]
            ),
            Message.assistant(
                "A cumulus cloud. Checking both cities.",
                tool_calls=[
                    ToolCall(0, "toolu_01A", "get_weather", '{"city": "Paris"}'),
                    ToolCall(1, "toolu_01B", "get_weather", TOKYO_ARGUMENTS),
                ],
            ),
            Message.tool("toolu_01A", "18\u00b0C, sunny"),
            Message.tool("toolu_01B", "24\u00b0C, rain"),
            Message.assistant("Paris: 18\u00b0C and sunny; Tokyo: 24\u00b0C with rain."),
            Message.user("Thanks! Which is warmer?"),
        ],
        model="claude-sonnet-4-5",
        tools=[ToolSpec("get_weather", "Current weather for a city.", parameters)],
        tool_choice="auto",
        temperature=0.2,
        max_tokens=512,
        top_p=0.9,
        stop=["\n\nHuman:"],
        seed=7,
        extra=extra,
    )


def test_build_anthropic_body_writes_a_multi_turn_conversation_with_tools_and_images() -> None:
    body = build_anthropic_body(
        conversation(WEATHER_PARAMETERS, {"metadata": {"user_id": "user-42"}}),
        model="claude-sonnet-4-5",
    )
    png = {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}
    assert body == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 512,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "What is this, and what's the weather in Paris and Tokyo?",
                    },
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://example.org/cloud.jpg"},
                    },
                    {"type": "image", "source": png},
                    {"type": "image", "source": png},  # a data: URL becomes a base64 source
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "A cumulus cloud. Checking both cities."},
                    {
                        "type": "tool_use",
                        "id": "toolu_01A",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    },
                    {
                        "type": "tool_use",
                        "id": "toolu_01B",
                        "name": "get_weather",
                        "input": {"city": "T\u014dky\u014d", "unit": "c"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    tool_result("toolu_01A", "18\u00b0C, sunny"),
                    tool_result("toolu_01B", "24\u00b0C, rain"),
                ],
            },
            {
                "role": "assistant",
                "content": "Paris: 18\u00b0C and sunny; Tokyo: 24\u00b0C with rain.",
            },
            {"role": "user", "content": "Thanks! Which is warmer?"},
        ],
        "stream": True,
        "system": "You are a weather assistant.",
        "tools": [
            {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "input_schema": WEATHER_PARAMETERS,
            }
        ],
        "tool_choice": {"type": "auto"},
        "temperature": 0.2,
        "top_p": 0.9,
        "stop_sequences": ["\n\nHuman:"],
        "metadata": {"user_id": "user-42"},
    }
    assert "seed" not in body  # the Messages API has no seed: sending one is a 400


def test_build_anthropic_body_defaults_max_tokens_and_omits_unset_options() -> None:
    body = build_anthropic_body(Request(messages=[Message.user("Hi")]), model="claude-x")
    assert body == {
        "model": "claude-x",
        "max_tokens": DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
    }
    assert DEFAULT_MAX_TOKENS == 4096


def test_build_anthropic_body_merges_extra_last() -> None:
    request = Request(
        messages=[Message.user("Hi")],
        max_tokens=100,
        extra={"max_tokens": 16000, "thinking": {"type": "enabled", "budget_tokens": 10000}},
    )
    body = build_anthropic_body(request, model="m")
    assert body["max_tokens"] == 16000
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 10000}


def test_build_anthropic_body_joins_several_system_messages() -> None:
    request = Request(
        messages=[Message.system("Be brief."), Message.user("Hi"), Message.system("Use French.")]
    )
    body = build_anthropic_body(request, model="m")
    assert body["system"] == "Be brief.\n\nUse French."
    assert body["messages"] == [{"role": "user", "content": "Hi"}]


def test_build_anthropic_body_keeps_separate_tool_result_turns_apart() -> None:
    """Only consecutive tool results share a user message."""
    request = Request(
        messages=[
            Message.user("q"),
            Message.assistant(tool_calls=[ToolCall(0, "t1", "f", "{}")]),
            Message.tool("t1", "one"),
            Message.assistant(tool_calls=[ToolCall(0, "t2", "f", "")]),
            Message.tool("t2", "two"),
        ]
    )
    messages = build_anthropic_body(request, model="m")["messages"]
    tool_use = {"type": "tool_use", "name": "f", "input": {}}
    assert messages[1:] == [
        {"role": "assistant", "content": [{**tool_use, "id": "t1"}]},
        {"role": "user", "content": [tool_result("t1", "one")]},
        {"role": "assistant", "content": [{**tool_use, "id": "t2"}]},
        {"role": "user", "content": [tool_result("t2", "two")]},
    ]


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ("get_weather", {"type": "tool", "name": "get_weather"}),
    ],
)
def test_build_anthropic_body_maps_tool_choice(choice: str, wire: dict[str, Any]) -> None:
    request = Request(
        messages=[Message.user("q")], tools=[ToolSpec("get_weather")], tool_choice=choice
    )
    body = build_anthropic_body(request, model="m")
    assert body["tool_choice"] == wire
    assert body["tools"] == [{"name": "get_weather", "input_schema": {"type": "object"}}]


@pytest.mark.parametrize("arguments", ["[1, 2]", '{"city": "Par', "null"])
def test_build_anthropic_body_rejects_tool_arguments_that_are_not_an_object(
    arguments: str,
) -> None:
    call = ToolCall(0, "t", "f", arguments)
    request = Request(messages=[Message.user("q"), Message.assistant(tool_calls=[call])])
    with pytest.raises(ValueError, match="'f' are not a JSON object"):
        build_anthropic_body(request, model="m")


def test_build_anthropic_body_rejects_tool_message_without_call_id() -> None:
    request = Request(messages=[Message.user("q"), Message("tool", "result")])
    with pytest.raises(ValueError, match="tool_call_id"):
        build_anthropic_body(request, model="m")


def test_build_anthropic_body_does_not_mutate_the_request() -> None:
    parameters = copy.deepcopy(WEATHER_PARAMETERS)
    extra: dict[str, Any] = {"metadata": {"user_id": "u-1"}}
    request = conversation(parameters, extra)
    snapshot = copy.deepcopy(request)

    first = build_anthropic_body(request, model="claude-sonnet-4-5")
    second = build_anthropic_body(request, model="claude-sonnet-4-5")
    assert first == second
    # The body is the caller's to change, all the way down: nothing is shared with the request.
    first["messages"].append({"role": "user", "content": "more"})
    first["tools"][0]["input_schema"]["properties"]["city"]["type"] = "integer"
    first["metadata"]["user_id"] = "someone-else"
    first["stop_sequences"].append("END")
    assert request == snapshot
    assert request.tools[0].parameters == WEATHER_PARAMETERS
    assert request.extra == {"metadata": {"user_id": "u-1"}}
    assert build_anthropic_body(request, model="claude-sonnet-4-5") == second


def test_build_anthropic_body_is_json_serialisable() -> None:
    body = build_anthropic_body(conversation(WEATHER_PARAMETERS, {}), model="claude-sonnet-4-5")
    assert json.loads(json.dumps(body)) == body


# -- anthropic_error -------------------------------------------------------------------------


def _payload(kind: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    if request_id is not None:
        payload["request_id"] = request_id
    return payload


@pytest.mark.parametrize(
    ("status", "kind", "cls", "retryable"),
    [
        (400, "invalid_request_error", BadRequestError, False),
        (401, "authentication_error", AuthenticationError, False),
        (402, "billing_error", AuthenticationError, False),
        (403, "permission_error", PermissionDeniedError, False),
        (404, "not_found_error", NotFoundError, False),
        (413, "request_too_large", BadRequestError, False),
        (429, "rate_limit_error", RateLimitError, True),
        (500, "api_error", ServerError, True),
        (504, "timeout_error", ServerError, True),
        (529, "overloaded_error", OverloadedError, True),
    ],
)
def test_anthropic_error_maps_each_error_type(
    status: int, kind: str, cls: type[ProviderError], retryable: bool
) -> None:
    payload = _payload(kind, f"{kind} happened", "req_011CSHoEeqs5C35K2UUqR7Fy")
    raw = json.dumps(payload)
    error = anthropic_error(payload, status_code=status, raw=raw)
    assert type(error) is cls
    assert error.retryable is retryable
    assert error.status_code == status
    assert error.code == kind
    assert error.message == f"HTTP {status}: {kind} happened (request req_011CSHoEeqs5C35K2UUqR7Fy)"
    assert error.body == raw
    # the same payload mid-stream (no status) is the same class
    assert type(anthropic_error(payload, raw=raw)) is cls


def test_anthropic_error_keeps_retry_after_on_rate_limit() -> None:
    payload = _payload("rate_limit_error", "Number of request tokens has exceeded your limit")
    error = anthropic_error(payload, status_code=429, retry_after=17.0, raw=json.dumps(payload))
    assert type(error) is RateLimitError
    assert error.retryable
    assert error.retry_after == 17.0


def test_anthropic_error_prefers_the_error_type_over_the_status() -> None:
    """An overloaded_error is an OverloadedError whatever status a proxy put on it."""
    payload = _payload("overloaded_error", "Overloaded")
    assert type(anthropic_error(payload, status_code=500)) is OverloadedError
    assert type(anthropic_error(payload, status_code=200)) is OverloadedError
    assert anthropic_error(payload, status_code=200).status_code is None


def test_anthropic_error_falls_back_to_the_status_for_unknown_types() -> None:
    payload = _payload("brand_new_error", "Something new")
    assert type(anthropic_error(payload, status_code=503)) is OverloadedError
    assert type(anthropic_error(payload, status_code=502)) is ServerError
    assert type(anthropic_error(payload, status_code=418)) is BadRequestError
    unknown = anthropic_error(payload)
    assert type(unknown) is ProviderError
    assert not unknown.retryable


def test_anthropic_error_reads_html_body_without_tag_noise() -> None:
    raw = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    error = anthropic_error(None, status_code=502, raw=raw)
    assert type(error) is ServerError
    assert error.message == "HTTP 502: 502 Bad Gateway"


def test_anthropic_error_without_any_body_still_has_a_message() -> None:
    error = anthropic_error(None, status_code=529, raw="")
    assert type(error) is OverloadedError
    assert error.message == "HTTP 529: no error message"


def test_anthropic_error_folds_body_excerpt() -> None:
    payload = _payload("invalid_request_error", "messages: " + "x" * 300)
    error = anthropic_error(payload, status_code=400, raw=json.dumps(payload, indent=2))
    assert "\n" not in error.body
    assert len(error.body) <= 200


def _fuzzed() -> AnthropicDecoder:
    return AnthropicDecoder(provider="fuzz", requested_model="m")
