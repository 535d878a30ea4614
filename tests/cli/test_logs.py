"""The conversation log: ``eventide chat`` writes a real SQLite database, ``eventide logs``
reads it, ``chat -c/--cid`` continue a conversation. The console script in a subprocess,
against a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
from typing import TYPE_CHECKING, Any

from eventide import Event, Metadata
from eventide._serde import structure
from tests.cli.script import SCRIPT, environment, run
from tests.http_server import Reply, Stall, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from pathlib import Path

    from tests.http_server import ScriptedServer

KEY = "sk-logs-test-0123456789abcdefghijklmnopqrstuv"


def _answers(*texts: str) -> list[Reply]:
    """One streamed answer per text, a piece per word."""
    return [
        Reply(body=openai_chunks(re.findall(r"\S+\s*", text), model="llama-3")) for text in texts
    ]


def _eventide(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``eventide ARGS`` with its log at `db`."""
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(EVENTIDE_LOGS_PATH=str(db), **env),
        check=False,
    )


def _chat(
    server: ScriptedServer, db: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    url = f"{server.url}/v1"
    return _eventide(db, "chat", *args, OPENAI_BASE_URL=url, OPENAI_API_KEY=KEY, **env)


def _rows(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(row) for row in connection.execute("SELECT * FROM exchanges ORDER BY id")]
    connection.close()
    return rows


def test_chat_logs_the_exchange_to_sqlite_without_the_key(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "logs.db"
    with serve_in_thread() as server:
        server.queue(*_answers("Blue sky."))
        result = _chat(server, db, "Why is the sky?", "--system", "Be brief.", "--model", "llama-3")
    assert result.returncode == 0, result.stderr
    (row,) = _rows(db)
    assert (row["provider"], row["model"], row["requested_model"]) == (
        "openai",
        "llama-3",
        "llama-3",
    )
    assert (row["prompt"], row["system"], row["response"]) == (
        "Why is the sky?",
        "Be brief.",
        "Blue sky.",
    )
    assert (row["finish_reason"], row["input_tokens"], row["output_tokens"]) == ("stop", 12, 2)
    assert json.loads(row["usage"])["total_tokens"] == 14
    assert row["error"] is None
    assert 0 < row["to_first_token"] <= row["duration"]
    request = json.loads(row["request"])
    assert [m["content"] for m in request["messages"]] == ["Be brief.", "Why is the sky?"]
    # the events, in the record format: {"t", "event"} lines, the cattrs event form
    lines = [json.loads(line) for line in row["events"].splitlines()]
    events: list[Event] = [structure(line["event"], Event) for line in lines]  # type: ignore[arg-type]
    assert isinstance(events[0], Metadata)
    assert [e.kind for e in events] == ["metadata", "text_delta", "text_delta", "usage", "finish"]
    assert all(line["t"] >= 0 for line in lines)
    assert KEY.encode() not in db.read_bytes()
    assert KEY not in result.stdout + result.stderr
    assert db.stat().st_mode & 0o077 == 0  # the owner's only


def test_chat_logs_a_failure_with_its_error_and_never_the_echoed_key(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    body = json.dumps(
        {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}}
    )
    reply = Reply(401, headers=(("content-type", "application/json"),), body=[body.encode()])
    with serve_in_thread(reply) as server:
        result = _chat(server, db, "hi")
    assert result.returncode == 1
    (row,) = _rows(db)
    error = json.loads(row["error"])
    assert (error["kind"], error["class"], error["status_code"]) == (
        "authentication",
        "AuthenticationError",
        401,
    )
    assert row["response"] == ""
    assert KEY.encode() not in db.read_bytes()


def test_chat_continue_sends_the_conversation_again(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    with serve_in_thread() as server:
        server.queue(*_answers("Blue sky.", "Ciel bleu.", "Off.", "Rouge.", "Bleu encore."))
        first = _chat(server, db, "Why is the sky?", "--system", "Be brief.")
        second = _chat(server, db, "-c", "And in French?")
        other = _chat(server, db, "Another topic", "--no-log")
        third = _chat(server, db, "Red?")  # a new conversation
        cid = _rows(db)[0]["conversation_id"]
        fourth = _chat(server, db, "--cid", cid, "Again?")
    for result in (first, second, other, third, fourth):
        assert result.returncode == 0, result.stderr
    sent = [request.json()["messages"] for request in server.requests]
    assert sent[1] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Why is the sky?"},
        {"role": "assistant", "content": "Blue sky."},
        {"role": "user", "content": "And in French?"},
    ]
    assert sent[3] == [{"role": "user", "content": "Red?"}]
    assert sent[4] == [
        *sent[1],
        {"role": "assistant", "content": "Ciel bleu."},
        {"role": "user", "content": "Again?"},
    ]
    rows = _rows(db)
    assert [row["prompt"] for row in rows] == [
        "Why is the sky?",
        "And in French?",
        "Red?",
        "Again?",
    ]
    conversations = [row["conversation_id"] for row in rows]
    assert conversations[0] == conversations[1] == conversations[3] == cid
    assert conversations[2] != cid


def test_chat_continue_without_a_conversation_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    with serve_in_thread() as server:
        empty = _chat(server, db, "-c", "hi")
        unknown = _chat(server, db, "--cid", "nope", "hi")
    assert server.requests == []
    assert empty.returncode == unknown.returncode == 3  # a configuration error
    assert empty.stderr.splitlines()[-1].startswith("eventide: error: no conversation to continue")
    assert "no conversation 'nope' in the log" in unknown.stderr
    assert "Traceback" not in empty.stderr + unknown.stderr


def test_logging_off_by_option_or_setting_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    with serve_in_thread() as server:
        server.queue(*_answers("One.", "Two."))
        by_option = _chat(server, db, "hi", "--no-log")
        by_setting = _chat(server, db, "hi", EVENTIDE_LOGS="off")
    assert by_option.returncode == by_setting.returncode == 0
    assert not db.exists()


def test_an_unwritable_log_is_warned_about_once_and_the_answer_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with serve_in_thread() as server:
        server.queue(*_answers("Still here."))
        result = _chat(server, blocker / "logs.db", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Still here.\n"
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("eventide: warning: cannot open the log at ")
    assert warnings[0].endswith("going on without logging")


def test_logs_lists_searches_and_shows_one_conversation(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    assert _eventide(db, "logs", "--json").stdout.strip() == "[]"  # no log yet: none
    with serve_in_thread() as server:
        server.queue(*_answers("Blue sky.", "Ciel bleu.", "Red 100%."))
        _chat(server, db, "Why is the sky?")
        _chat(server, db, "-c", "And in French?")
        _chat(server, db, "Mars?")
    text = _eventide(db, "logs")
    assert text.returncode == 0, text.stderr
    assert text.stdout.count("## Prompt") == 3
    assert text.stdout.index("Why is the sky?") < text.stdout.index("Mars?")  # oldest first
    assert "[finish: stop · 12 in / 2 out tokens · " in text.stdout
    latest = json.loads(_eventide(db, "logs", "-n", "1", "--json").stdout)
    assert [row["prompt"] for row in latest] == ["Mars?"]
    assert latest[0]["events"][0]["event"]["kind"] == "metadata"
    found = json.loads(_eventide(db, "logs", "-q", "FRENCH", "-n", "0", "--json").stdout)
    assert [row["prompt"] for row in found] == ["And in French?"]
    assert json.loads(_eventide(db, "logs", "-q", "100%", "--json").stdout)[0]["prompt"] == "Mars?"
    assert json.loads(_eventide(db, "logs", "-q", "1_0", "--json").stdout) == []  # _ is no wildcard
    cid = found[0]["conversation_id"]
    talk = json.loads(_eventide(db, "logs", "--cid", cid, "--json").stdout)
    assert [row["prompt"] for row in talk] == ["Why is the sky?", "And in French?"]
    assert _eventide(db, "logs", "--path").stdout == f"{db}\n"


def test_logs_refuses_a_negative_count_in_one_line() -> None:
    result = run("logs", "-n", "-1")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "eventide logs: error: argument -n/--count: must be 0 (all) or more, not -1"
    )


def test_an_interrupted_chat_is_logged_with_what_arrived(tmp_path: Path) -> None:
    """Ctrl-C mid-answer: the exchange is kept, its text so far and an ``abandoned`` error."""
    db = tmp_path / "logs.db"
    chunks = openai_chunks(["Half ", "an ", "answer"], model="llama-3")
    with serve_in_thread(Reply(body=[*chunks[:3], Stall()])) as server:
        process = subprocess.Popen(
            [str(SCRIPT), "chat", "hi"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(
                EVENTIDE_LOGS_PATH=str(db), OPENAI_BASE_URL=f"{server.url}/v1", OPENAI_API_KEY=KEY
            ),
        )
        assert process.stdout is not None
        seen = b""
        while b"Half an " not in seen:  # the answer so far has been printed
            piece = os.read(process.stdout.fileno(), 1024)
            assert piece, "the command ended before the answer started"
            seen += piece
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    (row,) = _rows(db)
    assert row["response"] == "Half an "
    assert json.loads(row["error"])["kind"] == "abandoned"
    assert row["finish_reason"] is None


def test_a_log_that_is_not_a_database_is_one_line_for_logs_and_a_warning_for_chat(
    tmp_path: Path,
) -> None:
    db = tmp_path / "logs.db"
    db.write_bytes(b"not a database, " * 100)
    listed = _eventide(db, "logs")
    assert listed.returncode == 3  # a configuration error
    assert listed.stderr.startswith(f"eventide: error: cannot read the log {db}: ")
    assert "Traceback" not in listed.stderr
    with serve_in_thread() as server:
        server.queue(*_answers("Fine."))
        chat = _chat(server, db, "hi")
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout == "Fine.\n"
    assert chat.stderr.count("eventide: warning: cannot open the log at ") == 1
