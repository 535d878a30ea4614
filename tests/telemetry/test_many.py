"""Many streams left in every way a consumer can leave one: no span is ever left unended,
and none is ended twice."""

from __future__ import annotations

import gc
import random
from typing import TYPE_CHECKING

import trio

from eventide import Error, collect
from eventide.testing import Cut, Reply, ScriptedProvider

if TYPE_CHECKING:
    from eventide import EventStream, Request
    from tests.telemetry.conftest import Otel

STREAMS = 10_000
WORDS = [f"w{i} " for i in range(6)]


async def _read(events: EventStream, stop: int) -> None:
    """Read up to ``stop`` events, then stop reading."""
    seen = 0
    async for _ in events:
        seen += 1
        if seen >= stop:
            break


async def _one(provider: ScriptedProvider, rng: random.Random) -> bool:
    """Use one stream in a random way; whether it was read (a span only then)."""
    way = rng.randrange(5)
    stop = rng.randrange(1, 9)
    stream = provider.stream("hi")
    if way == 0:  # read to the end
        await collect(stream)
    elif way == 1:  # leave the block after some events
        async with stream as events:
            await _read(events, stop)
    elif way == 2:  # stop reading without closing: the finaliser ends it
        await _read(stream, stop)
        del stream
    elif way == 3:  # cancelled part-way, by a deadline that has already passed
        with trio.move_on_after(0):
            async with stream as events:
                await _read(events, stop)
    else:  # opened, never read
        async with stream:
            pass
    return way != 4


async def test_many_early_exits_leave_no_span_open(otel: Otel) -> None:
    rng = random.Random(14)

    def respond(request: Request) -> Reply:
        roll = rng.randrange(10)
        if roll == 0:
            return Reply.http_error(503, "busy")
        if roll == 1:
            return Reply.text(WORDS, fail=Cut(after=3))
        return Reply.text(WORDS)

    provider = ScriptedProvider(respond=respond)
    read = 0
    for _ in range(STREAMS):
        try:
            read += await _one(provider, rng)
        except Error:
            read += 1  # a scripted failure: its span ends with it
    gc.collect()
    counting = otel.counting
    assert len(counting.started) == read > STREAMS // 2
    assert counting.unended() == set()
    assert counting.ended_twice() == set()
    outcomes = {dict(s.attributes or {})["eventide.outcome"] for s in otel.spans()}
    assert outcomes == {"complete", "abandoned", "cancelled", "error"}
