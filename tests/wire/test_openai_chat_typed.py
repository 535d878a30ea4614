"""The OpenAI chat mapper's typed path (`ChatMapper.on_data`: each chunk decoded straight into
typed structs) against its dict path (`on_payload`, on `json.loads`-equivalent dicts): the same
events and the same errors, whatever the chunks hold."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

from hypothesis import example, given
from hypothesis import strategies as st

from eventide import TextDelta
from eventide.wire import OpenAIChatDecoder
from eventide.wire._openai_chat import ChatMapper
from tests.strategies import json_values, or_junk
from tests.wire.harness import drive, one_byte_chunks

_TEXT = st.text(max_size=4)
_FUNCTION = st.fixed_dictionaries(
    {}, optional={"name": or_junk(_TEXT), "arguments": or_junk(_TEXT)}
)
_TOOL_CALL = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.integers(0, 3)),
        "id": or_junk(_TEXT),
        "function": or_junk(_FUNCTION),
    },
)
_DELTA = st.fixed_dictionaries(
    {},
    optional={
        "role": st.just("assistant"),
        "content": or_junk(_TEXT),
        "reasoning_content": or_junk(_TEXT),
        "reasoning": or_junk(_TEXT),
        "refusal": or_junk(_TEXT),
        "tool_calls": or_junk(st.lists(or_junk(_TOOL_CALL), max_size=2)),
    },
)
_CHOICE = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.integers(0, 2) | st.just(2**70) | st.just(0.0) | st.booleans()),
        "delta": or_junk(_DELTA),
        "finish_reason": or_junk(st.sampled_from(["stop", "length", "tool_calls"])),
        "logprobs": st.none(),
    },
)
_USAGE = st.fixed_dictionaries(
    {},
    optional={
        "prompt_tokens": or_junk(st.integers(0, 9)),
        "completion_tokens": or_junk(st.integers(0, 9)),
        "prompt_tokens_details": json_values,
    },
)
_CHUNK = st.fixed_dictionaries(
    {},
    optional={
        "id": or_junk(_TEXT),
        "model": or_junk(_TEXT),
        "choices": or_junk(st.lists(or_junk(_CHOICE), max_size=3)),
        "usage": or_junk(_USAGE),
        "x_groq": or_junk(st.fixed_dictionaries({"usage": or_junk(_USAGE)})),
        "error": st.none() | st.just(False) | st.just("") | st.just({"message": "boom"}),
    },
)
# Chunks of the usual types (the typed path reads them), with text in any field.
_USUAL = st.fixed_dictionaries(
    {
        "choices": st.lists(
            st.fixed_dictionaries(
                {"index": st.integers(0, 1)},
                optional={
                    "delta": st.none()
                    | st.fixed_dictionaries(
                        {},
                        optional={
                            "content": st.none() | _TEXT,
                            "reasoning_content": st.none() | _TEXT,
                            "reasoning": st.none() | _TEXT,
                            "refusal": st.none() | _TEXT,
                            "tool_calls": st.lists(_TOOL_CALL, max_size=2),
                        },
                    ),
                    "finish_reason": st.none() | st.sampled_from(["", "stop", "tool_calls"]),
                },
            ),
            max_size=2,
        )
    },
    optional={"model": st.none() | _TEXT, "usage": st.none() | _USAGE},
)
# Metadata comes from a chunk that names the model: the typed path begins after it.
_METADATA = '{"id":"c","model":"m","choices":[]}'
# A chunk for each field the typed path reads.
_EVERY_FIELD = [
    '{"choices":[{"index":0,"delta":{"reasoning_content":"r","reasoning":"s"}}]}',
    '{"choices":[{"index":0,"delta":{"reasoning_content":"","reasoning":"s"}}]}',
    '{"choices":[{"index":0,"delta":{"content":"t","refusal":"no"}}]}',
    '{"model":"late","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"i",'
    '"function":{"name":"f","arguments":"{"}}]}}]}',
    '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]},'
    '"finish_reason":"tool_calls"}]}',
    '{"choices":[],"usage":null,"x_groq":{"usage":{"prompt_tokens":3}}}',
    '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}',
]
# Texts that json.dumps never writes: duplicate keys, numbers msgspec refuses, lone surrogates.
_ODD_TEXTS = [
    '{"choices":[{"delta":{"content":"a","content":"b"}}]}',
    '{"choices":[{"delta":{"content":"a"}}],"choices":null}',
    '{"choices":[{"delta":{"content":"a"},"index":0,"index":1}]}',
    '{"choices":[{"delta":{"content":"\\ud800"}}]}',
    '{"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":NaN}}',
    '{"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1e400}}',
    '{"choices":[{"delta":{"content":"x"}}],"error":null,"error":{"message":"late"}}',
    '{"choices":[{"delta":{"content":"x","tool_calls":[{"function":"f"}]}}]}',
    '{"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens_details":5}}',
    # a shape the structs refuse, and a number msgspec refuses in a field nobody reads
    '{"choices":[{"delta":{"tool_calls":[{"function":"f"}]}}],"x":1e400}',
    "[1, 2]",
    '"text"',
    "{",
]


def _outcome(texts: list[str], *, typed: bool, one_byte: bool) -> tuple[list[Any], Any]:
    wire = b"".join(b"data: " + text.encode() + b"\n\n" for text in texts)
    wire += b"data: [DONE]\n\n"
    decoder = OpenAIChatDecoder(provider="p", requested_model="m")
    chunks = one_byte_chunks(wire) if one_byte else [wire]
    if typed:
        events, error = drive(decoder, chunks)
    else:
        with mock.patch.object(ChatMapper, "on_data", None):
            events, error = drive(decoder, chunks)
    failure = None if error is None else (type(error), str(error), error.provider)
    return events, failure


@given(
    texts=st.lists(
        st.one_of(
            st.just(_METADATA),
            _USUAL.map(json.dumps),
            or_junk(_CHUNK).map(json.dumps),
            st.sampled_from(_ODD_TEXTS),
        ),
        max_size=6,
    ),
    one_byte=st.booleans(),
)
@example(texts=[_METADATA, *_ODD_TEXTS[:9]], one_byte=False)
@example(texts=[_METADATA, _ODD_TEXTS[9]], one_byte=False)
@example(texts=[_METADATA, *_EVERY_FIELD], one_byte=False)
@example(texts=['{"choices":[]}', *_EVERY_FIELD], one_byte=False)
@example(texts=['{"choices":[{"index":1,"delta":{"content":"b"}},{"delta":{}}]}'], one_byte=False)
def test_openai_typed_path_gives_what_the_dict_path_gives(texts: list[str], one_byte: bool) -> None:
    """Every chunk the strategies make (wrong types anywhere, error payloads, odd JSON texts)
    gives the same events and the same error on both paths."""
    typed = _outcome(texts, typed=True, one_byte=one_byte)
    assert typed == _outcome(texts, typed=False, one_byte=one_byte)


def test_openai_typed_path_reads_usual_chunks() -> None:
    """The usual chunk takes the typed path: its text delta equals one built by its class."""
    mapper = ChatMapper(OpenAIChatDecoder(provider="p", requested_model="m")._base)
    out: list[Any] = []
    handled = mapper.on_data('{"choices":[{"index":0,"delta":{"content":"hi"}}]}', out)
    assert handled
    assert out == [TextDelta("hi")]
    assert hash(out[0]) == hash(TextDelta("hi"))
    assert repr(out[0]) == "TextDelta(text='hi')"


def test_openai_typed_path_leaves_other_chunks_to_the_dict_path() -> None:
    """A chunk that is not the usual shape is left untouched (False, nothing appended)."""
    mapper = ChatMapper(OpenAIChatDecoder(provider="p", requested_model="m")._base)
    out: list[Any] = []
    for text in ('{"error":{"message":"x"}}', '{"choices":[{"delta":{"content":5}}]}', "[DONE]"):
        assert not mapper.on_data(text, out)
    assert out == []
