"""Tests for `eventide.wire._openai_chat`: the OpenAI Chat Completions stream decoder, the
request body builder and the error mapping.

The recorded transcripts under tests/data/openai_chat/ are byte-exact chunk streams in the
shape of the OpenAI API reference, "The chat completion chunk object" and "Create chat
completion" (platform.openai.com/docs/api-reference/chat, read 2026-12), plus what the
compatible servers (Azure, DeepSeek, OpenRouter, vLLM, Together) send on top of it. Every
expected event list below is written out by hand; the decoder must give exactly that list
whatever the chunk boundaries are. eventide's own encoder (`encode_chat_stream`) drives the
round-trip property, and garbage input may only ever raise `ProtocolError`.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import string
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
from eventide.wire import (
    ChatStyle,
    OpenAIChatDecoder,
    build_chat_body,
    encode_chat_stream,
    normalise_finish_reason,
    openai_error,
)
from tests.conformance.cases import OPENAI_CHAT
from tests.contract import assert_keeps_contract
from tests.strategies import chunked, json_values, or_junk
from tests.wire import harness
from tests.wire.harness import (
    decode_garbage,
    feed_all,
    feed_until_failure,
    one_byte_chunks,
    outcome,
)
from tests.wire.openai_encoder import (
    CallSpec,
    Reasoning,
    Script,
    Step,
    Text,
    ToolPiece,
    script_events,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

DATA = Path(__file__).resolve().parents[1] / "data" / "openai_chat"


# -- helpers -------------------------------------------------------------------------------


# -- the recorded transcripts --------------------------------------------------------------


Transcript = functools.partial(harness.Transcript, OPENAI_CHAT, requested_model="gpt-4o-mini")


FP_4O = {"system_fingerprint": "fp_f9f4fb6dbf"}
FP_MINI = {"system_fingerprint": "fp_06737a9306"}
OPENAI_ZERO_DETAILS = {"cache_read_tokens": 0, "reasoning_tokens": 0}

TRANSCRIPTS = [
    Transcript(
        # No stream_options: no usage key anywhere. Raw UTF-8 (2-, 3- and 4-byte characters)
        # and a raw U+2028, which str.splitlines() would take for a line break.
        "plain_text",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BPlain0Text1x9Kq2Wm4Zr7",
                extra={
                    "x-request-id": "req_8c1f3a0e",
                    **FP_MINI,
                    "created": 1741569952,
                    "service_tier": "default",
                },
            ),
            TextDelta("Bonjour"),
            TextDelta(" \u00e0 tous"),
            TextDelta(" \u2014 \u00e7a va\u2028?"),
            TextDelta(" \U0001f44b"),
            Finish("stop", "stop"),
        ],
        extra={"x-request-id": "req_8c1f3a0e"},
    ),
    Transcript(
        # Structured outputs, refused: the role chunk carries "content": null and
        # "refusal": "", then the refusal streams in delta.refusal (never text); the finish
        # reason is plain "stop" and the usage chunk follows.
        "refusal",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-2024-08-06",
                requested_model="gpt-4o",
                response_id="chatcmpl-BRefu5al7Sx2Qp9Lm4Vt8Nc1",
                extra={**FP_4O, "created": 1741572300, "service_tier": "default"},
            ),
            RefusalDelta("I'm sorry,"),
            RefusalDelta(" I can't help"),
            RefusalDelta(" with that request."),
            Usage(86, 10, 96, **OPENAI_ZERO_DETAILS),
            Finish("stop", "stop"),
        ],
        requested_model="gpt-4o",
    ),
    Transcript(
        # stream_options.include_usage: "usage": null on every chunk, then a last chunk with
        # "choices": [] and the usage object.
        "include_usage",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-2024-08-06",
                requested_model="gpt-4o",
                response_id="chatcmpl-BUsage2Chunk8Hn3Xc5Vb1Lp",
                extra={**FP_4O, "created": 1741570100, "service_tier": "default"},
            ),
            TextDelta("The sky"),
            TextDelta(" is blue"),
            TextDelta(" because of Rayleigh scattering."),
            Usage(1216, 9, 1225, cache_read_tokens=1024, reasoning_tokens=0),
            Finish("stop", "stop"),
        ],
        requested_model="gpt-4o",
    ),
    Transcript(
        # Together / vLLM: usage rides on the finish chunk, without token details, so the
        # cached and reasoning counts stay unknown (None), not zero.
        "usage_on_finish_chunk",
        [
            Metadata(
                provider="together",
                model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
                requested_model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
                response_id="chatcmpl-9f2c4e7a1b3d5f60",
                extra={"created": 1741570200},
            ),
            TextDelta("Paris"),
            TextDelta("."),
            Usage(23, 3, 26),
            Finish("stop", "stop"),
        ],
        provider="together",
        requested_model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    Transcript(
        # Three parallel calls: the first fragment of each has id, type, name and
        # arguments ""; the next ones only index and an arguments piece. Each ToolCall comes as
        # soon as the next call starts, the last one at the finish chunk.
        "tool_calls_parallel",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-2024-08-06",
                requested_model="gpt-4o",
                response_id="chatcmpl-BTools3Par4llelQ8s1Yd6Nf",
                extra={**FP_4O, "created": 1741570300, "service_tier": "default"},
            ),
            ToolCallDelta(0, "call_wX1pQ7sRb2cK9mT4vL0aE3nY", "get_weather", ""),
            ToolCallDelta(0, None, None, '{"lo'),
            ToolCallDelta(0, None, None, "cation"),
            ToolCallDelta(0, None, None, '": "Pa'),
            ToolCallDelta(0, None, None, 'ris"}'),
            ToolCall(0, "call_wX1pQ7sRb2cK9mT4vL0aE3nY", "get_weather", '{"location": "Paris"}'),
            ToolCallDelta(1, "call_Hq5tZ0uJe8rD2kV6yB4gS1oM", "get_weather", ""),
            ToolCallDelta(1, None, None, '{"location"'),
            ToolCallDelta(1, None, None, ': "Tok'),
            ToolCallDelta(1, None, None, 'yo"}'),
            ToolCall(1, "call_Hq5tZ0uJe8rD2kV6yB4gS1oM", "get_weather", '{"location": "Tokyo"}'),
            ToolCallDelta(2, "call_Nc3aF7wG1hP9xL5jU2dI8qR6", "get_time", ""),
            ToolCallDelta(2, None, None, '{"timezone": "Asia/'),
            ToolCallDelta(2, None, None, 'Tokyo"}'),
            ToolCall(2, "call_Nc3aF7wG1hP9xL5jU2dI8qR6", "get_time", '{"timezone": "Asia/Tokyo"}'),
            Usage(82, 63, 145, **OPENAI_ZERO_DETAILS),
            Finish("tool_calls", "tool_calls"),
        ],
        requested_model="gpt-4o",
    ),
    Transcript(
        # A server that repeats type and function name in every fragment: the name is
        # taken once, never concatenated ("search_docssearch_docs...").
        "tool_calls_repeated_name",
        [
            Metadata(
                provider="vllm",
                model="Qwen/Qwen2.5-7B-Instruct",
                requested_model="Qwen/Qwen2.5-7B-Instruct",
                response_id="chatcmpl-5b1e0c9d2a",
                extra={"created": 1741570400},
            ),
            ToolCallDelta(0, "chatcmpl-tool-a1b2c3d4", "search_docs", '{"query": '),
            ToolCallDelta(0, None, None, '"sse framing"'),
            ToolCallDelta(0, None, None, ', "limit": 3}'),
            ToolCall(
                0, "chatcmpl-tool-a1b2c3d4", "search_docs", '{"query": "sse framing", "limit": 3}'
            ),
            ToolCallDelta(1, "chatcmpl-tool-e5f6a7b8", "open_page", '{"url": '),
            ToolCallDelta(1, None, None, '"https://example.org/sse"}'),
            ToolCall(
                1, "chatcmpl-tool-e5f6a7b8", "open_page", '{"url": "https://example.org/sse"}'
            ),
            Finish("tool_calls", "tool_calls"),
        ],
        provider="vllm",
        requested_model="Qwen/Qwen2.5-7B-Instruct",
    ),
    Transcript(
        # DeepSeek: reasoning_content deltas (content null), then content (reasoning_content
        # null); usage on the finish chunk with DeepSeek's extra cache counters.
        "deepseek_reasoning_content",
        [
            Metadata(
                provider="deepseek",
                model="deepseek-reasoner",
                requested_model="deepseek-reasoner",
                response_id="0f3b5c8e-6d2a-4e71-9c4b-1a7d3e9f2b60",
                extra={"system_fingerprint": "fp_5417b77867_prod0225", "created": 1741570500},
            ),
            ReasoningDelta("Compare"),
            ReasoningDelta(" 9.11 and 9.8:"),
            ReasoningDelta(" 0.8 > 0.11."),
            TextDelta("9.8"),
            TextDelta(" is larger."),
            Usage(15, 120, 135, cache_read_tokens=0, reasoning_tokens=104),
            Finish("stop", "stop"),
        ],
        provider="deepseek",
        requested_model="deepseek-reasoner",
    ),
    Transcript(
        # OpenRouter: ": OPENROUTER PROCESSING" comments before and between events,
        # "reasoning" deltas, then a usage chunk whose choice has finish_reason null again.
        "openrouter_reasoning",
        [
            Metadata(
                provider="openrouter",
                model="deepseek/deepseek-r1",
                requested_model="deepseek/deepseek-r1",
                response_id="gen-1741570600-Zq8vT2mXk4RbN6pYs1Lc",
                extra={"created": 1741570600},
            ),
            ReasoningDelta("The user"),
            ReasoningDelta(" says hello."),
            TextDelta("Hi"),
            TextDelta("! How can I help?"),
            Usage(9, 41, 50, cache_read_tokens=0, reasoning_tokens=33),
            Finish("stop", "stop"),
        ],
        provider="openrouter",
        requested_model="deepseek/deepseek-r1",
    ),
    Transcript(
        # Azure: a placeholder first chunk (model "", id "", choices [], prompt filter
        # results) carries no event; Metadata waits for the first chunk that names a model.
        "azure_placeholder",
        [
            Metadata(
                provider="azure",
                model="gpt-4o-2024-11-20",
                requested_model="my-gpt-4o-deployment",
                response_id="chatcmpl-BAzure8Pl4ceh0lderVx2Tq",
                extra={"system_fingerprint": "fp_ee1d74bde0", "created": 1741570700},
            ),
            TextDelta("Hello"),
            TextDelta(" from Azure."),
            Finish("stop", "stop"),
        ],
        provider="azure",
        requested_model="my-gpt-4o-deployment",
    ),
    Transcript(
        # CRLF line ends throughout, one event over two data: lines; a JSON-escaped CRLF in
        # the text stays text.
        "crlf",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BCrlf9Fr4m1ngDe3Wq7Ha",
                extra={"created": 1741570800},
            ),
            TextDelta("Hel"),
            TextDelta("lo"),
            TextDelta("\r\nworld"),
            Finish("stop", "stop"),
        ],
    ),
    Transcript(
        # "data:{...}": the space after the colon is optional in SSE.
        "data_no_space",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BNoSp4ce0Dat4Lk2Jn8Mb",
                extra={"created": 1741570900},
            ),
            TextDelta(" Leading space kept"),
            TextDelta("."),
            Finish("stop", "stop"),
        ],
    ),
    Transcript(
        # One JSON object over two, then three, data: lines; SSE joins them with LF, which
        # is JSON whitespace.
        "multiline_data",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BMult1L1neDataRt5Gh0Uv",
                extra={"created": 1741571000},
            ),
            TextDelta("Split"),
            TextDelta(" lines"),
            Finish("stop", "stop"),
        ],
    ),
    Transcript(
        "finish_length",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BLength17MaxT0kensZ3",
                extra={**FP_MINI, "created": 1741571600, "service_tier": "default"},
            ),
            TextDelta("Once upon a time, in a"),
            TextDelta(" land far"),
            Usage(12, 8, 20, **OPENAI_ZERO_DETAILS),
            Finish("length", "length"),
        ],
    ),
    Transcript(
        "finish_content_filter",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-2024-08-06",
                requested_model="gpt-4o",
                response_id="chatcmpl-BF1lter18C0ntentXq4",
                extra={**FP_4O, "created": 1741571700},
            ),
            TextDelta("Here is how"),
            Finish("content_filter", "content_filter"),
        ],
        requested_model="gpt-4o",
    ),
    Transcript(
        # "usage": null on every chunk and no usage chunk: the usage is unknown, so there is
        # no Usage event at all (unknown is not zero).
        "no_usage",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BNoUs4ge19Rep0rtedYt7",
                extra={"created": 1741571800},
            ),
            TextDelta("No"),
            TextDelta(" numbers."),
            Finish("stop", "stop"),
        ],
    ),
    Transcript(
        # A finish_reason, then a clean end of the body without [DONE]: a complete answer
        # (docs/providers.md, "When a stream is complete").
        "finish_without_done",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BTrunc4ted4fterF1n1sh",
                extra={"created": 1741571400},
            ),
            TextDelta("Done"),
            Finish("stop", "stop"),
        ],
    ),
    Transcript(
        # Captured from Hugging Face `transformers serve` 5.25.0: the finish chunk and the
        # usage chunk, then the chunked body ends cleanly, never a [DONE].
        "transformers_serve_without_done",
        [
            Metadata(
                provider="transformers",
                model="models/tiny-hf",
                requested_model="tiny-hf",
                response_id="fecaba22-dd3f-4405-b8e6-62847e0ddbf1",
                extra={"created": 1796413029},
            ),
            ReasoningDelta("Let"),
            ReasoningDelta(" me"),
            ReasoningDelta(" think"),
            ReasoningDelta(" briefly"),
            TextDelta("\n\nHello"),
            TextDelta(","),
            TextDelta(" world"),
            TextDelta("!"),
            TextDelta(" The sky"),
            TextDelta(" is"),
            TextDelta(" blue"),
            TextDelta("."),
            TextDelta(" \u2728"),
            Usage(21, 21, 42),
            Finish("stop", "stop"),
        ],
        provider="transformers",
        requested_model="tiny-hf",
    ),
    Transcript(
        # Gemini's OpenAI-compatible endpoint: each call whole, with an id and no index (two
        # in one delta), a later entry that only carries the thought signature of a call,
        # and finish_reason "stop" for a tool-call answer.
        "gemini_compat_tool_calls_no_index",
        [
            Metadata(
                provider="gemini",
                model="gemini-2.5-flash",
                requested_model="gemini-2.5-flash",
                extra={"created": 1764892800},
            ),
            ToolCallDelta(0, "function-call-5830192746", "get_weather", '{"location":"Paris"}'),
            ToolCall(0, "function-call-5830192746", "get_weather", '{"location":"Paris"}'),
            ToolCallDelta(1, "function-call-5830192747", "get_weather", '{"location":"Tokyo"}'),
            ToolCall(1, "function-call-5830192747", "get_weather", '{"location":"Tokyo"}'),
            ToolCallDelta(2, "function-call-5830192748", "get_time", '{"timezone":"Asia/Tokyo"}'),
            ToolCall(2, "function-call-5830192748", "get_time", '{"timezone":"Asia/Tokyo"}'),
            Usage(96, 41, 137),
            Finish("stop", "stop"),
        ],
        provider="gemini",
        requested_model="gemini-2.5-flash",
    ),
    Transcript(
        # A mock server: fragments without index, each repeating the id, type and name: one
        # call per id, its arguments joined, its name taken once.
        "tool_calls_no_index_repeated_id",
        [
            Metadata(
                provider="mock",
                model="mock-gpt",
                requested_model="mock-gpt",
                response_id="chatcmpl-mock-7f3a9c",
                extra={"created": 1764892800},
            ),
            ToolCallDelta(0, "call_a1", "search_docs", '{"query": '),
            ToolCallDelta(0, None, None, '"sse framing"'),
            ToolCallDelta(0, None, None, ', "limit": 3}'),
            ToolCall(0, "call_a1", "search_docs", '{"query": "sse framing", "limit": 3}'),
            ToolCallDelta(1, "call_b2", "open_page", '{"url": '),
            ToolCallDelta(1, None, None, '"https://example.org/sse"}'),
            ToolCall(1, "call_b2", "open_page", '{"url": "https://example.org/sse"}'),
            Finish("tool_calls", "tool_calls"),
        ],
        provider="mock",
        requested_model="mock-gpt",
    ),
    Transcript(
        # A proxy in front of Gemini: no index; the first fragment of a call has its id and
        # name, the later ones an empty id and type: they continue the last call started.
        "tool_calls_no_index_continuations",
        [
            Metadata(
                provider="proxy",
                model="gemini-2.0-flash",
                requested_model="gemini-2.0-flash",
                response_id="chatcmpl-proxy-19d2e4",
                extra={"created": 1764892800},
            ),
            TextDelta("Saving both."),
            ToolCallDelta(0, "call_m1", "memory_save", '{"content":'),
            ToolCallDelta(0, None, None, '"likes tea",'),
            ToolCallDelta(0, None, None, '"tags":"food"}'),
            ToolCall(0, "call_m1", "memory_save", '{"content":"likes tea","tags":"food"}'),
            ToolCallDelta(1, "call_m2", "memory_save", ""),
            ToolCallDelta(1, None, None, '{"content":"lives in Lyon","tags":"home"}'),
            ToolCall(1, "call_m2", "memory_save", '{"content":"lives in Lyon","tags":"home"}'),
            Finish("tool_calls", "tool_calls"),
        ],
        provider="proxy",
        requested_model="gemini-2.0-flash",
    ),
    Transcript(
        # A server whose first content chunk has an empty model, and whose later chunks name
        # the served one: Metadata (which cannot wait past content) has the requested model,
        # and Finish.model the served one.
        "model_named_late",
        [
            Metadata(
                provider="openai",
                model="qwen2.5-7b",
                requested_model="qwen2.5-7b",
                response_id="chatcmpl-9Lt3M0d3lN4m3dL4te",
                extra={"created": 1764880000},
            ),
            TextDelta("Hi"),
            TextDelta(" there."),
            Usage(9, 3, 12),
            Finish("stop", "stop", model="qwen2.5-7b-instruct-q4_k_m"),
        ],
        requested_model="qwen2.5-7b",
    ),
]

FAILING_TRANSCRIPTS = [
    Transcript(
        # OpenAI's in-stream error object after two text chunks; "code": null, so the kind
        # comes from "type": "server_error".
        "error_mid_stream",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-2024-08-06",
                requested_model="gpt-4o",
                response_id="chatcmpl-BErr0rM1dStre4mKp6Ts",
                extra={**FP_4O, "created": 1741571100},
            ),
            TextDelta("The answer"),
            TextDelta(" is"),
        ],
        requested_model="gpt-4o",
        error=ServerError,
    ),
    Transcript(
        # OpenRouter's in-stream error: the upstream HTTP status rides in a numeric "code".
        "error_openrouter_502",
        [
            Metadata(
                provider="openrouter",
                model="anthropic/claude-3.5-sonnet",
                requested_model="anthropic/claude-3.5-sonnet",
                response_id="gen-1741571200-Ab3dE5gH7jK9mN1pQ3sT",
                extra={"created": 1741571200},
            ),
            TextDelta("Let me"),
            TextDelta(" think"),
        ],
        provider="openrouter",
        requested_model="anthropic/claude-3.5-sonnet",
        error=ServerError,
    ),
    Transcript(
        # The body stops in the middle of a data line: the cut event is dropped.
        "truncated_mid_event",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BTrunc4tedM1dEv3ntQa2",
                extra={"created": 1741571300},
            ),
            TextDelta("Once upon"),
            TextDelta(" a time"),
        ],
        error=ProtocolError,
    ),
    Transcript(
        # The body ended cleanly on an event boundary, but before any finish_reason.
        "truncated_before_finish",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BTrunc4tedB4F1n1shX",
                extra={"created": 1741571400},
            ),
            TextDelta("Done"),
        ],
        error=ProtocolError,
    ),
    Transcript(
        # A finish_reason came, then the body stopped in the middle of the usage chunk: an
        # event cut short is a truncation even after the finish.
        "truncated_mid_event_after_finish",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BCutUs4ge4fterF1n1sh",
                extra={"created": 1741571400},
            ),
            TextDelta("Done"),
        ],
        error=ProtocolError,
    ),
    Transcript(
        # A data line that is not JSON after "Hello"; the valid chunks after it never count.
        "invalid_json",
        [
            Metadata(
                provider="openai",
                model="gpt-4o-mini-2024-07-18",
                requested_model="gpt-4o-mini",
                response_id="chatcmpl-BInv4l1dJs0nL1neWe9Rx",
                extra={"created": 1741571500},
            ),
            TextDelta("Hello"),
        ],
        error=ProtocolError,
    ),
]


def _failure(name: str) -> Error:
    transcript = next(t for t in FAILING_TRANSCRIPTS if t.name == name)
    return feed_until_failure(transcript.decoder(), [transcript.wire])[1]


def test_openai_decoder_reports_in_stream_server_error_payload() -> None:
    error = _failure("error_mid_stream")
    assert isinstance(error, ServerError)
    assert error.retryable
    assert error.code == "server_error"
    assert error.status_code is None
    assert "The server had an error while processing your request" in error.message


def test_openai_decoder_reads_openrouter_numeric_error_code_as_status() -> None:
    error = _failure("error_openrouter_502")
    assert isinstance(error, ServerError)
    assert error.status_code == 502
    assert "Provider returned error" in error.message


# The failing transcripts cut before the terminal event, and what end() says of each
# (tests/wire/test_decoders.py).
TRUNCATED = {
    "truncated_mid_event": "truncated",
    "truncated_before_finish": r"ended before \[DONE\] or a finish_reason: the response is",
    "truncated_mid_event_after_finish": "in the middle of an event",
}


def test_openai_decoder_excerpts_invalid_json_line() -> None:
    error = _failure("invalid_json")
    assert isinstance(error, ProtocolError)
    assert "wor" in error.excerpt


# -- the terminal event, metadata and smaller rules ----------------------------------------


# A complete body, and bytes after its terminal event (tests/wire/test_decoders.py).
AFTER_THE_END = (
    "plain_text",
    b'data: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\ndata: {oops\n\n',
)


def test_openai_decoder_is_not_done_before_done_line() -> None:
    wire = (DATA / "plain_text.sse").read_bytes()
    decoder = TRANSCRIPTS[0].decoder()
    decoder.feed(wire[: wire.index(b"data: [DONE]")])
    assert not decoder.done


@pytest.mark.parametrize("after", [b" ", b"\t", b"  "], ids=["space", "tab", "spaces"])
def test_openai_decoder_ends_at_a_done_line_with_white_space_after_it(after: bytes) -> None:
    """openai-python stops at any data that starts with [DONE]."""
    wire = (DATA / "plain_text.sse").read_bytes()
    spaced = wire.replace(b"data: [DONE]", b"data: [DONE]" + after)
    assert spaced != wire
    decoder = TRANSCRIPTS[0].decoder()
    assert feed_all(decoder, [spaced]) == feed_all(TRANSCRIPTS[0].decoder(), [wire])
    assert decoder.done


def test_openai_decoder_sends_requested_model_when_no_chunk_names_one() -> None:
    wire = (
        b'data: {"id":"resp-1","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
        b"data: [DONE]\n\n"
    )
    decoder = OpenAIChatDecoder(provider="local", requested_model="my-model")
    assert feed_all(decoder, [wire]) == [
        Metadata(
            provider="local", model="my-model", requested_model="my-model", response_id="resp-1"
        ),
        TextDelta("Hi"),
        Finish("stop", "stop"),
    ]


def test_openai_decoder_sends_metadata_and_finish_for_a_bare_done() -> None:
    decoder = OpenAIChatDecoder(provider="local", requested_model="m")
    assert feed_all(decoder, [b"data: [DONE]\n\n"]) == [
        Metadata(provider="local", model="m", requested_model="m"),
        Finish("other", None),
    ]


def _calls(*fragments: dict[str, Any]) -> bytes:
    """A body of one tool-call fragment per chunk, then the finish and [DONE]."""
    chunks = [
        {"model": "m", "choices": [{"index": 0, "delta": {"tool_calls": [f]}}]} for f in fragments
    ]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    return (
        b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    )


def _tool_calls(wire: bytes, *, interleaved_tool_calls: bool = False) -> list[ToolCall]:
    """The `ToolCall` events of `wire`, the same whole and one byte at a time."""
    whole, bytewise = (
        [
            e
            for e in feed_all(
                OpenAIChatDecoder(
                    provider="p",
                    requested_model="m",
                    interleaved_tool_calls=interleaved_tool_calls,
                ),
                chunks,
            )
            if isinstance(e, ToolCall)
        ]
        for chunks in ([wire], one_byte_chunks(wire))
    )
    assert whole == bytewise
    return whole


def test_openai_decoder_starts_a_call_from_a_first_fragment_without_index_or_id() -> None:
    wire = _calls(
        {"function": {"name": "f", "arguments": '{"a":'}}, {"function": {"arguments": "1}"}}
    )
    assert _tool_calls(wire) == [ToolCall(0, "call_0", "f", '{"a":1}')]


def test_openai_decoder_continues_the_call_of_a_known_id_without_index() -> None:
    """A known id continues its call: with interleaved_tool_calls=True, a fragment for x
    after y began; by default the same stream is an error naming the call, not a call x
    whose last fragment is lost."""
    wire = _calls(
        {"id": "x", "function": {"name": "f", "arguments": "{"}},
        {"id": "y", "function": {"name": "g", "arguments": "{}"}},
        {"id": "x", "function": {"name": "f", "arguments": "}"}},
    )
    assert _tool_calls(wire, interleaved_tool_calls=True) == [
        ToolCall(0, "x", "f", "{}"),
        ToolCall(1, "y", "g", "{}"),
    ]
    with pytest.raises(ProtocolError, match=r"tool call 0 \(f\) .* interleaves"):
        _tool_calls(wire)


def test_openai_decoder_continues_the_last_call_from_a_fragment_without_id_or_index() -> None:
    wire = _calls(
        {"id": "x", "function": {"name": "f", "arguments": "{}"}},
        {"id": "y", "function": {"name": "g", "arguments": "{"}},
        {"id": "", "function": {"arguments": '"b":2'}},
        {"function": {"arguments": "}"}},
    )
    assert _tool_calls(wire) == [ToolCall(0, "x", "f", "{}"), ToolCall(1, "y", "g", '{"b":2}')]


def test_openai_decoder_follows_only_the_first_choice() -> None:
    """With n > 1, choices other than index 0 are not mixed into the answer."""
    wire = (
        b'data: {"id":"c","model":"m","choices":['
        b'{"index":1,"delta":{"content":"B"},"finish_reason":null},'
        b'{"index":0,"delta":{"content":"A"},"finish_reason":null}]}\n\n'
        b'data: {"id":"c","model":"m","choices":'
        b'[{"index":1,"delta":{},"finish_reason":"length"}]}\n\n'
        b'data: {"id":"c","model":"m","choices":'
        b'[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
        b"data: [DONE]\n\n"
    )
    decoder = OpenAIChatDecoder(provider="p", requested_model="m")
    assert feed_all(decoder, [wire]) == [
        Metadata(provider="p", model="m", requested_model="m", response_id="c"),
        TextDelta("A"),
        Finish("stop", "stop"),
    ]


def test_openai_decoder_reads_groq_usage_from_x_groq() -> None:
    wire = (
        b'data: {"id":"chatcmpl-g","model":"llama-3.1-8b-instant","choices":[{"index":0,'
        b'"delta":{"content":"Hi"},"finish_reason":null}],"x_groq":{"id":"req_01"}}\n\n'
        b'data: {"id":"chatcmpl-g","model":"llama-3.1-8b-instant","choices":[{"index":0,'
        b'"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_01","usage":'
        b'{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}}}\n\n'
        b"data: [DONE]\n\n"
    )
    events = feed_all(OpenAIChatDecoder(provider="groq", requested_model="llama"), [wire])
    assert [e for e in events if isinstance(e, Usage)] == [Usage(11, 2, 13)]


def test_openai_decoder_skips_unknown_event_types() -> None:
    wire = (
        b'event: ping\ndata: {"model":"m","choices":[{"index":0,"delta":{"content":"no"}}]}\n\n'
        b'data: {"model":"m","choices":[{"index":0,"delta":{"content":"yes"}}]}\n\n'
        b"data: [DONE]\n\n"
    )
    events = feed_all(OpenAIChatDecoder(provider="p", requested_model="m"), [wire])
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("yes")]


def test_openai_decoder_raises_provider_error_for_error_event_type() -> None:
    wire = (
        b'data: {"model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
        b'event: error\ndata: {"message":"overloaded, try later"}\n\n'
    )
    events, error = feed_until_failure(OpenAIChatDecoder(provider="p", requested_model="m"), [wire])
    assert isinstance(error, ProviderError)
    assert "overloaded, try later" in error.message
    assert events == [Metadata(provider="p", model="m", requested_model="m"), TextDelta("a")]


# -- bounded buffer --------------------------------------------------------------------------

HI_EVENT = b'data: {"model":"m","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'


@pytest.mark.parametrize("one_byte", [False, True], ids=["whole", "one-byte"])
def test_openai_decoder_rejects_event_over_max_event_bytes(one_byte: bool) -> None:
    wire = b"data: " + b"x" * 500 + b"\n\n"
    decoder = OpenAIChatDecoder(provider="p", requested_model="m", max_event_bytes=256)
    with pytest.raises(ProtocolError):
        feed_all(decoder, one_byte_chunks(wire) if one_byte else [wire])


@pytest.mark.parametrize(
    "oversized",
    [b"data: " + b"x" * 500 + b"\n\n", b"data: " + b"x" * 500],
    ids=["terminated", "unterminated"],
)
def test_openai_decoder_keeps_events_before_an_oversized_event(oversized: bytes) -> None:
    """An event decoded before the oversized one is still delivered, however the body was
    cut: here the whole body arrives in one chunk, as it would from a fast server."""
    expected = [Metadata(provider="p", model="m", requested_model="m"), TextDelta("hi")]
    for chunks in ([HI_EVENT, oversized], [HI_EVENT + oversized]):
        decoder = OpenAIChatDecoder(provider="p", requested_model="m", max_event_bytes=256)
        events, error = feed_until_failure(decoder, chunks)
        assert isinstance(error, ProtocolError)
        assert events == expected, f"chunks of sizes {[len(c) for c in chunks]}"


_CAPPED_VALUE = b'{"model":"m","choices":[{"index":0,"delta":{"content":"hi"}}]}'


@pytest.mark.parametrize(
    ("wire", "cap"),
    [
        # a keep-alive comment longer than the cap, then a small event
        (b": " + b"k" * 100 + b"\n\n" + HI_EVENT + b"data: [DONE]\n\n", 90),
        # a data value of exactly the cap
        (b"data: " + _CAPPED_VALUE + b"\n\ndata: [DONE]\n\n", len(_CAPPED_VALUE)),
    ],
    ids=["long-comment", "value-at-cap"],
)
def test_openai_decoder_applies_max_event_bytes_whatever_the_chunking(
    wire: bytes, cap: int
) -> None:
    """The size cap gives the same outcome whether the body came whole or a byte at a time."""
    whole = outcome(
        OpenAIChatDecoder(provider="p", requested_model="m", max_event_bytes=cap), [wire]
    )
    one_byte = outcome(
        OpenAIChatDecoder(provider="p", requested_model="m", max_event_bytes=cap),
        one_byte_chunks(wire),
    )
    assert one_byte == whole


# -- garbage in: only ProtocolError out ------------------------------------------------------


# Pieces of this API's stream, for garbage that looks like it (tests/wire/test_decoders.py).
SPRINKLES = [
    b"data: ",
    b"data:",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"data: [DONE]\n\n",
    b"{",
    b"}",
    b'"',
    b"[]",
    b'{"choices":[{"delta":{"content":"x"}}]}',
    b'"model":"m"',
    b'"tool_calls":[{"index":0',
    b": OPENROUTER PROCESSING\n\n",
]


_FUNCTION = st.fixed_dictionaries(
    {}, optional={"name": or_junk(st.text(max_size=5)), "arguments": or_junk(st.text(max_size=5))}
)
_TOOL_CALL = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.integers(0, 3)),
        "id": or_junk(st.text(max_size=5)),
        "type": st.just("function"),
        "function": or_junk(_FUNCTION),
    },
)
_DELTA = st.fixed_dictionaries(
    {},
    optional={
        "role": st.just("assistant"),
        "content": or_junk(st.text(max_size=5)),
        "reasoning_content": or_junk(st.text(max_size=5)),
        "reasoning": or_junk(st.text(max_size=5)),
        "tool_calls": or_junk(st.lists(or_junk(_TOOL_CALL), max_size=3)),
    },
)
_CHOICE = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.integers(0, 2)),
        "delta": or_junk(_DELTA),
        "finish_reason": or_junk(st.sampled_from(["stop", "length", "tool_calls"])),
    },
)
_USAGE = st.fixed_dictionaries(
    {},
    optional={
        "prompt_tokens": or_junk(st.integers(0, 9)),
        "completion_tokens": or_junk(st.integers(0, 9)),
        "prompt_tokens_details": or_junk(st.fixed_dictionaries({"cached_tokens": json_values})),
        "completion_tokens_details": or_junk(
            st.fixed_dictionaries({"reasoning_tokens": json_values})
        ),
    },
)
# Chunk-shaped objects with wrong types anywhere; never an "error" key, so no ProviderError.
_CHUNK = st.fixed_dictionaries(
    {},
    optional={
        "id": or_junk(st.text(max_size=5)),
        "model": or_junk(st.text(max_size=5)),
        "system_fingerprint": json_values,
        "choices": or_junk(st.lists(or_junk(_CHOICE), max_size=3)),
        "usage": or_junk(_USAGE),
        "x_groq": or_junk(st.fixed_dictionaries({"usage": or_junk(_USAGE)})),
    },
)


@given(
    chunks=st.lists(or_junk(_CHUNK), max_size=5),
    done=st.booleans(),
    one_byte=st.booleans(),
)
@example(chunks=[{"choices": "abc"}], done=True, one_byte=False)
@example(chunks=[{"choices": {"0": {}}}], done=True, one_byte=False)
@example(chunks=[{"choices": [7]}], done=True, one_byte=False)
@example(chunks=[{"choices": [{"delta": "text"}]}], done=True, one_byte=False)
@example(chunks=[{"choices": [{"delta": {"tool_calls": 5}}]}], done=True, one_byte=False)
@example(
    chunks=[{"choices": [{"delta": {"tool_calls": [{"function": "f"}]}}]}],
    done=True,
    one_byte=False,
)
def test_openai_decoder_raises_only_protocol_error_on_misshapen_chunks(
    chunks: list[Any], done: bool, one_byte: bool
) -> None:
    """Valid JSON of the wrong shape (a string where a list belongs, ...) is skipped or a
    ProtocolError; never an AttributeError, TypeError or KeyError."""
    wire = b"".join(b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks)
    if done:
        wire += b"data: [DONE]\n\n"
    assert_keeps_contract(
        decode_garbage(_fuzzed(), one_byte_chunks(wire) if one_byte else [wire]), complete=None
    )


# -- round trip through eventide's encoder ----------------------------------------------------

# The provider's word and what it must become (OpenAI's five, and a few compatible servers').
FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "function_call": "tool_calls",
    "eos": "stop",
    "end_turn": "stop",
    "max_tokens": "length",
    "error": "error",
    "recitation": "other",
}

_ALNUM = string.ascii_letters + string.digits
_PIECE = st.text(min_size=1, max_size=12)  # hypothesis text: any code point but surrogates


@st.composite
def _fragments(draw: st.DrawFn, arguments: str) -> list[str]:
    """`arguments` cut into pieces: the first may be "" (OpenAI's), the rest are not."""
    cuts = draw(st.lists(st.integers(1, max(len(arguments) - 1, 1)), max_size=4))
    bounds = sorted({0, len(arguments), *(c for c in cuts if c < len(arguments))})
    pieces = [arguments[a:b] for a, b in itertools.pairwise(bounds)]
    return ([""] if draw(st.booleans()) else []) + pieces


@st.composite
def scripts(draw: st.DrawFn) -> tuple[Script, list[list[str]]]:
    """A script and, per tool call, its argument fragments in order."""
    texts = draw(st.lists(_PIECE, max_size=5))
    thoughts = draw(st.lists(_PIECE, max_size=4))
    ids = draw(st.lists(st.text(_ALNUM, min_size=4, max_size=10), max_size=3, unique=True))
    calls = tuple(
        CallSpec("call_" + call_id, draw(st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True)))
        for call_id in ids
    )
    fragments = []
    for _ in calls:
        arguments = json.dumps(
            draw(
                st.dictionaries(
                    st.text(max_size=5),
                    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    max_size=3,
                )
            ),
            ensure_ascii=draw(st.booleans()),
        )
        fragments.append(draw(_fragments(arguments)))

    labels = ["t"] * len(texts) + ["r"] * len(thoughts)
    for index, pieces in enumerate(fragments):
        labels += [str(index)] * len(pieces)
    order = draw(st.permutations(labels))
    # Each call's fragments together and the calls in index order, as servers send them
    # (interleaved calls: tests/wire/test_tool_call_order.py); text and reasoning anywhere.
    calls_in_order = iter(sorted((label for label in order if label not in "tr"), key=int))
    order = [label if label in "tr" else next(calls_in_order) for label in order]
    text_iter, thought_iter = iter(texts), iter(thoughts)
    fragment_iters = [iter(pieces) for pieces in fragments]
    steps: list[Step] = []
    for label in order:
        if label == "t":
            steps.append(Text(next(text_iter)))
        elif label == "r":
            steps.append(Reasoning(next(thought_iter)))
        else:
            steps.append(ToolPiece(int(label), next(fragment_iters[int(label)])))
    counts = st.integers(0, 10**7)
    usage = draw(
        st.none()
        | st.builds(
            Usage,
            input_tokens=counts,
            output_tokens=counts,
            total_tokens=st.none() | counts,
            cache_read_tokens=st.none() | counts,
            reasoning_tokens=st.none() | counts,
        )
    )
    finish = draw(st.sampled_from(sorted(FINISH_REASONS)))
    return Script(tuple(steps), calls, usage, finish), fragments


