"""``eventide chat --record``, ``eventide replay`` and ``eventide batch --record-dir``, run
as a user runs them, against a real loopback server that is gone when the replay runs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from eventide.record import ReplayProvider, read_record
from tests.cli.script import run, write_jsonl
from tests.http_server import Reply, openai_chunks, serve_in_thread
from tests.record.helpers import events_of

if TYPE_CHECKING:
    from pathlib import Path

KEY = "sk-cli-record-secret-0123456789"


def _chat(*args: str, body: list[bytes] | None = None) -> tuple[str, str, int]:
    """``eventide chat`` against a loopback server answering `body`: (stdout, stderr, rc)."""
    reply = Reply(body=body or openai_chunks(["Blue ", "sky."], model="llama-3"))
    with serve_in_thread(reply) as server:
        result = run(
            "chat",
            "Why is the sky?",
            "--base-url",
            f"{server.url}/v1",
            *args,
            OPENAI_API_KEY=KEY,
        )
    return result.stdout, result.stderr, result.returncode


def test_chat_record_then_replay_prints_the_same(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    stdout, stderr, code = _chat("--record", str(path))
    assert code == 0, stderr
    assert stdout == "Blue sky.\n"
    assert KEY not in path.read_text()
    replayed = run("replay", str(path))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == stdout
    first_token = re.compile(r" · first token [0-9.]+ s\]")  # a replay's own timing
    assert first_token.search(stderr)
    assert first_token.sub("]", replayed.stderr) == first_token.sub("]", stderr)


def test_chat_json_record_then_replay_json_prints_the_same_lines(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    stdout, stderr, code = _chat("--json", "--record", str(path))
    assert code == 0, stderr
    replayed = run("replay", "--json", "--timing", "preserved", str(path))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == stdout
    assert stdout.count("\n") == len(read_record(path).events)


def test_replay_of_a_failed_record_fails_as_chat_did(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    cut = openai_chunks(["Blue ", "sky."])[:2]  # the body ends before its terminal event
    stdout, stderr, code = _chat("--record", str(path), body=cut)
    assert code == 1
    assert "eventide: error:" in stderr
    replayed = run("replay", str(path))
    assert replayed.returncode == 1
    assert replayed.stdout == stdout
    assert replayed.stderr == stderr


def test_replay_of_a_broken_record_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    _chat("--record", str(path))
    path.write_bytes(path.read_bytes()[:-5])
    lines = path.read_bytes().count(b"\n") + 1
    replayed = run("replay", str(path))
    assert replayed.returncode == 1
    assert f"eventide: error: {path}:{lines}: truncated line" in replayed.stderr
    assert "Traceback" not in replayed.stderr
    missing = run("replay", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 1
    assert "No such file" in missing.stderr


async def test_batch_record_dir_records_every_stream(tmp_path: Path) -> None:
    requests = tmp_path / "in.jsonl"
    write_jsonl(requests, [{"id": "a", "prompt": "one"}, {"id": "b", "prompt": "two"}])
    folder = tmp_path / "records"
    with serve_in_thread(Reply(body=openai_chunks(["Hi"]))) as server:
        result = run(
            "batch",
            str(requests),
            "-o",
            str(tmp_path / "out.jsonl"),
            "--record-dir",
            str(folder),
            "--base-url",
            f"{server.url}/v1",
            "--model",
            "m",
            OPENAI_API_KEY=KEY,
        )
    assert result.returncode == 0, result.stderr
    files = sorted(folder.iterdir())
    assert len(files) == 2
    prompts = set()
    for path in files:
        assert KEY not in path.read_text()
        recorded = read_record(path)
        prompts.add(recorded.request.messages[-1].content)
        outcome = await events_of(ReplayProvider(recorded), recorded.request)
        assert outcome.error is None
        assert "".join(getattr(e, "text", "") for e in outcome.events) == "Hi"
    assert prompts == {"one", "two"}
