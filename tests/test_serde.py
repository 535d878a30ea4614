"""The one converter: every event, `Request` and `Completion` survives a trip through JSON."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import eventide
from eventide import (
    Attempt,
    CompletedToolCall,
    Completion,
    Event,
    Finish,
    FinishReason,
    ImagePart,
    JSONSchema,
    Message,
    Metadata,
    Reasoning,
    ReasoningApi,
    ReasoningConfig,
    ReasoningDelta,
    RefusalDelta,
    Request,
    TextDelta,
    TextPart,
    Timing,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from eventide._serde import dumps_event, structure, unstructure

text = st.text(max_size=20)
maybe_text = st.none() | text
counts = st.none() | st.integers(0, 10**9)
seconds = st.floats(0, 1e6, allow_nan=False)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(text, json_values, max_size=3)

attempts = st.builds(
    Attempt,
    provider=text,
    model=maybe_text,
    error=st.sampled_from(["rate_limit", "timeout", "server"]),
    message=text,
    status_code=st.none() | st.integers(400, 599),
    retry_after=st.none() | seconds,
    elapsed=seconds,
)
metadata = st.builds(
    Metadata,
    provider=text,
    model=text,
    requested_model=text,
    response_id=maybe_text,
    attempts=st.lists(attempts, max_size=2).map(tuple),
    extra=json_objects,
)
usages = st.builds(Usage, counts, counts, counts, counts, counts, counts)
finishes = st.builds(Finish, st.sampled_from(typing.get_args(FinishReason)), maybe_text, maybe_text)
tool_calls = st.builds(ToolCall, st.integers(0, 100), text, text, text, maybe_text)
reasonings = st.builds(
    Reasoning,
    st.sampled_from(typing.get_args(ReasoningApi)),
    text,
    maybe_text,
    maybe_text,
    maybe_text,
    st.lists(text, max_size=2).map(tuple),
)
EVENT_STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {
    Metadata: metadata,
    TextDelta: st.builds(TextDelta, text),
    ReasoningDelta: st.builds(ReasoningDelta, text),
    Reasoning: reasonings,
    RefusalDelta: st.builds(RefusalDelta, text),
    ToolCallDelta: st.builds(ToolCallDelta, st.integers(0, 100), maybe_text, maybe_text, text),
    ToolCall: tool_calls,
    Usage: usages,
    Finish: finishes,
}
events: st.SearchStrategy[Event] = st.one_of(*EVENT_STRATEGIES.values())
parts = st.one_of(
    st.builds(TextPart, text),
    st.builds(ImagePart, url=text),
    st.builds(ImagePart, data=text, media_type=st.just("image/png")),
)
messages = st.one_of(
    st.builds(Message.system, text),
    st.builds(Message.user, text | st.lists(parts, max_size=3)),
    st.builds(
        Message.assistant,
        text,
        tool_calls=st.lists(tool_calls, max_size=2),
        reasoning=st.lists(reasonings, max_size=2),
    ),
    st.builds(Message.tool, text, text),
)
requests = st.builds(
    Request,
    messages=st.lists(messages, min_size=1, max_size=4),
    model=maybe_text,
    tools=st.lists(
        st.builds(
            ToolSpec, st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True), text, json_objects
        ),
        max_size=2,
    ),
    tool_choice=maybe_text,
    temperature=st.none() | st.floats(0, 2),
    max_tokens=counts,
    stop=st.lists(text, max_size=2),
    seed=counts,
    extra=json_objects,
    response_format=st.none()
    | st.just("json")
    | st.builds(
        JSONSchema,
        st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True),
        json_objects,
        strict=st.booleans(),
    ),
    reasoning=st.none()
    | st.builds(
        ReasoningConfig,
        effort=st.sampled_from(["low", "medium", "high"]),
        budget_tokens=st.none() | st.integers(1, 10**6),
    )
    | st.builds(ReasoningConfig, budget_tokens=st.integers(1, 10**6)),
)
completions = st.builds(
    Completion,
    metadata=st.none() | metadata,
    text=text,
    reasoning=text,
    refusal=st.none() | text,
    tool_calls=st.lists(
        st.builds(CompletedToolCall, text, text, text, json_values, st.booleans(), maybe_text),
        max_size=2,
    ).map(tuple),
    usage=st.none() | usages,
    finish_reason=maybe_text,
    raw_finish_reason=maybe_text,
    timing=st.builds(Timing, st.none() | seconds, st.none() | seconds, st.none() | seconds),
    late_model=maybe_text,
    reasoning_blocks=st.lists(reasonings, max_size=2).map(tuple),
)


def _through_json(data: dict[str, Any]) -> Any:
    return json.loads(json.dumps(data))


@given(events)
def test_serde_every_event_round_trips_through_json(event: Event) -> None:
    data = _through_json(unstructure(event))
    assert data["kind"] == event.kind
    assert structure(data, Event) == event  # type: ignore[arg-type]


def test_serde_round_trip_covers_every_event_class() -> None:
    assert set(EVENT_STRATEGIES) == set(typing.get_args(Event))


def test_serde_usage_reads_the_old_cached_tokens_key() -> None:
    """Records written before ``cached_tokens`` became ``cache_read_tokens`` stay readable:
    the old key is the cache reads; the new form has only the new keys."""
    old = {"kind": "usage", "input_tokens": 30, "output_tokens": 5, "cached_tokens": 24}
    usage: Event = structure(old, Event)  # type: ignore[arg-type]
    assert usage == Usage(30, 5, 35, cache_read_tokens=24)
    assert structure({**old, "cache_read_tokens": 20}, Usage).cache_read_tokens == 20
    data = unstructure(usage)
    assert "cached_tokens" not in data
    assert data["cache_read_tokens"] == 24
    assert data["cache_write_tokens"] is None


def test_usage_computes_a_missing_total_and_keeps_the_old_name_read_only() -> None:
    assert Usage(10, 4).total_tokens == 14
    assert Usage(10, 4, 99).total_tokens == 99  # the provider's own total is kept
    assert Usage(None, 4).total_tokens is None
    usage = Usage(10, 4, cache_read_tokens=6)
    with pytest.warns(DeprecationWarning, match="cache_read_tokens"):
        assert usage.cached_tokens == 6
    with pytest.raises(AttributeError):
        usage.cached_tokens = 1  # type: ignore[misc]


@given(requests)
def test_serde_requests_round_trip_through_json(request: Request) -> None:
    assert structure(_through_json(unstructure(request)), Request) == request


@given(completions)
def test_serde_completions_round_trip_through_json(completion: Completion) -> None:
    assert structure(_through_json(unstructure(completion)), Completion) == completion


def test_serde_event_json_line_is_tagged_by_kind() -> None:
    assert json.loads(dumps_event(TextDelta("héllo"))) == {"kind": "text_delta", "text": "héllo"}
    assert eventide.converter is not None


def test_serde_request_options_read_as_json() -> None:
    request = Request(
        [Message.user("hi")],
        response_format=JSONSchema("a", {"type": "object"}),
        reasoning=ReasoningConfig(effort="low"),
    )
    data = unstructure(request)
    assert data["response_format"] == {"name": "a", "schema": {"type": "object"}, "strict": True}
    assert data["reasoning"] == {"effort": "low", "budget_tokens": None}
    assert (
        unstructure(Request([Message.user("hi")], response_format="json"))["response_format"]
        == "json"
    )


def test_serde_content_parts_are_tagged_by_type() -> None:
    data = unstructure(Request([Message.user([TextPart("a"), ImagePart(url="http://i/x.png")])]))
    assert data["messages"][0]["content"] == [
        {"type": "text", "text": "a"},
        {
            "type": "image",
            "url": "http://i/x.png",
            "data": None,
            "media_type": None,
            "detail": None,
        },
    ]
