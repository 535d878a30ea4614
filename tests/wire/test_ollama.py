"""Tests for `eventide.wire._ollama`: the Ollama ``/api/chat`` stream decoder, the request body
builder and the error mapping.

The transcripts under tests/data/ollama/ are byte-exact NDJSON bodies in the shape of the
Ollama API reference ("Generate a chat completion", "Streaming", "Errors", "Usage";
docs/api.md and docs/api/*.mdx in github.com/ollama/ollama, read 2026-08) and of the server's
own encoder (compact Go JSON: struct field order, ``omitempty`` metrics, ``<``, ``>`` and
``&`` escaped). Every expected event list below is written out by hand; the decoder must give
exactly that list whatever the chunk boundaries are, and garbage may only raise
`ProtocolError`.
"""

from __future__ import annotations

import copy
import functools
import json
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
    Finish,
    ImagePart,
    Message,
    Metadata,
    NotFoundError,
    OverloadedError,
    ProtocolError,
    ProviderError,
    RateLimitError,
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
from eventide.wire._ollama import OllamaDecoder, build_ollama_body, ollama_error
from tests.conformance.cases import OLLAMA
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

DATA = Path(__file__).resolve().parents[1] / "data" / "ollama"


# -- helpers -------------------------------------------------------------------------------


# -- the transcripts -------------------------------------------------------------------------


Transcript = functools.partial(harness.Transcript, OLLAMA, requested_model="llama3.2")


def meta(model: str, requested: str | None = None, **extra: Any) -> Metadata:
    return Metadata(provider="ollama", model=model, requested_model=requested or model, extra=extra)


