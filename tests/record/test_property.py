"""Property: for any scripted stream — any text and reasoning, split anywhere, ending cleanly,
cut, disconnected or failing with an error payload, read to its end or closed early — the
replay of its record gives exactly what the consumer saw live."""

from __future__ import annotations

import os
import tempfile

import trio
from hypothesis import given
from hypothesis import strategies as st

from eventide import Usage
from eventide.record import ReplayProvider, record
from eventide.testing import Cut, Disconnect, Reply, ScriptedProvider, StreamError
from tests.record.helpers import REQUEST, events_of

_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)


@st.composite
def replies(draw: st.DrawFn) -> Reply:
    text = draw(st.lists(_TEXT.filter(bool), min_size=1, max_size=6))
    reasoning = draw(st.none() | st.lists(_TEXT.filter(bool), min_size=1, max_size=3))
    usage = draw(st.none() | st.builds(Usage, st.integers(0, 99), st.integers(0, 99)))
    plain = Reply.text(text, reasoning=reasoning, usage=usage)
    assert plain.script is not None
    content = len(plain.script) - 2  # the events between Metadata and Finish
    after = st.integers(0, content - 1)
    fail = draw(
        st.none()
        | st.builds(Cut, after=after)
        | st.builds(Disconnect, after=after)
        | st.builds(
            StreamError, after=after, code=st.sampled_from(["rate_limit_exceeded", "server_error"])
        )
    )
    chunk_size = draw(st.none() | st.integers(1, 4096))
    return Reply.text(text, reasoning=reasoning, usage=usage, fail=fail, chunk_size=chunk_size)


@given(reply=replies(), stop_after=st.integers(0, 6))
def test_replay_of_any_record_is_what_was_seen(reply: Reply, stop_after: int) -> None:
    async def check(folder: str) -> None:
        path = os.path.join(folder, "r.jsonl")
        live = await events_of(
            record(ScriptedProvider(reply), path), REQUEST, stop_after=stop_after
        )
        replayed = await events_of(ReplayProvider(path), REQUEST, stop_after=stop_after)
        assert replayed == live

    with tempfile.TemporaryDirectory() as folder:
        trio.run(check, folder)
