"""`tee`: several consumers of one stream, with a bounded buffer."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

import eventide
from eventide import Event, Metadata, TextDelta, collect
from eventide.stages import StageBase, Staged, Tee, TeeOverflow, tee
from eventide.testing import Reply, ScriptedProvider, StreamError

WORDS = [f"w{i} " for i in range(40)]


def provider(**options: object) -> ScriptedProvider:
    return ScriptedProvider(Reply.events([TextDelta(w) for w in WORDS], **options))  # type: ignore[arg-type]


async def test_tee_gives_every_consumer_every_event_one_after_the_other() -> None:
    stream = provider().stream("hi")
    first, second = tee(stream, max_buffer=100)
    one = await collect(first)
    two = await collect(second)
    assert one.text == two.text == "".join(WORDS)
    assert one.finish_reason == two.finish_reason == "stop"
    assert stream.closed


async def test_tee_consumers_in_concurrent_tasks() -> None:
    results: dict[int, list[Event]] = {}

    async def read(index: int, consumer: eventide.stages.TeeConsumer) -> None:
        results[index] = []
        async with consumer:
            async for event in consumer:
                results[index].append(event)
                await trio.sleep(0.01 * index)  # the second is slower

    shared = tee(provider(delay=0.001).stream("hi"), 3, max_buffer=64)
    async with trio.open_nursery() as nursery:
        for index, consumer in enumerate(shared):
            nursery.start_soon(read, index, consumer)
    assert results[0] == results[1] == results[2]
    assert len(results[0]) == len(WORDS) + 2
    assert shared.buffered <= 64


async def test_tee_drops_a_stalled_consumer_with_a_typed_error_and_bounded_memory() -> None:
    stream = provider().stream("hi")
    shared = tee(stream, max_buffer=5)
    fast, slow = shared
    assert type(await slow.__anext__()) is Metadata  # then it stalls
    peak = 0
    async for _ in fast:
        peak = max(peak, shared.buffered)
    assert peak <= 5
    assert slow.overflowed
    with pytest.raises(TeeOverflow, match="more than 5 events behind") as caught:
        await collect(slow)
    assert isinstance(caught.value, eventide.Error)
    assert caught.value.partial is not None


@settings(max_examples=25)
@given(st.integers(1, 12), st.integers(0, 45), st.integers(1, 4))
async def test_tee_memory_stays_bounded_with_one_consumer_stalled(
    max_buffer: int, stall_after: int, chunk_events: int
) -> None:
    sizes: list[int] = []

    class Sizes(StageBase):
        def feed(self, events: list[Event]) -> list[Event]:
            sizes.append(len(events))
            return events

    stream = Staged(provider(chunk_size=100 * chunk_events), Sizes).stream("hi")
    fast, slow = tee(stream, max_buffer=max_buffer)
    try:  # in step, then `slow` stalls
        for _ in range(stall_after):
            await fast.__anext__()
            await slow.__anext__()
    except (StopAsyncIteration, TeeOverflow):
        pass
    shared = fast._tee  # the buffer both share
    peak = 0
    async for _ in fast:
        peak = max(peak, shared.buffered)
    assert peak <= max(max_buffer, max(sizes))


async def test_tee_hands_the_error_to_each_consumer_with_its_own_partial() -> None:
    reply = Reply.events([TextDelta(w) for w in WORDS[:4]], fail=StreamError(after=3))
    first, second = tee(ScriptedProvider(reply).stream("hi"))
    with pytest.raises(eventide.Error) as one:
        await collect(first)
    with pytest.raises(eventide.Error) as two:
        await collect(second)
    assert one.value is not two.value
    assert type(one.value) is type(two.value)
    assert one.value.partial is not None
    assert two.value.partial is not None
    assert one.value.partial.text == two.value.partial.text == "w0 w1 w2 "


async def test_tee_closing_every_consumer_closes_the_stream() -> None:
    stream = provider().stream("hi")
    first, second = tee(stream)
    await first.__anext__()
    await first.aclose()
    closed = [stream.closed]
    await second.aclose()
    closed.append(stream.closed)
    assert closed == [False, True]
    with pytest.raises(StopAsyncIteration):
        await first.__anext__()


async def test_tee_aclose_closes_the_stream() -> None:
    stream = provider().stream("hi")
    async with tee(stream) as shared:
        await shared.consumers[0].__anext__()
    assert stream.closed


def test_tee_refuses_bad_input() -> None:
    with pytest.raises(TypeError, match="EventStream"):
        tee([])  # type: ignore[arg-type]
    stream = provider().stream("hi")
    with pytest.raises(ValueError, match="n must"):
        tee(stream, 0)
    with pytest.raises(ValueError, match="max_buffer must"):
        Tee(stream, max_buffer=0)


async def test_tee_copies_errors_whose_class_needs_more_than_a_message(
    autojump_clock: trio.testing.MockClock,
) -> None:
    reply = Reply.events([TextDelta("a"), TextDelta("b")], delay=5)
    stream = ScriptedProvider(reply).stream("hi", timeouts=eventide.Timeouts(idle=1))
    first, second = tee(stream)
    with pytest.raises(eventide.StreamTimeout) as one:
        await collect(first)
    with pytest.raises(eventide.StreamTimeout) as two:
        await collect(second)
    assert one.value is not two.value
    assert one.value.phase == two.value.phase == "idle"
    assert one.value.partial is not two.value.partial
