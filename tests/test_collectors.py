"""Collectors: `CompletionCollector` on plain event lists, and the async consumers."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, ClassVar, SupportsIndex

import pytest

import eventide
from eventide import (
    CompletedToolCall,
    CompletionCollector,
    Finish,
    Metadata,
    Reasoning,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from eventide.client._shapes import ChatCompletion, Chunker, CompletionUsage

if TYPE_CHECKING:
    from types import FrameType

    from eventide import Event

META = Metadata(provider="p", model="m-2024", requested_model="m", response_id="r1")


class _ListStream:
    """Any async iterable of events works with collect(); only EventStream is closed by it."""

    def __init__(self, events: list[eventide.Event], error: eventide.Error | None = None) -> None:
        self._events = events
        self._error = error

    def __aiter__(self) -> _ListStream:
        return self

    async def __anext__(self) -> eventide.Event:
        if self._events:
            return self._events.pop(0)
        if self._error is not None:
            raise self._error
        raise StopAsyncIteration


def test_collector_takes_the_served_model_named_after_the_metadata() -> None:
    """`Finish.model` (the server named the served model only late) is `Completion.model`;
    the metadata keeps the requested one. Without it, `model` is the metadata's."""
    early = Metadata(provider="p", model="m", requested_model="m")
    collector = CompletionCollector()
    for event in (early, TextDelta("hi"), Finish("stop", "stop", model="m-2024")):
        collector.feed(event)
    completion = collector.result()
    assert completion.model == "m-2024"
    assert completion.late_model == "m-2024"
    assert completion.metadata == early
    plain = CompletionCollector()
    for event in (META, TextDelta("hi"), Finish("stop", "stop")):
        plain.feed(event)
    assert plain.result().model == "m-2024"
    assert plain.result().late_model is None


def test_collector_collects_a_refusal_apart_from_the_text() -> None:
    """`RefusalDelta` pieces join into `Completion.refusal` (None when there are none),
    count as content for timing, and reach the OpenAI shapes as ``message.refusal`` and
    ``delta.refusal``, with ``content`` None as OpenAI's are."""
    events: list[Event] = [
        META,
        RefusalDelta("I can't"),
        RefusalDelta(" help."),
        Finish("stop", "stop"),
    ]
    collector = CompletionCollector()
    collector.feed_batch(events)
    completion = collector.result()
    assert completion.refusal == "I can't help."
    assert completion.text == ""
    assert completion.timing.to_first_content is not None
    message = ChatCompletion.from_completion(completion).choices[0].message
    assert (message.content, message.refusal) == (None, "I can't help.")
    chunker = Chunker()
    deltas = [chunk.choices[0].delta for e in events if (chunk := chunker(e)) and chunk.choices]
    assert [d.refusal for d in deltas] == [None, "I can't", " help.", None]
    assert ChatCompletion.from_completion(completion).to_dict()["choices"][0]["message"][
        "refusal"
    ] == ("I can't help.")
    plain = CompletionCollector()
    plain.feed_batch([META, TextDelta("Hi"), Finish("stop", "stop")])
    assert plain.result().refusal is None


def test_collector_keeps_reasoning_blocks_in_order_for_the_next_request() -> None:
    """`Reasoning` events are kept whole, in order, apart from the reasoning text; they
    count as content; `to_message()` puts them on the assistant turn with the text and
    tool calls; the OpenAI chunk shapes skip them."""
    thought = Reasoning("anthropic", "Think.", "sig")
    hidden = Reasoning("anthropic", redacted="opaque")
    events: list[Event] = [
        META,
        hidden,
        ReasoningDelta("Think."),
        thought,
        TextDelta("Calling."),
        ToolCall(0, "c1", "f", "{}"),
        Finish("tool_calls", "tool_use"),
    ]
    collector = CompletionCollector()
    collector.feed_batch(events[:2])
    assert collector.result().timing.to_first_content is not None
    collector.feed_batch(events[2:])
    completion = collector.result()
    assert completion.reasoning_blocks == (hidden, thought)
    assert completion.reasoning == "Think."
    message = completion.to_message()
    assert (message.role, message.text, message.reasoning) == (
        "assistant",
        "Calling.",
        (hidden, thought),
    )
    assert message.tool_calls == (ToolCall(0, "c1", "f", "{}"),)
    assert Chunker()(thought) is None


def test_openai_usage_shape_carries_cache_reads_and_reasoning() -> None:
    usage = CompletionUsage.from_usage(Usage(30, 8, cache_read_tokens=24, reasoning_tokens=5))
    assert usage is not None
    assert usage.total_tokens == 38
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 24
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 5
    bare = CompletionUsage.from_usage(Usage(3, 1))
    assert bare is not None
    assert (bare.prompt_tokens_details, bare.completion_tokens_details) == (None, None)