styles = st.builds(
    ChatStyle,
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    data_prefix=st.sampled_from(["data: ", "data:"]),
    keepalive=st.none() | st.just("OPENROUTER PROCESSING"),
    multiline=st.booleans(),
    ascii_only=st.booleans(),
    placeholder=st.booleans(),
    role_chunk=st.booleans(),
    usage_on_finish=st.booleans(),
    null_usage=st.booleans(),
    reasoning_field=st.sampled_from(["reasoning_content", "reasoning"]),
    repeat_name=st.booleans(),
)


@given(data=st.data())
def test_openai_decoder_round_trips_encoded_streams(data: st.DataObject) -> None:
    """Whatever the model said, and however the server framed and the network cut it,
    decoding gives back exactly what was said."""
    script, fragments = data.draw(scripts(), label="script")
    style = data.draw(styles, label="style")
    fingerprint = data.draw(st.none() | st.just("fp_0123abcd"), label="fingerprint")
    response_id = "chatcmpl-" + data.draw(st.text(_ALNUM, min_size=1, max_size=12), label="id")
    model = data.draw(st.sampled_from(["gpt-4o-mini-2024-07-18", "deepseek-chat", "\u00e9-m"]))
    metadata = Metadata(
        provider="openai",
        model=model,
        requested_model="gpt-4o-mini",
        response_id=response_id,
        extra={} if fingerprint is None else {"system_fingerprint": fingerprint},
    )
    expected = script_events(script, metadata)
    wire = encode_chat_stream(expected, style=style)
    if data.draw(st.booleans(), label="one byte at a time"):
        chunks = one_byte_chunks(wire)
    else:
        chunks = chunked(wire, data.draw(st.lists(st.integers(0, len(wire)), max_size=30)))

    decoder = OpenAIChatDecoder(provider="openai", requested_model="gpt-4o-mini")
    events = feed_all(decoder, chunks)

    # The contract, stated plainly ...
    assert events[0] == metadata
    assert [type(e) for e in events].count(Metadata) == 1
    assert events[-1] == Finish(FINISH_REASONS[script.finish_reason], script.finish_reason)
    said = [s.text for s in script.steps if isinstance(s, Text)]
    thought = [s.text for s in script.steps if isinstance(s, Reasoning)]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "".join(said)
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "".join(thought)
    assert [e for e in events if isinstance(e, ToolCall)] == [
        ToolCall(index, call.id, call.name, "".join(fragments[index]))
        for index, call in enumerate(script.calls)
    ]
    usages = [e for e in events if isinstance(e, Usage)]
    assert usages == ([] if script.usage is None else [script.usage])
    # ... and the exact sequence, event by event.
    assert events == expected
    assert decoder.done


