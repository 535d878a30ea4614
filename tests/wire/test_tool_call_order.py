"""Tool calls as soon as they are whole (docs/providers.md, "Tool calls").

OpenAI Chat Completions streams parallel tool calls as fragments tagged with the call's
``index``; nothing on the wire says a call is finished, except that the next one starts. So
a `ToolCall` is sent the moment the next call's first fragment arrives (and the last one at
the finish chunk), and an agent can run the first tool while the model still streams the
others. A server that interleaves the fragments of parallel calls breaks that: by default
its stream is a `ProtocolError` naming the call, and with ``interleaved_tool_calls=True``
every call is held to the finish chunk. Never is a fragment lost or a call mangled silently.

The Responses API says when a call is done (``response.function_call_arguments.done``); an
arguments fragment after it is a `ProtocolError` too.
"""

from __future__ import annotations

import itertools
import json
import string
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from eventide import Error, Event, Finish, ProtocolError, ToolCall, ToolCallDelta
from eventide.wire import OpenAIChatDecoder, OpenAIResponsesDecoder
from tests.strategies import chunked
from tests.wire.harness import drive

_ALNUM = string.ascii_letters + string.digits


@attrs.frozen
class Call:
    index: int
    id: str
    name: str
    fragments: tuple[str, ...]  # the first may be "" (OpenAI's is); the others are not

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)


@st.composite
def _calls(draw: st.DrawFn) -> list[Call]:
    ids = draw(st.lists(st.text(_ALNUM, min_size=3, max_size=8), min_size=1, max_size=4))
    calls = []
    for index, call_id in enumerate(dict.fromkeys(ids)):
        arguments = json.dumps(
            draw(st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=6))),
            ensure_ascii=draw(st.booleans()),
        )
        cuts = sorted(set(draw(st.lists(st.integers(1, max(len(arguments) - 1, 1)), max_size=4))))
        bounds = [0, *(c for c in cuts if c < len(arguments)), len(arguments)]
        pieces = [arguments[a:b] for a, b in itertools.pairwise(bounds)]
        lead = [""] if draw(st.booleans()) else []
        name = draw(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True))
        calls.append(Call(index, "call_" + call_id, name, tuple(lead + pieces)))
    return calls


def _fragment(call: Call, position: int) -> dict[str, Any]:
    """The ``tool_calls`` entry of one fragment: the first carries id, type and name."""
    piece = call.fragments[position]
    if position == 0:
        return {
            "index": call.index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": piece},
        }
    return {"index": call.index, "function": {"arguments": piece}}


def _body(order: list[tuple[Call, int]], groups: list[int]) -> bytes:
    """The chunk stream sending the fragments in `order`, several to a chunk as `groups`
    says (a server may put consecutive fragments in one ``delta.tool_calls``)."""
    chunks: list[dict[str, Any]] = []
    sizes, at = iter(groups), 0
    while at < len(order):
        batch = order[at : at + next(sizes, 1)]
        at += len(batch)
        calls = [_fragment(call, position) for call, position in batch]
        chunks.append({"delta": {"tool_calls": calls}, "finish_reason": None})
    chunks.append({"delta": {}, "finish_reason": "tool_calls"})
    lines = [
        json.dumps({"id": "chatcmpl-x", "model": "m", "choices": [{"index": 0, **chunk}]})
        for chunk in chunks
    ]
    return b"".join(f"data: {line}\n\n".encode() for line in [*lines, "[DONE]"])


def _decode(wire: bytes, cuts: list[int], **options: Any) -> tuple[list[Event], Error | None]:
    decoder = OpenAIChatDecoder(provider="p", requested_model="m", **options)
    return drive(decoder, chunked(wire, cuts))


def _expected_call(call: Call) -> ToolCall:
    return ToolCall(call.index, call.id, call.name, call.arguments)


@given(data=st.data())
def test_each_call_is_sent_whole_before_the_next_call_begins(data: st.DataObject) -> None:
    """Each call's fragments together, the calls in index order (as servers number them),
    cut anywhere: every call is sent exactly once, complete, right before the next call's
    first fragment."""
    sequence = calls = data.draw(_calls(), label="calls")
    order = [(call, position) for call in sequence for position in range(len(call.fragments))]
    wire = _body(order, data.draw(st.lists(st.integers(1, 3)), label="fragments per chunk"))
    events, error = _decode(wire, data.draw(st.lists(st.integers(0, len(wire))), label="cuts"))

    assert error is None
    sent = [event for event in events if isinstance(event, ToolCall)]
    assert sent == [_expected_call(call) for call in calls]
    for previous, following in itertools.pairwise(sequence):
        done = events.index(_expected_call(previous))
        begins = next(
            at
            for at, event in enumerate(events)
            if isinstance(event, ToolCallDelta) and event.index == following.index
        )
        assert done == begins - 1  # sent the moment the next call begins, not at the finish
    assert isinstance(events[-1], Finish)
    for call in calls:  # the pieces streamed before the call is whole, and add up to it
        pieces = [e for e in events if isinstance(e, ToolCallDelta) and e.index == call.index]
        assert "".join(piece.arguments for piece in pieces) == call.arguments
        assert events.index(pieces[-1]) < events.index(_expected_call(call))