TRANSCRIPTS = [
    Transcript(
        # Raw UTF-8 (2-, 3- and 4-byte characters, a variation selector), Go's escapes of
        # "&", "<", ">" and U+2028, and the done line's counts.
        "text",
        [
            meta("llama3.2"),
            TextDelta("Le ciel"),
            TextDelta(" est bleu"),
            TextDelta(" \u2014 diffusion"),
            TextDelta(" de Rayleigh & <Mie>"),
            TextDelta("\u2028\u2600\ufe0f \U0001f44b"),
            Usage(31, 7, 38),
            Finish("stop", "stop"),
        ],
    ),
    Transcript(
        # A thinking model: "thinking" lines (content ""), then content lines without it.
        "reasoning",
        [
            meta("qwen3:8b"),
            ReasoningDelta("Okay,"),
            ReasoningDelta(" count the r's"),
            ReasoningDelta(' in "strawberry": s-t-r-a-w-b-e-r-r-y.'),
            ReasoningDelta("\n"),
            TextDelta("There are"),
            TextDelta(" **3**"),
            TextDelta(" r's."),
            Usage(18, 64, 82),
            Finish("stop", "stop"),
        ],
        requested_model="qwen3:8b",
    ),
    Transcript(
        # Whole calls with the server's ids, two in one line; "done_reason" is "stop", which
        # becomes tool_calls since calls were made.
        "tool_calls_parallel",
        [
            meta("qwen3:8b"),
            ReasoningDelta("Two cities, two tools each."),
            ToolCallDelta(0, "call_k3v9x2qa", "get_temperature", '{"city":"New York"}'),
            ToolCall(0, "call_k3v9x2qa", "get_temperature", '{"city":"New York"}'),
            ToolCallDelta(1, "call_7fz0m1cd", "get_conditions", '{"city":"New York"}'),
            ToolCall(1, "call_7fz0m1cd", "get_conditions", '{"city":"New York"}'),
            ToolCallDelta(
                2, "call_p2w8h6tn", "get_temperature", '{"city":"London","unit":"celsius"}'
            ),
            ToolCall(2, "call_p2w8h6tn", "get_temperature", '{"city":"London","unit":"celsius"}'),
            ToolCallDelta(3, "call_e0r4y7ub", "get_conditions", '{"city":"London"}'),
            ToolCall(3, "call_e0r4y7ub", "get_conditions", '{"city":"London"}'),
            Usage(242, 97, 339),
            Finish("tool_calls", "stop"),
        ],
        requested_model="qwen3:8b",
    ),
    Transcript(
        # An older server: no ids, so they are made up from the call's position; nested,
        # non-ASCII, null and boolean arguments become compact JSON text, in their order.
        "tool_calls_no_id",
        [
            meta("llama3.2"),
            ToolCallDelta(0, "call_0", "get_weather", '{"city":"Tokyo"}'),
            ToolCall(0, "call_0", "get_weather", '{"city":"Tokyo"}'),
            ToolCallDelta(
                1,
                "call_1",
                "get_forecast",
                '{"city":"T\u014dky\u014d","days":3,"units":{"temp":"c","wind":null},'
                '"hourly":false}',
            ),
            ToolCall(
                1,
                "call_1",
                "get_forecast",
                '{"city":"T\u014dky\u014d","days":3,"units":{"temp":"c","wind":null},'
                '"hourly":false}',
            ),
            Usage(169, 15, 184),
            Finish("tool_calls", "stop"),
        ],
    ),
    Transcript(
        # prompt_eval_count omitted (zero, from the prompt cache): unknown, and so is the total.
        "usage_partial",
        [meta("llama3.2"), TextDelta("Again: 42."), Usage(None, 5, None), Finish("stop", "stop")],
    ),
    Transcript(
        "finish_length",
        [
            meta("gemma3:4b"),
            TextDelta("Once upon"),
            TextDelta(" a time,"),
            TextDelta(" in"),
            Usage(14, 4, 18),
            Finish("length", "length"),
        ],
        requested_model="gemma3:4b",
    ),
    Transcript(
        # Loading a model: one done line, no counts, so no Usage.
        "finish_load",
        [meta("llama3.2"), Finish("other", "load")],
    ),
    Transcript("finish_unload", [meta("llama3.2"), Finish("other", "unload")]),
    Transcript(
        # No done_reason at all (a 2023 server): the reason is unknown, not guessed.
        "finish_missing_reason",
        [
            meta("llama2"),
            TextDelta("The"),
            TextDelta(" difference"),
            Usage(61, 468, 529),
            Finish("other", None),
        ],
        requested_model="llama2",
    ),
    Transcript(
        # A cloud model through a local server: remote_model and remote_host go to
        # Metadata.extra; logprobs, a debug field, unknown message fields and a line of an
        # unknown kind carry no event.
        "unknown_fields",
        [
            Metadata(
                provider="ollama",
                model="gpt-oss:120b-cloud",
                requested_model="gpt-oss:120b-cloud",
                extra={
                    "x-served-by": "edge-1",
                    "remote_model": "gpt-oss:120b",
                    "remote_host": "https://ollama.com:443",
                },
            ),
            TextDelta("Hi"),
            TextDelta(" there!"),
            Usage(72, 9, 81),
            Finish("stop", "stop"),
        ],
        requested_model="gpt-oss:120b-cloud",
        extra={"x-served-by": "edge-1"},
    ),
    Transcript(
        # CRLF line ends and blank lines from a reframing proxy; an escaped CRLF stays text.
        "crlf",
        [
            meta("mistral"),
            TextDelta("Line one"),
            TextDelta("\r\nLine two"),
            Usage(9, 6, 15),
            Finish("stop", "stop"),
        ],
        requested_model="mistral",
    ),
    Transcript(
        # The done line has no LF after it: the body is complete all the same.
        "done_without_newline",
        [meta("llama3.2"), TextDelta("Yes."), Usage(12, 2, 14), Finish("stop", "stop")],
    ),
    Transcript(
        # The first line carries text but no model; the later lines name it: Metadata
        # (which cannot wait past content) has the requested model, Finish.model the served.
        "model_named_late",
        [
            meta("qwen3"),
            TextDelta("Hi"),
            TextDelta(" there."),
            Usage(11, 3, 14),
            Finish("stop", "stop", model="qwen3:4b"),
        ],
        requested_model="qwen3",
    ),
]