# -- build_chat_body -------------------------------------------------------------------------


def make_request(**fields: Any) -> Request:
    """`Request(**fields)`, untyped: `converter=tuple` on `Request.tools` and `Request.stop`
    gives them the parameter type ``Iterable[_T_co]`` under mypy's attrs plugin, which no
    argument satisfies, so a typed call with tools= or stop= does not type-check."""
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
            Message.user("Weather in Paris?"),
            Message.assistant(
                tool_calls=[ToolCall(0, "call_1", "get_weather", '{"city": "Paris"}')]
            ),
            Message.tool("call_1", '{"temp_c": 18}', name="get_weather"),
            Message.assistant("18 \u00b0C in Paris."),
            Message.user(
                [
                    TextPart("And is this sky blue?"),
                    ImagePart(url="https://example.org/sky.png"),
                    ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
                ]
            ),
        ],
        model="gpt-4o",
        tools=[ToolSpec("get_weather", "Current weather for a city.", parameters)],
        tool_choice="get_weather",
        temperature=0.7,
        max_tokens=256,
        top_p=0.9,
        stop=["\n\n"],
        seed=7,
        extra=extra,
    )


def test_build_chat_body_writes_every_part_of_a_request() -> None:
    """System, multi-turn, assistant tool calls, tool results, image URL and base64 parts,
    tools, a named tool_choice and sampling options; `extra` is merged last and wins."""
    extra = {"user": "user-42", "temperature": 0.0, "parallel_tool_calls": False}
    body = build_chat_body(full_request(WEATHER_PARAMETERS, extra), model="gpt-4o-2024-08-06")
    assert body == {
        "model": "gpt-4o-2024-08-06",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "content": '{"temp_c": 18}', "tool_call_id": "call_1"},
            {"role": "assistant", "content": "18 \u00b0C in Paris."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "And is this sky blue?"},
                    {"type": "image_url", "image_url": {"url": "https://example.org/sky.png"}},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                    },
                ],
            },
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather for a city.",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
                        "required": ["city"],
                    },
                },
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "temperature": 0.0,
        "max_tokens": 256,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["\n\n"],
        "user": "user-42",
        "parallel_tool_calls": False,
    }


