"""The Anthropic mapper's typed path (`AnthropicMapper.on_data`: each ``content_block_delta``
decoded straight into typed structs) against its dict path (`on_payload`, on
`json.loads`-equivalent dicts): the same events and the same errors, whatever the events
hold."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from eventide import TextDelta
from eventide.wire import AnthropicDecoder
from tests.strategies import or_junk
from tests.wire import typed_paths
from tests.wire.typed_paths import named

_TEXT = st.text(max_size=4)
_KINDS = st.sampled_from(
    ["text_delta", "thinking_delta", "input_json_delta", "signature_delta", "citations_delta"]
)
_DELTA = st.fixed_dictionaries(
    {},
    optional={
        "type": or_junk(_KINDS),
        "text": or_junk(_TEXT),
        "thinking": or_junk(_TEXT),
        "partial_json": or_junk(_TEXT),
        "signature": or_junk(_TEXT),
    },
)
_TYPES = st.sampled_from(["content_block_delta", "ping", "error", "content_block_stop"])
_EVENT = st.fixed_dictionaries(
    {},
    optional={
        "type": or_junk(_TYPES),
        "index": or_junk(st.integers(-1, 3) | st.just(2**70) | st.just(0.0) | st.booleans()),
        "delta": or_junk(_DELTA),
        "error": st.just({"type": "overloaded_error", "message": "busy"}),
    },
)
# Events of the usual types (the typed path reads them), with text in any field.
_USUAL = st.fixed_dictionaries(
    {
        "type": st.just("content_block_delta"),
        "index": st.integers(0, 3),
        "delta": st.fixed_dictionaries(
            {"type": _KINDS},
            optional={"text": _TEXT, "thinking": _TEXT, "partial_json": _TEXT, "signature": _TEXT},
        ),
    }
)
_START = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","model":"c"}}'
# Block 1 is a tool call and block 2 a thinking block: the deltas for them add to them.
_BLOCKS = [
    'event: content_block_start\ndata: {"type":"content_block_start","index":1,'
    '"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}',
    'event: content_block_start\ndata: {"type":"content_block_start","index":2,'
    '"content_block":{"type":"thinking","thinking":""}}',
]
_STOP_TOOL = 'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}'
_END = (
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}'
)
# Texts that json.dumps never writes: duplicate keys, numbers msgspec refuses, lone surrogates.
_ODD_TEXTS = [
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","text":"b"}}',
    '{"type":"content_block_delta","index":0,"index":-1,"delta":{"type":"text_delta","text":"a"}}',
    '{"type":"error","type":"content_block_delta","index":0,"delta":{"type":"text_delta",'
    '"text":"a"}}',
    '{"type":"content_block_delta","type":"error","index":0,"delta":{"type":"text_delta",'
    '"text":"a"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\\ud800"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"},"n":NaN}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"},"n":1e400}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","n":"\\udc00"}}',
    '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{"}}',
    '{"type":"content_block_delta","index":2,"delta":{"type":"thinking_delta","thinking":"t"}}',
    '{"type":"content_block_delta","index":2,"delta":{"type":"signature_delta","signature":"s"}}',
    '{"type":"ping"}',
    '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"}"},'
    '"n":1e400}',
    "[1, 2]",
    "{",
]
_NAMES = st.sampled_from(["content_block_delta", "message", "ping", "error"])


def _outcome(
    events: list[str], *, typed: bool, one_byte: bool
) -> tuple[list[Any], Any, dict[int, str]]:
    wire = "\n\n".join([_START, *_BLOCKS, *events, _END]).encode() + b"\n\n"
    decoder = AnthropicDecoder(provider="p", requested_model="m")
    got, failure = typed_paths.decode(decoder, wire, typed=typed, one_byte=one_byte)
    return got, failure, decoder.signatures


@given(
    events=st.lists(
        st.one_of(
            st.just(_STOP_TOOL),
            st.builds(
                named,
                _NAMES,
                st.one_of(
                    _USUAL.map(json.dumps),
                    or_junk(_EVENT).map(json.dumps),
                    st.sampled_from(_ODD_TEXTS),
                ),
            ),
        ),
        max_size=6,
    ),
    one_byte=st.booleans(),
)
@example(
    events=[named("content_block_delta", text) for text in _ODD_TEXTS[:12]],
    one_byte=False,
)
@example(events=[named("message", text) for text in _ODD_TEXTS[:12]], one_byte=False)
@example(events=[named("content_block_delta", _ODD_TEXTS[3])], one_byte=False)
@example(events=[_STOP_TOOL, named("content_block_delta", _ODD_TEXTS[12])], one_byte=False)
@example(events=[named("error", _ODD_TEXTS[0])], one_byte=True)
def test_anthropic_typed_path_gives_what_the_dict_path_gives(
    events: list[str], one_byte: bool
) -> None:
    """Every event the strategies make (wrong types anywhere, error payloads, odd JSON texts,
    named or data-only) gives the same events, error and signatures on both paths."""
    typed = _outcome(events, typed=True, one_byte=one_byte)
    assert typed == _outcome(events, typed=False, one_byte=one_byte)


def _decoder() -> AnthropicDecoder:
    return AnthropicDecoder(provider="p", requested_model="m")


def test_anthropic_typed_path_reads_usual_events() -> None:
    """The usual text delta, and a ping, take the typed path."""
    text = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}'
    assert typed_paths.reads_text(_decoder(), text) == [TextDelta("hi")]
    assert typed_paths.reads_text(_decoder(), '{"type":"ping"}') == []


def test_anthropic_typed_path_leaves_other_events_to_the_dict_path() -> None:
    """An event that is not a usual delta is left untouched (False, nothing appended)."""
    texts = [
        '{"type":"error","error":{"type":"overloaded_error"}}',
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":5}}',
        '{"type":"content_block_delta","index":-1,"delta":{"type":"text_delta","text":"a"}}',
        '{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta"}}',
        '{"type":"message_stop"}',
    ]
    assert typed_paths.leaves_to_the_dict_path(_decoder(), texts)


def test_anthropic_named_deltas_take_the_typed_path() -> None:
    """``event: content_block_delta`` (how the API names every delta) reaches `on_data`."""
    wire = "\n\n".join([_START, named("content_block_delta", _ODD_TEXTS[0]), _END]) + "\n\n"
    assert typed_paths.reaches_on_data(_decoder(), wire.encode()) == 1