FAILING_TRANSCRIPTS = [
    Transcript(
        # The docs' mid-stream error line: no status, and the text names no other kind.
        "error_mid_stream",
        [meta("gemma3"), TextDelta(" Yes"), TextDelta("."), TextDelta(" I")],
        requested_model="gemma3",
        error=ServerError,
    ),
    Transcript(
        "truncated_mid_line",
        [meta("llama3.2"), TextDelta("Once upon"), TextDelta(" a time")],
        error=ProtocolError,
    ),
    Transcript(
        "truncated_between_lines",
        [meta("llama3.2"), TextDelta("Once upon"), TextDelta(" a time")],
        error=ProtocolError,
    ),
    Transcript(
        # A line cut short in the middle of the body; the valid lines after it never count.
        "invalid_json",
        [meta("llama3.2"), TextDelta("Hello")],
        error=ProtocolError,
    ),
]


def _transcript(name: str) -> harness.Transcript:
    return next(t for t in TRANSCRIPTS + FAILING_TRANSCRIPTS if t.name == name)


def _failure(name: str, provider: str = "ollama") -> Error:
    transcript = attrs.evolve(_transcript(name), provider=provider)
    return feed_until_failure(transcript.decoder(), [transcript.wire])[1]


def test_ollama_decoder_reports_the_mid_stream_error_line() -> None:
    error = _failure("error_mid_stream", provider="gpu-box")
    assert isinstance(error, ServerError)
    assert error.retryable
    assert error.status_code is None
    assert error.provider == "gpu-box"
    assert error.message == "an error was encountered while running the model"
    assert str(error) == "gpu-box: an error was encountered while running the model"
    assert "an error was encountered" in error.body


# The failing transcripts cut before the terminal event, and what end() says of each
# (tests/wire/test_decoders.py).
TRUNCATED = {
    "truncated_mid_line": "truncated",
    "truncated_between_lines": "truncated",
}


def test_ollama_decoder_excerpts_the_invalid_json_line() -> None:
    error = _failure("invalid_json")
    assert isinstance(error, ProtocolError)
    assert "not valid JSON" in error.message
    assert '"content":" wor' in error.excerpt


# -- the terminal line, metadata and smaller rules -----------------------------------------

HI = b'{"model":"m","message":{"role":"assistant","content":"hi"},"done":false}\n'
DONE = (
    b'{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}\n'
)


def decoder(requested_model: str = "m", **options: Any) -> OllamaDecoder:
    return OllamaDecoder(provider="ollama", requested_model=requested_model, **options)


# A complete body, and bytes after its terminal event (tests/wire/test_decoders.py).
AFTER_THE_END = ("text", HI + b"{oops\n" + b'{"error":"late"}\n')


def test_ollama_decoder_is_not_done_before_the_done_line() -> None:
    fed = decoder()
    assert fed.feed(HI) == [meta("m"), TextDelta("hi")]
    assert not fed.done


def test_ollama_decoder_sends_requested_model_when_the_first_line_names_none() -> None:
    """Metadata cannot wait past content: it has the requested model, and the done line,
    which names the served one, gives Finish.model."""
    wire = b'{"message":{"role":"assistant","content":"Hi"},"done":false}\n' + DONE
    assert feed_all(decoder("my-model"), [wire]) == [
        Metadata(provider="ollama", model="my-model", requested_model="my-model"),
        TextDelta("Hi"),
        Finish("stop", "stop", model="m"),
    ]


def test_ollama_decoder_waits_for_a_line_that_names_the_model() -> None:
    """A line without content or model does not send Metadata: the next line names it."""
    wire = b'{"message":{"role":"assistant","content":""},"done":false}\n' + HI + DONE
    assert feed_all(decoder("my-model"), [wire]) == [
        meta("m", "my-model"),
        TextDelta("hi"),
        Finish("stop", "stop"),
    ]