def test_build_chat_body_streams_with_usage_and_omits_unset_options() -> None:
    body = build_chat_body(Request(messages=[Message.user("Hi")]), model="gpt-4o-mini")
    assert body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_build_chat_body_keeps_assistant_text_beside_tool_calls() -> None:
    message = Message.assistant("Let me check.", tool_calls=[ToolCall(0, "call_9", "f", "{}")])
    body = build_chat_body(Request(messages=[Message.user("q"), message]), model="m")
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_build_chat_body_passes_tool_choice_keywords_through(choice: str) -> None:
    request = make_request(messages=[Message.user("q")], tools=[ToolSpec("f")], tool_choice=choice)
    assert build_chat_body(request, model="m")["tool_choice"] == choice


def test_build_chat_body_does_not_mutate_the_request() -> None:
    parameters = copy.deepcopy(WEATHER_PARAMETERS)
    extra: dict[str, Any] = {"user": "user-42", "metadata": {"trace": "t-1"}}
    request = full_request(parameters, extra)
    snapshot = copy.deepcopy(request)

    first = build_chat_body(request, model="gpt-4o")
    second = build_chat_body(request, model="gpt-4o")

    assert parameters == WEATHER_PARAMETERS
    assert extra == {"user": "user-42", "metadata": {"trace": "t-1"}}
    assert request == snapshot
    assert first == second
    # The body is the caller's to change: its top level shares nothing with the request.
    first["messages"].append({"role": "user", "content": "more"})
    first["stop"].append("END")
    first["user"] = "someone-else"
    assert request == snapshot
    assert build_chat_body(request, model="gpt-4o") == second