def test_collector_builds_the_completion() -> None:
    collector = CompletionCollector()
    collector.feed_batch(
        [
            META,
            ReasoningDelta("think "),
            ReasoningDelta("hard"),
            TextDelta("Hello"),
            TextDelta(", world"),
            ToolCallDelta(0, "call_1", "get_weather", '{"city":'),
            ToolCallDelta(0, None, None, '"Paris"}'),
            ToolCall(0, "call_1", "get_weather", '{"city":"Paris"}'),
            Usage(input_tokens=3, output_tokens=5, total_tokens=8, reasoning_tokens=2),
            Finish("tool_calls", "tool_calls"),
        ]
    )
    completion = collector.result()
    assert completion.metadata == META
    assert completion.provider == "p"
    assert completion.model == "m-2024"
    assert completion.text == "Hello, world"
    assert completion.reasoning == "think hard"
    assert completion.tool_calls == (
        CompletedToolCall("call_1", "get_weather", '{"city":"Paris"}', {"city": "Paris"}, True),
    )
    assert completion.usage == Usage(3, 5, 8, reasoning_tokens=2)
    assert completion.finish_reason == "tool_calls"
    assert completion.raw_finish_reason == "tool_calls"
    assert completion.complete
    timing = completion.timing
    assert timing.to_metadata is not None
    assert timing.to_first_content is not None
    assert timing.total is not None
    assert 0 <= timing.to_metadata <= timing.to_first_content <= timing.total


def test_collector_without_usage_reports_none_not_zero() -> None:
    collector = CompletionCollector()
    for event in (META, TextDelta("x"), Finish("stop", "stop")):
        collector.feed(event)
    assert collector.result().usage is None


def test_collector_keeps_invalid_tool_arguments_unparsed() -> None:
    collector = CompletionCollector()
    collector.feed_batch(
        [META, ToolCall(0, "c", "f", '{"a": 1'), ToolCall(1, "d", "g", ""), Finish("length")]
    )
    broken, empty = collector.result().tool_calls
    assert broken.arguments == '{"a": 1'
    assert broken.parsed is None
    assert not broken.arguments_valid
    assert empty.parsed == {}
    assert empty.arguments_valid


def test_collector_partial_result_includes_unfinished_tool_calls() -> None:
    collector = CompletionCollector()
    collector.feed_batch(
        [
            META,
            ToolCallDelta(0, "c", "f", '{"a"'),
            ToolCallDelta(0, None, None, ": 1}"),
            ToolCallDelta(1, "d", "g", '{"b'),
        ]
    )
    partial = collector.result()
    assert not partial.complete
    assert partial.timing.total is None
    assert [(c.id, c.name, c.arguments, c.arguments_valid) for c in partial.tool_calls] == [
        ("c", "f", '{"a": 1}', True),
        ("d", "g", '{"b', False),
    ]


class _Piece(str):
    """A delta's text that counts the characters of every string built from it: `+`, `+=`,
    `%`, f-strings, `str()` and slices each add the length of what they make."""

    __slots__ = ()
    built: ClassVar[list[int]] = []

    def _made(self, value: str) -> _Piece:
        _Piece.built.append(len(value))
        return _Piece(value)

    def __add__(self, other: str) -> _Piece:
        return self._made(str.__add__(self, other))

    def __radd__(self, other: str) -> _Piece:
        return self._made(str.__add__(other, self))

    def __format__(self, spec: str) -> str:
        return self._made(str.__format__(self, spec))

    def __str__(self) -> str:
        return self._made(str.__str__(self))

    def __getitem__(self, key: SupportsIndex | slice) -> _Piece:
        return self._made(str.__getitem__(self, key))


def _work(deltas: int) -> tuple[int, int]:
    """Collect `deltas` one-character deltas (one at a time, then in a batch); return the
    characters built from them by string operators, and how many str methods (``join``,
    ``format`` ...) ran meanwhile."""
    _Piece.built.clear()
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        calls += event == "c_call" and isinstance(getattr(arg, "__self__", None), str)

    events = [TextDelta(_Piece("x")) for _ in range(deltas)]
    collector = CompletionCollector()
    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        collector.feed(META)
        for event in events[: deltas // 2]:
            collector.feed(event)
        collector.feed_batch(events[deltas // 2 :])
        text = collector.result().text
    finally:
        sys.setprofile(previous)
    assert text == "x" * deltas
    return sum(_Piece.built), calls


def test_collector_is_linear_in_the_number_of_deltas() -> None:
    """Deltas are kept and joined once. Concatenating each delta onto the text copies n²/2
    characters; joining the parts again for each delta runs n joins; neither passes."""
    (small_copied, small_calls), (large_copied, large_calls) = _work(1_000), _work(4_000)
    assert small_copied <= 1_000
    assert large_copied <= 4_000
    assert large_calls == small_calls  # as many joins for 4,000 deltas as for 1,000
    collector = CompletionCollector()
    collector.feed_batch([META, *(TextDelta("x") for _ in range(200_000))])
    assert collector.result().text == "x" * 200_000


async def test_collect_accepts_any_async_iterable_of_events() -> None:
    events: list[eventide.Event] = [META, TextDelta("a"), TextDelta("b"), Finish("stop", "stop")]
    completion = await eventide.collect(_ListStream(events))
    assert completion.text == "ab"
    assert await eventide.collect_text(_ListStream([META, TextDelta("z"), Finish("stop")])) == "z"


async def test_collect_attaches_the_partial_completion_to_errors() -> None:
    error = eventide.ServerError("boom", provider="p")
    with pytest.raises(eventide.ServerError) as info:
        await eventide.collect(_ListStream([META, TextDelta("half")], error))
    assert info.value is error
    assert info.value.partial is not None
    assert info.value.partial.text == "half"
    assert info.value.partial.metadata == META
