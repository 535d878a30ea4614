"""VCR-style cassettes: vcrpy's record modes, keyed by the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from eventide import Message, Request
from eventide.record import CassetteMiss, cassette
from eventide.testing import ScriptedProvider
from tests.record.helpers import events_of

if TYPE_CHECKING:
    from pathlib import Path


def _texts(outcome: object) -> str:
    return "".join(getattr(event, "text", "") for event in outcome.events)  # type: ignore[attr-defined]


async def test_once_records_then_replays_without_the_provider(tmp_path: Path) -> None:
    path = tmp_path / "cassette"
    recording = cassette(ScriptedProvider("first answer", "second answer"), path)
    assert recording.mode == "all"
    first = await events_of(recording, "q1")
    second = await events_of(recording, "q2")
    live = ScriptedProvider("never used")
    replaying = cassette(live, path)
    assert replaying.mode == "none"
    # Asked in another order: each request gets its own record.
    assert await events_of(replaying, "q2") == second
    assert await events_of(replaying, "q1") == first
    live.assert_not_called()


async def test_none_mode_refuses_an_unknown_request_before_any_io(tmp_path: Path) -> None:
    path = tmp_path / "cassette"
    await events_of(cassette(ScriptedProvider("recorded"), path, mode="all"), "known")
    live = ScriptedProvider("wrong answer")
    replaying = cassette(live, path, mode="none")
    with pytest.raises(CassetteMiss, match=r"mode 'none'.*no record left.*'other'"):
        replaying.stream(Request([Message.user("other")]))
    with pytest.raises(CassetteMiss):  # same text, another model: another request
        replaying.stream(Request([Message.user("known")], model="gpt-4o"))
    assert _texts(await events_of(replaying, "known")) == "recorded"
    with pytest.raises(CassetteMiss):  # each record plays once
        replaying.stream("known")
    live.assert_not_called()


async def test_none_mode_on_an_empty_cassette_refuses(tmp_path: Path) -> None:
    with pytest.raises(CassetteMiss):
        cassette(ScriptedProvider("x"), tmp_path / "empty", mode="none").stream("hi")


async def test_new_episodes_replays_known_and_records_new(tmp_path: Path) -> None:
    path = tmp_path / "cassette"
    await events_of(cassette(ScriptedProvider("old"), path, mode="all"), "known")
    live = ScriptedProvider("new")
    episodes = cassette(live, path, mode="new_episodes")
    assert _texts(await events_of(episodes, "known")) == "old"
    assert _texts(await events_of(episodes, "unknown")) == "new"
    assert live.call_count == 1
    replay = cassette(ScriptedProvider("x"), path, mode="none")
    assert _texts(await events_of(replay, "unknown")) == "new"
    assert _texts(await events_of(replay, "known")) == "old"


async def test_all_mode_rerecords_and_never_replays(tmp_path: Path) -> None:
    path = tmp_path / "cassette"
    await events_of(cassette(ScriptedProvider("old"), path, mode="all"), "q")
    live = ScriptedProvider("new one", "new two")
    rerecording = cassette(live, path, mode="all")
    assert _texts(await events_of(rerecording, "q")) == "new one"
    assert _texts(await events_of(rerecording, "q")) == "new two"
    assert live.call_count == 2
    replay = cassette(ScriptedProvider("x"), path, mode="none")
    assert _texts(await events_of(replay, "q")) == "new one"
    assert _texts(await events_of(replay, "q")) == "new two"
    with pytest.raises(CassetteMiss):
        replay.stream("q")


def test_unknown_mode_and_timing() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        cassette(ScriptedProvider("x"), "p", mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timing must be"):
        cassette(ScriptedProvider("x"), "p", timing=0)