def test_build_chat_body_is_json_serialisable() -> None:
    body = build_chat_body(full_request(WEATHER_PARAMETERS, {"user": "u"}), model="gpt-4o")
    assert json.loads(json.dumps(body)) == body


def test_build_chat_body_serialises_read_only_tool_parameters() -> None:
    """`ToolSpec.parameters` is any Mapping: a read-only one must still give a JSON body."""
    frozen = MappingProxyType({"type": "object", "properties": {}})
    request = make_request(messages=[Message.user("q")], tools=[ToolSpec("f", parameters=frozen)])
    body = build_chat_body(request, model="m")
    assert json.loads(json.dumps(body))["tools"][0]["function"]["parameters"] == {
        "type": "object",
        "properties": {},
    }


# -- openai_error ----------------------------------------------------------------------------


def _payload(message: str, type_: str | None, code: str | int | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (
            400,
            _payload("Invalid 'messages': empty array.", "invalid_request_error", None),
            BadRequestError,
        ),
        (
            401,
            _payload(
                "Incorrect API key provided: sk-proj-****abcd.",
                "invalid_request_error",
                "invalid_api_key",
            ),
            AuthenticationError,
        ),
        (
            404,
            _payload(
                "The model `gpt-5-nano-x` does not exist.",
                "invalid_request_error",
                "model_not_found",
            ),
            NotFoundError,
        ),
        (
            500,
            _payload("The server had an error processing your request.", "server_error", None),
            ServerError,
        ),
        (502, _payload("Bad gateway.", "cf_bad_gateway", 502), ServerError),
        (
            503,
            _payload("The engine is currently overloaded.", "server_error", None),
            OverloadedError,
        ),
        (
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            OverloadedError,
        ),
    ],
)
def test_openai_error_maps_status_to_error_class(
    status: int, payload: dict[str, Any], cls: type[ProviderError]
) -> None:
    raw = json.dumps(payload)
    error = openai_error(payload, status_code=status, raw=raw)
    assert type(error) is cls
    assert error.status_code == status
    assert payload["error"]["message"] in error.message
    assert str(status) in error.message