def test_ollama_decoder_sends_requested_model_when_no_line_names_one() -> None:
    wire = b'{"message":{"content":"Hi"},"done":false}\n{"done":true,"done_reason":"stop"}\n'
    assert feed_all(decoder("my-model"), [wire]) == [
        Metadata(provider="ollama", model="my-model", requested_model="my-model"),
        TextDelta("Hi"),
        Finish("stop", "stop"),
    ]


def test_ollama_decoder_reports_the_served_model() -> None:
    wire = b'{"model":"llama3.2:latest","message":{"content":"a"},"done":false}\n' + DONE
    assert feed_all(decoder("llama3.2"), [wire])[0] == meta("llama3.2:latest", "llama3.2")


def test_ollama_decoder_sends_thinking_before_content_of_the_same_line() -> None:
    wire = (
        b'{"model":"m","message":{"role":"assistant","content":"A","thinking":"T"},"done":false}\n'
        + DONE
    )
    assert feed_all(decoder(), [wire]) == [
        meta("m"),
        ReasoningDelta("T"),
        TextDelta("A"),
        Finish("stop", "stop"),
    ]


def test_ollama_decoder_reads_content_and_tool_calls_on_the_done_line() -> None:
    wire = (
        b'{"model":"m","message":{"role":"assistant","content":"ok","tool_calls":'
        b'[{"function":{"name":"f"}},{"function":{"name":"g","arguments":"{\\"x\\": 1}"}}]},'
        b'"done":true,"done_reason":"length","eval_count":3}'
    )
    assert feed_all(decoder(), [wire]) == [
        meta("m"),
        TextDelta("ok"),
        ToolCallDelta(0, "call_0", "f", "{}"),
        ToolCall(0, "call_0", "f", "{}"),
        ToolCallDelta(1, "call_1", "g", '{"x": 1}'),
        ToolCall(1, "call_1", "g", '{"x": 1}'),
        Usage(None, 3, None),
        Finish("length", "length"),
    ]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b'{"message":"hi","done":false}', "message is not a JSON object"),
        (b'{"message":{"tool_calls":{"function":{}}},"done":false}', "tool_calls is not a list"),
        (b'{"message":{"tool_calls":[{"function":{"arguments":{}}}]}}', "without a function name"),
        (b'{"message":{"tool_calls":[7]}}', "without a function name"),
        (b'{"message":{"tool_calls":[{"function":{"name":"f","arguments":[1]}}]}}', "arguments"),
        (b'{"done":"yes"}', "done is not a boolean"),
    ],
)
def test_ollama_decoder_rejects_misshapen_lines(line: bytes, what: str) -> None:
    events, error = feed_until_failure(decoder(), [HI + line + b"\n" + DONE])
    assert isinstance(error, ProtocolError)
    assert what in error.message
    assert error.provider == "ollama"
    assert events[:2] == [meta("m"), TextDelta("hi")]


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("an error was encountered while running the model", ServerError),
        ("server busy, please try again.  maximum pending requests exceeded", OverloadedError),
        ('model "llama9" not found, try pulling it first', NotFoundError),
        ("unauthorized", AuthenticationError),
        ("too many requests: rate limit reached", RateLimitError),
        ("registry.ollama.ai/library/gemma:2b does not support tools", BadRequestError),
    ],
)
def test_ollama_decoder_types_an_error_line_by_its_text(
    text: str, cls: type[ProviderError]
) -> None:
    wire = HI + json.dumps({"error": text}).encode() + b"\n"
    events, error = feed_until_failure(decoder(), [wire])
    assert type(error) is cls
    assert error.message == text
    assert events == [meta("m"), TextDelta("hi")]


def test_ollama_decoder_raises_an_error_line_that_comes_first_without_metadata() -> None:
    events, error = feed_until_failure(decoder(), [b'{"error":"boom"}\n'])
    assert isinstance(error, ServerError)
    assert events == []


