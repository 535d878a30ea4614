"""Record -> replay gives the identical events, error and `Completion`: for every transcript
of every provider, for an error mid-stream, for a stream abandoned after `Metadata`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pytest

from eventide import Metadata, ProtocolError, RateLimitError, TextDelta
from eventide.record import ReplayProvider, read_record, record
from eventide.testing import Reply, ScriptedProvider, StreamError
from tests.record.helpers import DATA, REQUEST, completion_of, events_of

if TYPE_CHECKING:
    from pathlib import Path

    from eventide.testing import Api

_APIS: Final[dict[str, Api]] = {
    "openai_chat": "openai",
    "openai_responses": "openai-responses",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "ollama": "ollama",
}
TRANSCRIPTS: Final = sorted(
    (folder, path.name) for folder in _APIS for path in (DATA / folder).iterdir() if path.is_file()
)


def _reply(folder: str, name: str) -> Reply:
    return Reply.transcript((DATA / folder / name).read_bytes(), api=_APIS[folder], chunk_size=7)


@pytest.mark.parametrize(("folder", "name"), TRANSCRIPTS, ids=[f"{f}/{n}" for f, n in TRANSCRIPTS])
async def test_record_replays_every_transcript_identically(
    folder: str, name: str, tmp_path: Path
) -> None:
    reply = _reply(folder, name)
    path = tmp_path / "r.jsonl"
    live = await events_of(record(ScriptedProvider(reply), path), REQUEST)
    replayed = await events_of(ReplayProvider(path), REQUEST)
    assert replayed == live
    assert live.events  # every transcript gives Metadata at least, or an error
    live_completion = await completion_of(ScriptedProvider(reply), REQUEST)
    assert await completion_of(ReplayProvider(path), REQUEST) == live_completion


def test_transcripts_found() -> None:
    assert len(TRANSCRIPTS) > 50
    assert {folder for folder, _ in TRANSCRIPTS} == set(_APIS)


async def test_record_replays_an_error_mid_stream(tmp_path: Path) -> None:
    reply = Reply.text("one two three four", fail=StreamError(after=3, code="rate_limit_exceeded"))
    path = tmp_path / "r.jsonl"
    live = await events_of(record(ScriptedProvider(reply), path), REQUEST)
    assert live.error_type is RateLimitError
    assert any(type(event) is TextDelta for event in live.events)
    replayed = await events_of(ReplayProvider(path), REQUEST)
    assert replayed == live
    partial = await completion_of(ReplayProvider(path), REQUEST)
    assert partial == await completion_of(ScriptedProvider(reply), REQUEST)
    assert partial[1] is RateLimitError
    assert partial[0].text  # the partial answer came back with the error


async def test_record_replays_a_failure_before_any_event(tmp_path: Path) -> None:
    reply = Reply.http_error(429, headers={"retry-after": "7"})
    path = tmp_path / "r.jsonl"
    live = await events_of(record(ScriptedProvider(reply), path), REQUEST)
    assert live.events == []
    assert live.error is not None
    assert live.error["retry_after"] == 7
    assert await events_of(ReplayProvider(path), REQUEST) == live


async def test_record_replays_a_stream_abandoned_after_metadata(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    live = await events_of(record(ScriptedProvider("a b c d e f"), path), REQUEST, stop_after=1)
    assert [type(event) for event in live.events] == [Metadata]
    assert read_record(path).abandoned
    assert await events_of(ReplayProvider(path), REQUEST, stop_after=1) == live
    # Read past where the consumer stopped: the record has nothing more, and says so.
    past = await events_of(ReplayProvider(path), REQUEST)
    assert past.events == live.events
    assert past.error_type is ProtocolError
    assert "closed by its consumer" in past.error["message"]  # type: ignore[index]
