"""The record file: its header, secrets never written, bad lines named, old versions read."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Final

import pytest

from eventide import Event, Finish, Message, Request, StageError, TextDelta
from eventide._serde import json_line, unstructure
from eventide.record import (
    FORMAT_VERSION,
    RecordFormatError,
    ReplayProvider,
    read_record,
    record,
    request_key,
)
from eventide.record._format import event_lines
from eventide.testing import ScriptedProvider
from tests.record.helpers import DATA, REQUEST, events_of

if TYPE_CHECKING:
    from pathlib import Path

KEY: Final = "sk-proj-verysecret-0123456789abcdef"


async def test_header_names_version_request_provider_model(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    await events_of(record(ScriptedProvider("Hi there", name="acme"), path), REQUEST)
    header = json.loads(path.read_bytes().splitlines()[0])
    assert header["eventide_record"] == FORMAT_VERSION
    assert header["eventide"]
    assert header["provider"] == "acme"
    assert header["model"] == "gpt-4o-mini"
    assert header["started"].endswith("+00:00")
    assert header["request"]["messages"][0]["content"] == "Why is the sky blue?"
    lines = [json.loads(line) for line in path.read_bytes().splitlines()[1:]]
    assert next(line["event"]["kind"] for line in lines) == "metadata"
    offsets = [line["t"] for line in lines]
    assert offsets == sorted(offsets)
    assert all(isinstance(t, float) and t >= 0 for t in offsets)


async def test_record_holds_no_secret(tmp_path: Path) -> None:
    request = Request(
        [Message.user("hi")],
        model="m",
        headers={"Authorization": f"Bearer {KEY}", "X-Api-Key": KEY, "X-Trace": "t-1"},
        query={"key": KEY, "page": "2"},
        extra={"api_key": KEY, "nested": {"access_token": KEY}, "max_tokens": 5},
    )
    path = tmp_path / "r.jsonl"
    provider = ScriptedProvider("Hello", api_key=KEY)
    await events_of(record(provider, path), request)
    text = path.read_text()
    assert KEY not in text
    assert "verysecret" not in text
    kept = read_record(path).request
    assert kept.headers == {"X-Trace": "t-1"}
    assert kept.query == {"page": "2"}
    assert kept.extra == {"nested": {}, "max_tokens": 5}
    assert request.headers["X-Api-Key"] == KEY  # the caller's request is untouched


async def test_record_to_a_directory_names_files_by_request_key(tmp_path: Path) -> None:
    provider = record(ScriptedProvider("a", "b", "c"), tmp_path / "out")
    (tmp_path / "out").mkdir()
    for prompt in ("same", "same", "other"):
        await events_of(provider, prompt)
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    same = request_key(Request([Message.user("same")]))[:16]
    other = request_key(Request([Message.user("other")]))[:16]
    assert names == sorted([f"{same}-1.jsonl", f"{same}-2.jsonl", f"{other}-1.jsonl"])


async def test_record_to_a_file_records_one_stream(tmp_path: Path) -> None:
    provider = record(ScriptedProvider("a", "b"), tmp_path / "r.jsonl")
    await events_of(provider, "one")
    with pytest.raises(StageError, match="records one stream"):
        provider.stream("two")


def test_request_key_ignores_headers_and_secrets_but_not_content() -> None:
    plain = Request([Message.user("hi")], model="m")
    with_headers = Request([Message.user("hi")], model="m", headers={"authorization": "x"})
    assert request_key(plain) == request_key(with_headers)
    assert request_key(plain) != request_key(Request([Message.user("hi!")], model="m"))
    assert request_key(plain) != request_key(Request([Message.user("hi")], model="n"))
    # Pinned: the key must not change between versions, or cassettes stop matching.
    key = "19e21ad5462e808b27165af1d6f50bd3a1eff3a04bb4a4cd080a9871cbfa0929"
    assert request_key(Request([Message.user("hi")])) == key


def _write(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def _good_lines(tmp_path: Path) -> list[bytes]:
    return (DATA / "records" / "v1-text.jsonl").read_bytes().splitlines(keepends=True)


def test_truncated_line_is_named(tmp_path: Path) -> None:
    lines = _good_lines(tmp_path)
    path = _write(tmp_path, [*lines[:3], lines[3][:-9]])
    with pytest.raises(RecordFormatError, match=r"bad\.jsonl:4: truncated line") as info:
        read_record(path)
    assert info.value.line == 4
    assert info.value.path == str(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"{not json\n", "not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"event": {"kind": "text_delta", "text": "x"}}\n', "no time offset"),
        (b'{"t": 0.1, "event": {"kind": "text_delta"}}\n', "corrupted line"),
        (b'{"t": 0.1, "what": 1}\n', "neither an event"),
        (b'{"t": 0.1, "error": {"kind": "server"}}\n', "not an error"),
    ],
)
def test_corrupted_line_is_named(tmp_path: Path, line: bytes, message: str) -> None:
    lines = _good_lines(tmp_path)
    path = _write(tmp_path, [*lines[:2], line, *lines[2:]])
    with pytest.raises(RecordFormatError, match=rf"bad\.jsonl:3: .*{message}"):
        read_record(path)


def test_bad_header_and_empty_file(tmp_path: Path) -> None:
    lines = _good_lines(tmp_path)
    with pytest.raises(RecordFormatError, match=r":1: not an eventide record"):
        read_record(_write(tmp_path, lines[1:]))
    newer = json.loads(lines[0])
    newer["eventide_record"] = FORMAT_VERSION + 1
    with pytest.raises(RecordFormatError, match=r":1: record format .* is newer"):
        read_record(_write(tmp_path, [json.dumps(newer).encode() + b"\n", *lines[1:]]))
    with pytest.raises(RecordFormatError, match=r"bad\.jsonl: empty file"):
        read_record(_write(tmp_path, []))


def test_line_after_the_end_is_named(tmp_path: Path) -> None:
    lines = (DATA / "records" / "v1-error.jsonl").read_bytes().splitlines(keepends=True)
    path = _write(tmp_path, [*lines, lines[1]])
    with pytest.raises(RecordFormatError, match=rf":{len(lines) + 1}: a line after the end"):
        read_record(path)


@pytest.mark.parametrize("name", ["v1-text.jsonl", "v1-error.jsonl"])
async def test_checked_in_v1_records_keep_replaying(name: str) -> None:
    """Records written by eventide 0.1.0 (format 1): later versions must replay them."""
    path = DATA / "records" / name
    outcome = await events_of(ReplayProvider(path), REQUEST)
    golden = json.loads((DATA / "records" / (name + ".expected.json")).read_text())
    assert [event.kind for event in outcome.events] == golden["kinds"]
    text = "".join(
        getattr(event, "text", "") for event in outcome.events if event.kind == "text_delta"
    )
    assert text == golden["text"]
    assert (outcome.error or {}).get("kind") == golden["error_kind"]


async def test_a_stream_never_read_leaves_no_record(tmp_path: Path) -> None:
    provider = record(ScriptedProvider("a", "b", "c"), tmp_path)
    async with provider.stream("closed unread"):
        pass
    provider.stream("dropped unread")
    assert os.listdir(tmp_path) == []
    await events_of(provider, "read")
    [name] = os.listdir(tmp_path)
    assert read_record(tmp_path / name).request.messages[-1].content == "read"


def test_event_lines_are_json_lines_even_with_a_lone_surrogate() -> None:
    events: list[Event] = [TextDelta('quote " é\n'), TextDelta("\udcff"), Finish("stop")]
    for batch in ([events[0]], events):
        expected = b"".join(json_line({"t": 0.5, "event": unstructure(e)}) for e in batch)
        assert event_lines(batch, 0.5) == expected
    assert b"\\udcff" in event_lines(events, 0.5)
