"""The Responses mapper's typed path (`ResponsesMapper.on_data`: each
``response.output_text.delta`` decoded straight into a typed struct) against its dict path
(`on_payload`, on `json.loads`-equivalent dicts): the same events and the same errors,
whatever the events hold."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from eventide import TextDelta
from eventide.wire import OpenAIResponsesDecoder
from tests.strategies import or_junk
from tests.wire import typed_paths
from tests.wire.typed_paths import named

_TEXT = st.text(max_size=4)
_TYPES = st.sampled_from(
    ["response.output_text.delta", "response.refusal.delta", "error", "response.failed"]
)
_EVENT = st.fixed_dictionaries(
    {},
    optional={
        "type": or_junk(_TYPES),
        "delta": or_junk(_TEXT),
        "output_index": or_junk(st.integers(0, 2)),
        "error": st.just({"code": "server_error", "message": "boom"}),
        "response": st.just({"error": {"code": "server_error", "message": "boom"}}),
    },
)
# Events of the usual types (the typed path reads them), with text in any field.
_USUAL = st.fixed_dictionaries(
    {"type": st.just("response.output_text.delta"), "delta": _TEXT},
    optional={
        "item_id": _TEXT,
        "output_index": st.integers(0, 2),
        "sequence_number": st.integers(),
    },
)
_CREATED = (
    'event: response.created\ndata: {"type":"response.created","response":{"id":"r","model":"m"}}'
)
_END = (
    'event: response.completed\ndata: {"type":"response.completed","response":{"id":"r",'
    '"model":"m","status":"completed"}}'
)
# Texts that json.dumps never writes: duplicate keys, numbers msgspec refuses, lone surrogates.
_ODD_TEXTS = [
    '{"type":"response.output_text.delta","delta":"a","delta":"b"}',
    '{"type":"response.output_text.delta","type":"error","delta":"a"}',
    '{"type":"error","type":"response.output_text.delta","delta":"a"}',
    '{"type":"response.output_text.delta","delta":"\\ud800"}',
    '{"type":"response.output_text.delta","delta":"x","n":NaN}',
    '{"type":"response.output_text.delta","delta":"x","n":1e400}',
    '{"type":"response.output_text.delta","delta":null}',
    '{"delta":"x"}',
    "[DONE]",
    "[1, 2]",
    "{",
]
_NAMES = st.sampled_from(
    ["response.output_text.delta", "message", "error", "response.failed", "keepalive"]
)


def _outcome(events: list[str], *, typed: bool, one_byte: bool) -> tuple[list[Any], Any]:
    wire = ("\n\n".join([_CREATED, *events, _END]) + "\n\n").encode()
    return typed_paths.decode(_decoder(), wire, typed=typed, one_byte=one_byte)


def _decoder() -> OpenAIResponsesDecoder:
    return OpenAIResponsesDecoder(provider="p", requested_model="m")


@given(
    events=st.lists(
        st.builds(
            named,
            _NAMES,
            st.one_of(
                _USUAL.map(json.dumps), or_junk(_EVENT).map(json.dumps), st.sampled_from(_ODD_TEXTS)
            ),
        ),
        max_size=6,
    ),
    one_byte=st.booleans(),
)
@example(
    events=[named("response.output_text.delta", t) for t in _ODD_TEXTS[:8]],
    one_byte=False,
)
@example(events=[named("message", text) for text in _ODD_TEXTS[:8]], one_byte=False)
@example(events=[named("response.output_text.delta", _ODD_TEXTS[1])], one_byte=False)
@example(events=[named("response.output_text.delta", _ODD_TEXTS[6])], one_byte=False)
@example(events=[named("response.output_text.delta", _ODD_TEXTS[7])], one_byte=True)
def test_responses_typed_path_gives_what_the_dict_path_gives(
    events: list[str], one_byte: bool
) -> None:
    """Every event the strategies make (wrong types anywhere, error payloads, odd JSON texts,
    named or data-only) gives the same events and the same error on both paths."""
    typed = _outcome(events, typed=True, one_byte=one_byte)
    assert typed == _outcome(events, typed=False, one_byte=one_byte)


def test_responses_typed_path_reads_usual_events() -> None:
    """The usual text delta takes the typed path."""
    text = '{"type":"response.output_text.delta","item_id":"i","output_index":0,"delta":"hi"}'
    assert typed_paths.reads_text(_decoder(), text) == [TextDelta("hi")]


def test_responses_typed_path_leaves_other_events_to_the_dict_path() -> None:
    """An event that is not a usual text delta is left untouched (False, nothing appended)."""
    texts = [*_ODD_TEXTS[6:], '{"type":"response.output_text.delta","delta":5}']
    assert typed_paths.leaves_to_the_dict_path(_decoder(), texts)


def test_responses_named_text_deltas_take_the_typed_path() -> None:
    """``event: response.output_text.delta`` (how the API names them) reaches `on_data`."""
    text = named("response.output_text.delta", _ODD_TEXTS[0])
    wire = "\n\n".join([_CREATED, text, _END]) + "\n\n"
    assert typed_paths.reaches_on_data(_decoder(), wire.encode()) == 1