def test_ollama_decoder_ignores_a_falsy_error_field() -> None:
    wire = b'{"model":"m","error":"","message":{"content":"a"},"done":false}\n' + DONE
    assert feed_all(decoder(), [wire]) == [meta("m"), TextDelta("a"), Finish("stop", "stop")]


# -- bounded buffer --------------------------------------------------------------------------


@pytest.mark.parametrize("one_byte", [False, True], ids=["whole", "one-byte"])
def test_ollama_decoder_rejects_a_line_over_max_line_bytes(one_byte: bool) -> None:
    wire = HI + b'{"message":{"content":"' + b"x" * 500 + b'"}}\n' + DONE
    events, error = feed_until_failure(
        decoder(max_line_bytes=256), one_byte_chunks(wire) if one_byte else [wire]
    )
    assert isinstance(error, ProtocolError)
    assert "longer than 256 bytes" in error.message
    assert error.provider == "ollama"
    assert events == [meta("m"), TextDelta("hi")]


def test_ollama_decoder_finishes_when_the_done_line_precedes_an_oversized_line() -> None:
    wire = HI + DONE + b"x" * 500 + b"\n"
    assert feed_all(decoder(max_line_bytes=256), [wire]) == [
        meta("m"),
        TextDelta("hi"),
        Finish("stop", "stop"),
    ]


# -- garbage in: only ProtocolError out ------------------------------------------------------


# Pieces of this API's stream, for garbage that looks like it (tests/wire/test_decoders.py).
SPRINKLES = [
    b"\n",
    b"\r\n",
    b"{",
    b"}",
    b'"',
    b":",
    b",",
    b"[]",
    b"null",
    b'"done":true',
    b'"done":false',
    b'"message":{"content":"x"}',
    b'"message":{"thinking":"t"}',
    b'"tool_calls":[{"function":{"name":"f","arguments":{}}}]',
    b'"model":"m"',
    b'"eval_count":3',
    DONE,
    HI,
]


_FUNCTION = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.integers(0, 3)),
        "name": or_junk(st.text(max_size=5)),
        "arguments": or_junk(st.dictionaries(st.text(max_size=3), json_values, max_size=2)),
    },
)
_TOOL_CALL = st.fixed_dictionaries(
    {}, optional={"id": or_junk(st.text(max_size=5)), "function": or_junk(_FUNCTION)}
)
_MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "role": or_junk(st.just("assistant")),
        "content": or_junk(st.text(max_size=5)),
        "thinking": or_junk(st.text(max_size=5)),
        "tool_calls": or_junk(st.lists(or_junk(_TOOL_CALL), max_size=3)),
        "images": json_values,
    },
)
# Line-shaped objects with wrong types anywhere; never an "error" key, so no ProviderError.
_LINE = st.fixed_dictionaries(
    {},
    optional={
        "model": or_junk(st.text(max_size=5)),
        "remote_model": json_values,
        "message": or_junk(_MESSAGE),
        "done": or_junk(st.booleans()),
        "done_reason": or_junk(st.sampled_from(["stop", "length", "load"])),
        "prompt_eval_count": or_junk(st.integers(0, 9)),
        "eval_count": or_junk(st.integers(0, 9)),
    },
)


@given(lines=st.lists(or_junk(_LINE), max_size=5), done=st.booleans(), one_byte=st.booleans())
@example(lines=[{"message": {"tool_calls": [{"function": "f"}]}}], done=True, one_byte=False)
@example(
    lines=[{"message": {"tool_calls": [{"function": {"name": 5}}]}}], done=True, one_byte=False
)
@example(lines=[{"message": {"content": 5, "thinking": [1]}}], done=True, one_byte=False)
@example(
    lines=[{"prompt_eval_count": True, "eval_count": 1.5, "done": True}], done=False, one_byte=False
)
def test_ollama_decoder_raises_only_protocol_error_on_misshapen_lines(
    lines: list[Any], done: bool, one_byte: bool
) -> None:
    """Valid JSON of the wrong shape is skipped or a ProtocolError; never an AttributeError,
    TypeError or KeyError."""
    wire = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    if done:
        wire += DONE
    events = decode_garbage(_fuzzed(), one_byte_chunks(wire) if one_byte else [wire])
    assert_keeps_contract(events, complete=None)
    for event in events:
        if isinstance(event, Usage):
            assert all(
                count is None or (type(count) is int)
                for count in (event.input_tokens, event.output_tokens, event.total_tokens)
            )


