"""The event contract holds after any composition of stages, over any scripted stream:
`Metadata` first, exactly one `Finish` last, and a failure raised with its partial result."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import eventide
from eventide import (
    Event,
    ReasoningDelta,
    StageError,
    TextDelta,
    ToolCall,
    Usage,
    collect,
)
from eventide.stages import (
    extract_reasoning,
    filter_events,
    map_events,
    redact,
    smooth,
    tap,
)
from eventide.testing import Cut, Disconnect, Reply, ScriptedProvider, StreamError
from tests.contract import assert_keeps_contract

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventide.providers import Provider


def _upper(event: Event) -> Event:
    return attrs.evolve(event, text=event.text.upper()) if type(event) is TextDelta else event


def _raise_on_third() -> Callable[[Provider], Provider]:
    seen = [0]

    def count(event: Event) -> None:
        seen[0] += 1
        if seen[0] == 3:
            raise RuntimeError("a stage bug")

    return lambda provider: tap(provider, count)


# Each wraps a provider in one stage; True: it keeps the answer text as it is.
STAGES: dict[str, tuple[Callable[[Provider], Provider], bool]] = {
    "tap": (lambda p: tap(p, lambda event: None), True),
    "map": (lambda p: map_events(p, _upper), False),
    "filter": (lambda p: filter_events(p, lambda e: type(e) is not ReasoningDelta), True),
    "redact": (lambda p: redact(p, "secret", max_match=6), False),
    "reasoning": (lambda p: extract_reasoning(p), False),
    "smooth-word": (lambda p: smooth(p), True),
    "smooth-line": (lambda p: smooth(p, chunking="line"), True),
}

FRAGMENTS = ["a", " b", "\n", "<think>", "</think>", "<th", "</", "<", "secret", "sec", "ret"]


def chained(reply: Reply, before: list[str], after: list[str] | None = None) -> Provider:
    """A scripted provider through the named stages; a raising tap between `before` and
    `after` when `after` is given."""
    provider: Provider = ScriptedProvider(reply)
    for name in before:
        provider = STAGES[name][0](provider)
    if after is not None:
        provider = _raise_on_third()(provider)
        for name in after:
            provider = STAGES[name][0](provider)
    return provider


async def read_all(provider: Provider) -> tuple[list[Event], eventide.Error | None]:
    """The events a consumer gets, one by one, and the error that ended them, if any."""
    events: list[Event] = []
    try:
        async with provider.stream("hi") as stream:
            async for event in stream:  # a loop: keep what came before a failure
                events.append(event)  # noqa: PERF401
    except eventide.Error as exc:
        return events, exc
    return events, None


TEXT = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map("".join)


@st.composite
def scripts(draw: st.DrawFn) -> list[Event]:
    items: list[Event] = draw(
        st.lists(st.one_of(TEXT.map(TextDelta), TEXT.map(ReasoningDelta)), max_size=12)
    )
    for index in range(draw(st.integers(0, 2))):
        value = draw(st.text(alphabet="xy secret", max_size=15))
        items.append(ToolCall(index, f"call_{index}", "f", json.dumps({"v": value})))
    if draw(st.booleans()):
        items.append(Usage(input_tokens=3, output_tokens=5))
    return items


@given(
    script=scripts(),
    chain=st.lists(st.sampled_from(sorted(STAGES)), max_size=5),
    failure=st.sampled_from([None, "cut", "disconnect", "stream-error"]),
    at=st.integers(0, 20),
    chunk_size=st.sampled_from([None, 7, 64, 1 << 16]),
)
@example([TextDelta("x<th")], ["reasoning"], None, 0, None)  # a held tag start at Finish
@example([TextDelta("a sec")], ["redact", "tap"], None, 0, 7)  # a held match start
@example([TextDelta("<think>a sec"), TextDelta("ret")], ["redact", "reasoning"], "cut", 1, None)
@settings(max_examples=200)
async def test_any_stage_composition_keeps_the_contract(
    script: list[Event], chain: list[str], failure: str | None, at: int, chunk_size: int | None
) -> None:
    after = min(at, len(script))
    fail = {
        None: None,
        "cut": Cut(after=after),
        "disconnect": Disconnect(after=after),
        "stream-error": StreamError(after=after),
    }[failure]
    reply = Reply.events(script, fail=fail, chunk_size=chunk_size)

    def staged() -> Provider:
        return chained(reply, chain)

    events, error = await read_all(staged())
    assert (error is None) == (fail is None)
    assert_keeps_contract(events, complete=fail is None)

    plain = ScriptedProvider(reply).stream("hi")
    if fail is None:
        completion = await collect(staged().stream("hi"))
        assert completion.finish_reason is not None
        if all(STAGES[name][1] for name in chain):
            assert completion.text == (await collect(plain)).text
    else:
        with pytest.raises(eventide.Error) as caught:
            await collect(staged().stream("hi"))
        assert type(caught.value) is type(error)
        assert caught.value.partial is not None
        assert caught.value.partial.finish_reason is None
        with pytest.raises(type(error)) as unstaged:
            await collect(plain)
        if all(STAGES[name][1] for name in chain) and unstaged.value.partial is not None:
            # held text (at most a word cut at a read's end) never outruns the stream
            assert unstaged.value.partial.text.startswith(caught.value.partial.text)


@given(
    script=scripts(),
    before=st.lists(st.sampled_from(sorted(STAGES)), max_size=3),
    after=st.lists(st.sampled_from(sorted(STAGES)), max_size=3),
)
async def test_a_raising_stage_anywhere_in_a_chain_gives_stage_error_with_partial(
    script: list[Event], before: list[str], after: list[str]
) -> None:
    events, failure = await read_all(chained(Reply.events(script), before, after))
    if failure is None:  # the stages before it left fewer than three events in all
        assert_keeps_contract(events)
        return
    assert type(failure) is StageError
    assert isinstance(failure.__cause__, RuntimeError)
    assert_keeps_contract(events, complete=False)
    with pytest.raises(StageError) as caught:
        await collect(chained(Reply.events(script), before, after).stream("hi"))
    assert caught.value.partial is not None
    assert caught.value.partial.metadata is not None