@st.composite
def _interleaved(draw: st.DrawFn) -> tuple[list[Call], list[tuple[Call, int]]]:
    """Calls whose fragments interleave: a fragment of one call after another call began."""
    calls = draw(_calls().filter(lambda calls: len(calls) > 1))
    labels = [call.index for call in calls for _ in call.fragments]
    shuffled = draw(st.permutations(labels))
    positions = dict.fromkeys(range(len(calls)), 0)
    order = []
    for index in shuffled:
        order.append((calls[index], positions[index]))
        positions[index] += 1
    firsts = [index for at, index in enumerate(shuffled) if index not in shuffled[:at]]
    contiguous = [
        index for at, index in enumerate(shuffled) if at == 0 or shuffled[at - 1] != index
    ]
    assume(len(contiguous) > len(firsts))  # some call resumes after another began
    return calls, order


@given(drawn=_interleaved(), data=st.data())
def test_interleaved_calls_are_an_error_or_held_never_lost(
    drawn: tuple[list[Call], list[tuple[Call, int]]], data: st.DataObject
) -> None:
    """An interleaving server: by default a `ProtocolError` naming a call that got a
    fragment after it was sent; with ``interleaved_tool_calls=True`` every call whole, in
    index order, at the finish. Both at any cuts."""
    calls, order = drawn
    wire = _body(order, data.draw(st.lists(st.integers(1, 3)), label="fragments per chunk"))
    cuts = data.draw(st.lists(st.integers(0, len(wire))), label="cuts")

    held, error = _decode(wire, cuts, interleaved_tool_calls=True)
    assert error is None
    sent = [event for event in held if isinstance(event, ToolCall)]
    assert sent == [_expected_call(call) for call in calls]
    first_call = held.index(sent[0])
    assert all(not isinstance(event, ToolCallDelta) for event in held[first_call:])

    # By default a fragment that resumes a call already sent is the error; every event
    # before it is delivered, and the calls sent so far were sent once, in index order. A
    # stream that resumes only calls not sent yet (a lower index began meanwhile) decodes
    # whole.
    events, error = _decode(wire, cuts)
    if error is None:
        assert [event for event in events if isinstance(event, ToolCall)] == sent
        return
    assert isinstance(error, ProtocolError)
    assert "interleaves parallel tool calls" in str(error)
    sent = [event for event in events if isinstance(event, ToolCall)]
    assert [call.index for call in sent] == sorted({call.index for call in sent})
    named = [
        call for call in sent if f"tool call {call.index} ({call.name or call.id})" in str(error)
    ]
    assert len(named) == 1  # the error names a call that had been sent
    assert not isinstance(events[-1], Finish)


def test_openai_decoder_sends_the_first_call_before_the_second_streams() -> None:
    """An agent can run the first tool while the model still streams the second."""
    first = Call(0, "call_a", "search", ("", '{"q":', '"tea"}'))
    second = Call(1, "call_b", "open", ("", '{"url":"x"}'))
    order = [(first, 0), (first, 1), (first, 2), (second, 0)]
    frames = _body(order, [1, 1, 1, 1]).split(b"\n\n")
    decoder = OpenAIChatDecoder(provider="p", requested_model="m")
    events = decoder.feed(b"\n\n".join(frames[:4]) + b"\n\n")  # up to the second call's start
    assert events[-2:] == [
        ToolCall(0, "call_a", "search", '{"q":"tea"}'),
        ToolCallDelta(1, "call_b", "open", ""),
    ]


def test_openai_decoder_sends_calls_in_index_order_when_a_lower_index_begins_later() -> None:
    """A call never comes before a call with a lower index: a lower index beginning later
    sends nothing, and resuming a call not yet sent is no interleaving error; the calls come
    whole when a higher index begins, or at the finish."""
    second = Call(1, "call_b", "open", ('{"url":', '"x"}'))
    first = Call(0, "call_a", "search", ('{"q":', '"tea"}'))
    third = Call(2, "call_c", "time", ("{}",))
    order = [(second, 0), (first, 0), (first, 1), (second, 1), (third, 0)]
    events, error = _decode(_body(order, []), [])
    assert error is None
    calls = [_expected_call(first), _expected_call(second), _expected_call(third)]
    assert [event for event in events if isinstance(event, ToolCall)] == calls
    begins = events.index(ToolCallDelta(2, "call_c", "time", "{}"))
    assert events[begins - 2 : begins] == calls[:2]


def test_responses_decoder_rejects_arguments_after_the_call_is_done() -> None:
    def event(payload: dict[str, Any]) -> bytes:
        return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()

    item = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f"}
    wire = b"".join(
        [
            event({"type": "response.output_item.added", "output_index": 0, "item": item}),
            event(
                {
                    "type": "response.function_call_arguments.delta",
                    "output_index": 0,
                    "item_id": "fc_1",
                    "delta": "{}",
                }
            ),
            event(
                {
                    "type": "response.function_call_arguments.done",
                    "output_index": 0,
                    "item_id": "fc_1",
                    "arguments": "{}",
                }
            ),
            event(
                {
                    "type": "response.function_call_arguments.delta",
                    "output_index": 0,
                    "item_id": "fc_1",
                    "delta": "{}",
                }
            ),
        ]
    )
    decoder = OpenAIResponsesDecoder(provider="p", requested_model="m")
    assert decoder.feed(wire)[-1] == ToolCall(0, "call_1", "f", "{}")  # sent at its done event
    with pytest.raises(ProtocolError, match=r"tool call 0 \(f\) .* after its arguments"):
        decoder.end()