# -- build_ollama_body -----------------------------------------------------------------------


def make_request(**fields: Any) -> Request:
    """`Request(**fields)`, untyped (see tests/wire/test_openai_chat.py: mypy's attrs plugin
    cannot type a call with tools= or stop=)."""
    return Request(**fields)


WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
    "required": ["city"],
}
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
    "RU5ErkJggg=="
)
JPEG = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP//////////////////////////////////////////2w=="


def full_request(parameters: Mapping[str, Any], extra: Mapping[str, Any]) -> Request:
    return make_request(
        messages=[
            Message.system("You are terse."),
            Message.user("Weather in Paris and Oslo?"),
            Message.assistant(
                "Checking both.",
                tool_calls=[
                    ToolCall(0, "call_k3v9x2qa", "get_weather", '{"city": "Paris"}'),
                    ToolCall(1, "call_7fz0m1cd", "get_weather", '{"city":"Oslo","unit":"c"}'),
                ],
            ),
            Message.tool("call_k3v9x2qa", '{"temp_c": 18}'),
            Message.tool("call_7fz0m1cd", '{"temp_c": 4}', name="weather_v2"),
            Message.assistant("18 \u00b0C in Paris, 4 \u00b0C in Oslo."),
            Message.user(
                [
                    TextPart("And is this sky blue? "),
                    ImagePart(data=PNG, media_type="image/png"),
                    TextPart("Compare with this one."),
                    ImagePart(data=JPEG, media_type="image/jpeg"),
                ]
            ),
        ],
        model="llava",
        tools=[ToolSpec("get_weather", "Current weather for a city.", parameters)],
        temperature=0.7,
        max_tokens=256,
        top_p=0.9,
        stop=["\n\n", "User:"],
        seed=7,
        extra=extra,
    )


def test_build_ollama_body_writes_every_part_of_a_request() -> None:
    """System, multi-turn, assistant tool calls (arguments as objects), tool results (named by
    the call they answer), base64 images, tools and options; `extra` is merged last, its
    options into the sampling options."""
    extra = {"keep_alive": "10m", "think": False, "options": {"num_ctx": 8192, "seed": 42}}
    body = build_ollama_body(full_request(WEATHER_PARAMETERS, extra), model="llava:13b")
    assert body == {
        "model": "llava:13b",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Weather in Paris and Oslo?"},
            {
                "role": "assistant",
                "content": "Checking both.",
                "tool_calls": [
                    {
                        "id": "call_k3v9x2qa",
                        "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                    },
                    {
                        "id": "call_7fz0m1cd",
                        "function": {
                            "name": "get_weather",
                            "arguments": {"city": "Oslo", "unit": "c"},
                        },
                    },
                ],
            },
            {
                "role": "tool",
                "content": '{"temp_c": 18}',
                "tool_name": "get_weather",
                "tool_call_id": "call_k3v9x2qa",
            },
            {
                "role": "tool",
                "content": '{"temp_c": 4}',
                "tool_name": "weather_v2",
                "tool_call_id": "call_7fz0m1cd",
            },
            {"role": "assistant", "content": "18 \u00b0C in Paris, 4 \u00b0C in Oslo."},
            {
                "role": "user",
                "content": "And is this sky blue? Compare with this one.",
                "images": [PNG, JPEG],
            },
        ],
        "stream": True,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather for a city.",
                    "parameters": WEATHER_PARAMETERS,
                },
            }
        ],
        "options": {
            "temperature": 0.7,
            "num_predict": 256,
            "top_p": 0.9,
            "seed": 42,
            "stop": ["\n\n", "User:"],
            "num_ctx": 8192,
        },
        "keep_alive": "10m",
        "think": False,
    }