def test_openai_error_keeps_retry_after_on_rate_limit() -> None:
    payload = _payload(
        "Rate limit reached for gpt-4o on requests per min (RPM): Limit 500.",
        "requests",
        "rate_limit_exceeded",
    )
    error = openai_error(payload, status_code=429, retry_after=20.0, raw=json.dumps(payload))
    assert type(error) is RateLimitError
    assert error.retryable
    assert error.retry_after == 20.0
    assert error.code == "rate_limit_exceeded"
    assert error.status_code == 429


def test_openai_error_treats_insufficient_quota_as_not_retryable() -> None:
    """Out of credit is a 429 too, but waiting will not help."""
    payload = _payload(
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
    )
    error = openai_error(payload, status_code=429, raw=json.dumps(payload))
    assert isinstance(error, RateLimitError)
    assert not error.retryable
    assert RateLimitError.retryable, "the class default must stay retryable"
    assert openai_error(
        _payload("slow down", "requests", "rate_limit_exceeded"), status_code=429
    ).retryable


def test_openai_error_reads_in_stream_rate_limit_code_without_status() -> None:
    error = openai_error(_payload("Rate limit exceeded", "tokens", "rate_limit_exceeded"))
    assert isinstance(error, RateLimitError)


CLOUDFLARE_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def test_openai_error_reads_html_body_without_tag_noise() -> None:
    """A proxy's HTML error page becomes a readable one-line message, not markup."""
    error = openai_error(None, status_code=502, raw=CLOUDFLARE_502)
    assert type(error) is ServerError
    assert error.status_code == 502
    assert "502 Bad Gateway" in error.message
    assert "<" not in error.message
    assert ">" not in error.message
    assert "\n" not in error.message


