"""Collectors: `CompletionCollector` on plain event lists, and the async consumers."""

from __future__ import annotations

import pytest

import eventide
from eventide import (
    CompletedToolCall,
    CompletionCollector,
    Finish,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

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
    assert completion.usage == Usage(3, 5, 8, None, 2)
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


def test_collector_is_linear_in_the_number_of_deltas() -> None:
    """Deltas are appended, joined once: 200k deltas collect into one 200k-char string."""
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