def test_build_ollama_body_streams_and_omits_unset_options() -> None:
    body = build_ollama_body(Request(messages=[Message.user("Hi")]), model="llama3.2")
    assert body == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
    }


def test_build_ollama_body_rejects_an_image_url() -> None:
    request = Request(
        messages=[Message.user([TextPart("What is this?"), ImagePart(url="https://x.test/a.png")])]
    )
    with pytest.raises(ValueError, match=r"base64 data only, not by URL.*https://x\.test/a\.png"):
        build_ollama_body(request, model="llava")


def test_build_ollama_body_sends_empty_arguments_as_an_empty_object() -> None:
    message = Message.assistant(tool_calls=[ToolCall(0, "call_1", "now", "")])
    body = build_ollama_body(Request(messages=[Message.user("time?"), message]), model="m")
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "call_1", "function": {"name": "now", "arguments": {}}}],
    }


@pytest.mark.parametrize("arguments", ['{"city": "Par', '["Paris"]', "42"])
def test_build_ollama_body_rejects_arguments_that_are_not_a_json_object(arguments: str) -> None:
    message = Message.assistant(tool_calls=[ToolCall(0, "call_1", "get_weather", arguments)])
    with pytest.raises(ValueError, match=r"call_1.*get_weather.*JSON object"):
        build_ollama_body(Request(messages=[Message.user("q"), message]), model="m")


def test_build_ollama_body_leaves_tool_name_out_when_unknown() -> None:
    body = build_ollama_body(
        Request(messages=[Message.user("q"), Message.tool("call_x", "42")]), model="m"
    )
    assert body["messages"][1] == {"role": "tool", "content": "42", "tool_call_id": "call_x"}


@pytest.mark.parametrize(
    ("choice", "names"),
    [
        (None, ["a", "b"]),
        ("auto", ["a", "b"]),
        ("required", ["a", "b"]),
        ("b", ["b"]),
        ("none", None),
    ],
)
def test_build_ollama_body_applies_tool_choice_through_the_tools_it_sends(
    choice: str | None, names: list[str] | None
) -> None:
    request = make_request(
        messages=[Message.user("q")], tools=[ToolSpec("a"), ToolSpec("b")], tool_choice=choice
    )
    body = build_ollama_body(request, model="m")
    sent = [tool["function"]["name"] for tool in body["tools"]] if "tools" in body else None
    assert sent == names


def test_build_ollama_body_rejects_a_tool_choice_naming_no_tool() -> None:
    request = make_request(messages=[Message.user("q")], tools=[ToolSpec("a")], tool_choice="b")
    with pytest.raises(ValueError, match="tool_choice 'b' is not one of the request's tools"):
        build_ollama_body(request, model="m")


def test_build_ollama_body_lets_extra_replace_options_that_are_not_a_mapping() -> None:
    request = make_request(messages=[Message.user("q")], temperature=0.1, extra={"options": None})
    assert build_ollama_body(request, model="m")["options"] is None


def test_build_ollama_body_does_not_mutate_the_request() -> None:
    parameters = copy.deepcopy(WEATHER_PARAMETERS)
    extra: dict[str, Any] = {"options": {"num_ctx": 4096}, "format": {"type": "object"}}
    request = full_request(parameters, extra)
    snapshot = copy.deepcopy(request)

    first = build_ollama_body(request, model="llava")
    second = build_ollama_body(request, model="llava")

    assert parameters == WEATHER_PARAMETERS
    assert extra == {"options": {"num_ctx": 4096}, "format": {"type": "object"}}
    assert request == snapshot
    assert first == second
    # The body is the caller's to change: its containers share nothing with the request.
    first["messages"].append({"role": "user", "content": "more"})
    first["messages"][6]["images"].append("AAAA")
    first["options"]["stop"].append("END")
    first["options"]["num_ctx"] = 1
    assert request == snapshot
    assert build_ollama_body(request, model="llava") == second