def test_openai_error_without_any_body_still_has_a_message() -> None:
    error = openai_error(None, status_code=500, raw="")
    assert type(error) is ServerError
    assert error.status_code == 500
    assert error.message.strip()
    assert "500" in str(error)


def test_openai_error_folds_body_excerpt() -> None:
    payload = _payload("bad\n  request", "invalid_request_error", None)
    raw = json.dumps(payload, indent=2)
    error = openai_error(payload, status_code=400, raw=raw)
    assert "\n" not in error.body
    assert len(error.body) <= 200


# -- normalise_finish_reason ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"), [*FINISH_REASONS.items(), ("STOP", "stop"), (None, "other")]
)
def test_normalise_finish_reason_maps_provider_words(raw: str | None, reason: FinishReason) -> None:
    assert normalise_finish_reason(raw) == reason


def _fuzzed() -> OpenAIChatDecoder:
    return OpenAIChatDecoder(provider="fuzz", requested_model="m")


def test_openai_encoder_writes_refusals_and_cache_reads_that_decode_back() -> None:
    """`RefusalDelta` goes on the wire as ``delta.refusal`` (content null), cache reads as
    ``prompt_tokens_details.cached_tokens``; the decoder reads both back."""
    metadata = Metadata(provider="openai", model="m", requested_model="m", response_id="c")
    events: list[Event] = [
        metadata,
        RefusalDelta("I can't"),
        RefusalDelta(" help."),
        Usage(30, 4, 34, cache_read_tokens=24),
        Finish("stop", "stop"),
    ]
    wire = encode_chat_stream(events)
    assert b'"delta":{"content":null,"refusal":"I can\'t"}' in wire
    assert b'"prompt_tokens_details":{"cached_tokens":24}' in wire
    assert feed_all(OpenAIChatDecoder(provider="openai", requested_model="m"), [wire]) == events
