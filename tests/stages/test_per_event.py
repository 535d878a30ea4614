"""`tap`, `map_events`, `filter_events`, `pipeline`, and a stage that raises."""

from __future__ import annotations

import functools

import attrs
import pytest

import eventide
from eventide import Event, Finish, Metadata, ReasoningDelta, StageError, TextDelta, collect
from eventide.stages import (
    FilterEvents,
    MapEvents,
    StageBase,
    Staged,
    Tap,
    filter_events,
    map_events,
    pipeline,
    tap,
)
from eventide.testing import Reply, ScriptedProvider

SCRIPT: list[Event] = [ReasoningDelta("hm"), TextDelta("Hel"), TextDelta("lo")]


async def test_tap_sees_every_event_in_order_and_changes_nothing() -> None:
    seen: list[Event] = []
    plain = [event async for event in ScriptedProvider(SCRIPT).stream("hi")]
    events = [event async for event in tap(ScriptedProvider(SCRIPT), seen.append).stream("hi")]
    assert events == plain
    assert seen == plain
    assert type(seen[0]) is Metadata
    assert type(seen[-1]) is Finish


def test_tap_hands_on_the_same_batch_without_copying() -> None:
    batch: list[Event] = [TextDelta("a"), TextDelta("b")]
    assert Tap(lambda event: None).feed(batch) is batch


async def test_map_events_replaces_each_event() -> None:
    def shout(event: Event) -> Event:
        return attrs.evolve(event, text=event.text.upper()) if type(event) is TextDelta else event

    completion = await collect(map_events(ScriptedProvider(SCRIPT), shout).stream("hi"))
    assert completion.text == "HELLO"
    assert completion.reasoning == "hm"


@pytest.mark.parametrize("bad", [lambda event: "text", lambda event: TextDelta("x")])
async def test_map_events_keeps_the_contract_or_fails(bad: object) -> None:
    provider = map_events(ScriptedProvider(SCRIPT), bad)  # type: ignore[arg-type]
    with pytest.raises(StageError, match="MapEvents"):
        await collect(provider.stream("hi"))


async def test_filter_events_drops_but_keeps_the_frame() -> None:
    provider = filter_events(ScriptedProvider(SCRIPT), lambda event: type(event) is TextDelta)
    events = [event async for event in provider.stream("hi")]
    assert [type(event) for event in events] == [Metadata, TextDelta, TextDelta, Finish]


def test_filter_events_never_asks_about_the_frame() -> None:
    stage = FilterEvents(lambda event: False)
    metadata = Metadata(provider="p", model="m", requested_model="m")
    assert stage.feed([metadata, TextDelta("x"), Finish("stop")]) == [metadata, Finish("stop")]


@pytest.mark.parametrize("make", [tap, map_events, filter_events])
def test_friendly_constructors_refuse_what_is_not_callable(make: object) -> None:
    with pytest.raises(TypeError, match="must be callable"):
        make(ScriptedProvider("x"), "not a function")  # type: ignore[operator]


async def test_a_stage_that_raises_ends_the_stream_with_stage_error_and_the_partial() -> None:
    def explode(event: Event) -> None:
        if event == TextDelta("lo"):
            raise RuntimeError("boom")

    provider = tap(ScriptedProvider(SCRIPT), explode)
    with pytest.raises(StageError) as caught:
        await collect(provider.stream("hi"))
    error = caught.value
    assert isinstance(error, eventide.Error)
    assert isinstance(error.__cause__, RuntimeError)
    assert error.partial is not None
    assert error.partial.text == "Hel"
    assert error.partial.reasoning == "hm"
    assert error.partial.finish_reason is None
    assert error.provider == "scripted"


async def test_a_stage_sees_the_provider_error_and_the_partial_survives() -> None:
    failures: list[eventide.Error] = []

    class Watch(StageBase):
        def fail(self, error: eventide.Error) -> eventide.Error:
            failures.append(error)
            return error

    reply = Reply.events(SCRIPT, fail=eventide.testing.StreamError(after=2))
    with pytest.raises(eventide.Error) as caught:
        await collect(Staged(ScriptedProvider(reply), Watch).stream("hi"))
    assert failures == [caught.value]
    assert caught.value.partial is not None
    assert caught.value.partial.text == "Hel"


async def test_pipeline_runs_stages_in_order_nearest_the_provider_first() -> None:
    order: list[str] = []
    provider = pipeline(
        ScriptedProvider(SCRIPT),
        functools.partial(Tap, lambda event: order.append("first")),
        functools.partial(MapEvents, lambda event: event),
        functools.partial(Tap, lambda event: order.append("second")),
    )
    assert isinstance(provider, Staged)
    await collect(provider.stream("hi"))
    assert order == ["first", "second"] * 5  # one network read per event: each passes both
    assert pipeline(p := ScriptedProvider("x")) is p