def test_build_ollama_body_is_json_serialisable() -> None:
    body = build_ollama_body(full_request(WEATHER_PARAMETERS, {"keep_alive": 0}), model="llava")
    assert json.loads(json.dumps(body)) == body


# -- ollama_error ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "text", "cls"),
    [
        (400, "invalid character 'x' looking for beginning of value", BadRequestError),
        (400, "registry.ollama.ai/library/gemma:2b does not support tools", BadRequestError),
        (401, "unauthorized", AuthenticationError),
        (403, "forbidden", PermissionDeniedError),
        (404, 'model "llama9" not found, try pulling it first', NotFoundError),
        (429, "you have reached your hourly usage limit", RateLimitError),
        (500, "llama runner process has terminated: exit status 2", ServerError),
        (502, "cloud model unreachable", ServerError),
        (503, "server busy, please try again.  maximum pending requests exceeded", OverloadedError),
        (500, "server busy, please try again.  maximum pending requests exceeded", OverloadedError),
    ],
)
def test_ollama_error_maps_status_to_error_class(
    status: int, text: str, cls: type[ProviderError]
) -> None:
    raw = json.dumps({"error": text})
    error = ollama_error(json.loads(raw), status_code=status, raw=raw)
    assert type(error) is cls
    assert error.status_code == status
    assert error.message == f"HTTP {status}: {text}"
    assert error.retryable is (cls in (RateLimitError, OverloadedError, ServerError))
    assert error.code is None


def test_ollama_error_keeps_retry_after_on_rate_limit() -> None:
    raw = '{"error":"too many requests"}'
    error = ollama_error(json.loads(raw), status_code=429, retry_after=30.0, raw=raw)
    assert type(error) is RateLimitError
    assert error.retryable
    assert error.retry_after == 30.0


def test_ollama_error_status_outranks_the_text() -> None:
    """A 400 that mentions "not found" is still a bad request: the status decides."""
    raw = '{"error":"tool not found in request"}'
    assert type(ollama_error(json.loads(raw), status_code=400, raw=raw)) is BadRequestError


def test_ollama_error_reads_an_openai_shaped_body_from_a_proxy() -> None:
    payload = {"error": {"message": "model not found", "type": "not_found_error"}}
    error = ollama_error(payload, status_code=404, raw=json.dumps(payload))
    assert type(error) is NotFoundError
    assert error.message == "HTTP 404: model not found"


def test_ollama_error_reads_html_body_without_tag_noise() -> None:
    raw = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    error = ollama_error(None, status_code=502, raw=raw)
    assert type(error) is ServerError
    assert error.message == "HTTP 502: 502 Bad Gateway"


def test_ollama_error_without_any_body_still_has_a_message() -> None:
    error = ollama_error(None, status_code=500, raw="")
    assert type(error) is ServerError
    assert error.message == "HTTP 500: no error message"


def test_ollama_error_treats_status_200_as_no_status() -> None:
    """A 200 JSON error body (a proxy's) is typed by its text, like an in-stream line."""
    error = ollama_error({"error": "model 'x' not found"}, status_code=200)
    assert type(error) is NotFoundError
    assert error.status_code is None
    assert error.message == "model 'x' not found"


def test_ollama_error_folds_body_excerpt() -> None:
    raw = json.dumps({"error": "bad\n  request " + "x" * 400}, indent=2)
    error = ollama_error(json.loads(raw), status_code=400, raw=raw)
    assert "\n" not in error.body
    assert len(error.body) <= 200


def _fuzzed() -> OllamaDecoder:
    return OllamaDecoder(provider="fuzz", requested_model="m")
