"""``eventide batch``, run as a user runs it: the console script in a subprocess, against real
loopback servers (`serve_in_thread`), interrupted for real (SIGKILL, SIGINT) and resumed."""

from __future__ import annotations

import json
import select
import signal
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.script import by_id, read_records, run_batch, start_batch, write_jsonl
from tests.http_server import Cut, Pause, Received, Reply, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.http_server import Piece, ScriptedServer

AUTH_ERROR = b'{"error":{"message":"Invalid API key","type":"invalid_request_error"}}'


def prompt_of(request: Received) -> str:
    content: str = request.json()["messages"][-1]["content"]
    return content


def echo(request: Received, *, pause: float = 0.0) -> Reply:
    """Answer ``echo: PROMPT`` as the requested model; a prompt can ask for a failure."""
    prompt = prompt_of(request)
    if prompt.startswith("fail-401"):
        headers = (("content-type", "application/json"),)
        return Reply(status=401, headers=headers, body=[AUTH_ERROR])
    pieces: list[Piece] = [*openai_chunks(["echo: ", prompt], model=request.json()["model"])]
    if prompt.startswith("cut"):
        return Reply(body=[*pieces[:2], Cut()])
    if pause:
        pieces.insert(2, Pause(pause))
    return Reply(body=pieces)


def slow_echo(request: Received) -> Reply:
    return echo(request, pause=0.1)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve_in_thread(echo) as running:
        yield running


def test_batch_runs_every_request(tmp_path: Path, server: ScriptedServer) -> None:
    items: list[dict[str, Any]] = []
    for i in range(300):
        item: dict[str, Any] = {"id": f"r{i}", "prompt": f"question {i} é"}
        if i % 10 == 3:
            del item["id"]  # its id is its line number
        if i % 7 == 0:
            item = {**item, "model": "special-1", "temperature": 0.5}
            item["messages"] = [{"role": "user", "content": item.pop("prompt")}]
        items.append(item)
    write_jsonl(tmp_path / "in.jsonl", items)

    args = ("in.jsonl", "-o", "out.jsonl", "--concurrency", "32", "--model", "base-1")
    result = run_batch(*args, "--base-url", f"{server.url}/v1", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1].startswith("eventide: batch: 300 ok, 0 failed in ")
    assert "no provider configured" not in result.stderr
    raw = (tmp_path / "out.jsonl").read_bytes()
    assert "é".encode() in raw  # ensure_ascii=False
    assert b'{"id":' in raw  # compact
    records = by_id(read_records(tmp_path / "out.jsonl"))
    expected_ids = [item.get("id", line) for line, item in enumerate(items, 1)]
    assert sorted(records, key=str) == sorted(expected_ids, key=str)
    for line, item in enumerate(items, 1):
        record = records[item.get("id", line)]
        asked = item.get("prompt") or item["messages"][0]["content"]
        assert record == {
            "id": item.get("id", line),
            "provider": "openai",
            "model": item.get("model", "base-1"),
            "text": f"echo: {asked}",
            "reasoning": "",
            "tool_calls": [],
            "usage": {
                "input_tokens": 12,
                "output_tokens": 2,
                "total_tokens": 14,
                "cache_read_tokens": 0,
                "cache_write_tokens": None,
                "reasoning_tokens": 0,
            },
            "finish_reason": "stop",
            "error": None,
        }
    timing = read_records(tmp_path / "out.jsonl")[0]["timing"]
    assert set(timing) == {"to_metadata", "to_first_content", "total"}
    assert 0 <= timing["to_metadata"] <= timing["to_first_content"] <= timing["total"]
    sent = sorted(request.json()["model"] for request in server.requests)
    assert sent == sorted(item.get("model", "base-1") for item in items)


def test_batch_writes_request_errors_as_records(tmp_path: Path, server: ScriptedServer) -> None:
    items = [{"id": "ok", "prompt": "fine"}, {"id": "auth", "prompt": "fail-401"}]
    items.append({"id": "cut", "prompt": "cut short"})
    write_jsonl(tmp_path / "in.jsonl", items)

    result = run_batch(
        "in.jsonl", "-o", "out.jsonl", "--base-url", f"{server.url}/v1", cwd=tmp_path
    )

    assert result.returncode == 1
    assert "1 ok, 2 failed (2 request errors)" in result.stderr
    records = by_id(read_records(tmp_path / "out.jsonl"))
    assert records["ok"]["error"] is None
    auth = records["auth"]
    assert auth["provider"] == "openai"
    assert auth["text"] is None
    assert auth["error"] == {
        "kind": "authentication",
        "message": "HTTP 401: Invalid API key",
        "status_code": 401,
        "retryable": False,
        "partial_text": "",
    }
    cut = records["cut"]
    assert cut["error"]["retryable"] is True
    assert cut["error"]["status_code"] is None
    assert cut["error"]["partial_text"] == "echo: "
    assert cut["model"] == "gpt-4o-mini"  # the provider's default: no model was given
    assert cut["finish_reason"] is None

    requested = len(server.requests)
    again = run_batch("in.jsonl", "-o", "out.jsonl", "--base-url", f"{server.url}/v1", cwd=tmp_path)
    assert again.returncode == 1  # OUT still holds two failures: not retried, still failed
    assert "0 ok, 0 failed in " in again.stderr
    assert "; 3 already in out.jsonl (2 failed)" in again.stderr
    assert len(server.requests) == requested


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_batch_resumes_after_an_interruption(tmp_path: Path, how: signal.Signals) -> None:
    """A killed (or Ctrl-C'ed) batch, re-run, ends with the records of a clean run; a
    torn last line is repaired, and ids already in OUT are not requested again."""
    total = 60
    write_jsonl(tmp_path / "in.jsonl", [{"prompt": f"p{i}"} for i in range(total)])
    with serve_in_thread(slow_echo) as server:
        url = f"{server.url}/v1"
        command = ("in.jsonl", "-o", "out.jsonl", "--concurrency", "4", "--base-url", url)
        process = start_batch(*command, cwd=tmp_path)
        try:
            # A slot frees, and request 4 + k is sent, only after the k-th record is written
            # (in the same step, before the next await): 12 requests mean 8 records in OUT.
            server.wait_for_sync(lambda: len(server.requests) >= 12, 30, "8 records in OUT")
            process.send_signal(how)
            _, stderr = process.communicate(timeout=30)
        finally:
            process.kill()
        done = read_records(tmp_path / "out.jsonl")
        assert 8 <= len(done) < total
        if how == signal.SIGINT:
            assert process.returncode == 130
            assert "interrupted: run the same command again to resume" in stderr
        else:
            assert process.returncode == -signal.SIGKILL
            with (tmp_path / "out.jsonl").open("a") as out:
                out.write('{"id":999,"provider":"op')  # a record cut by a crash
        requested = len(server.requests)

        resumed = run_batch(*command, cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
        assert f"; {len(done)} already in out.jsonl" in resumed.stderr
        if how == signal.SIGKILL:
            assert "out.jsonl: removed an incomplete last line (24 bytes)" in resumed.stderr
        assert len(server.requests) - requested == total - len(done)

        clean = run_batch("in.jsonl", "-o", "clean.jsonl", "--base-url", url, cwd=tmp_path)
        assert clean.returncode == 0, clean.stderr
    assert by_id(read_records(tmp_path / "out.jsonl")) == by_id(
        read_records(tmp_path / "clean.jsonl")
    )


MALFORMED: list[dict[str, Any] | str] = [
    {"id": "a", "prompt": "one"},  # 1
    "not json",  # 2
    "",  # 3: blank lines are no requests
    {"id": "a", "prompt": "again"},  # 4
    "[1, 2]",  # 5
    {"id": "c"},  # 6
    {"id": "d", "prompt": 5},  # 7
    {"id": True, "prompt": "x"},  # 8
    {"id": "e", "prompt": "x", "temperature": "hot"},  # 9
    {"id": "f", "messages": [{"role": "robot", "content": "x"}]},  # 10
    {"prompt": "no id"},  # 11
    '{"id": "g", "prompt": "half a pair: \\ud800"}',  # 12: valid JSON, not valid Unicode
    '{"id": "h", "prompt": "x", "temperature": NaN}',  # 13: Python's json reads NaN
    {"id": "i", "prompt": "x", "max_tokens": -1},  # 14
    {"id": "j", "messages": {"role": "user"}},  # 15
]
UNBUILDABLE = {
    "c": "a request needs messages or prompt",
    "d": "prompt must be a string, not a number",
    "e": "temperature must be a number, not a string",
    "f": "messages[0]: unknown role 'robot'",
    "g": "messages[0]: content is not valid Unicode: a lone surrogate U+D800 at index 13",
    "h": "temperature must be a finite number, not nan",
    "i": "max_tokens must be at least 0, not -1",
    "j": "messages must be a list, not an object",
}


def test_batch_reports_malformed_lines_and_skips_them(tmp_path: Path) -> None:
    """Lines that name no request are reported and skipped; a request that cannot be built
    is an error record, and the batch goes on; a re-run neither re-runs nor re-crashes."""
    write_jsonl(tmp_path / "in.jsonl", MALFORMED)

    result = run_batch("in.jsonl", "-o", "out.jsonl", "--provider", "demo", cwd=tmp_path)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    reports = [line for line in result.stderr.splitlines() if line.startswith("eventide: in.")]
    assert reports == [
        "eventide: in.jsonl:2: invalid JSON: Expecting value (column 1); skipped",
        'eventide: in.jsonl:4: duplicate id "a" (first on line 1); skipped',
        "eventide: in.jsonl:5: expected a JSON object, got an array; skipped",
        "eventide: in.jsonl:8: id must be a string or an integer, not a boolean; skipped",
    ]
    assert "2 ok, 12 failed (8 request errors, 3 malformed lines, 1 duplicate id)" in (
        result.stderr
    )
    records = by_id(read_records(tmp_path / "out.jsonl"))
    assert sorted(records, key=str) == sorted([11, "a", *UNBUILDABLE], key=str)
    assert "You asked: “one”" in records["a"]["text"]
    for item_id, message in UNBUILDABLE.items():
        assert records[item_id]["error"] == {
            "kind": "bad_request",
            "message": f"invalid request: {message}",
            "status_code": None,
            "retryable": False,
            "partial_text": "",
        }
        assert records[item_id]["provider"] is None

    again = run_batch("in.jsonl", "-o", "out.jsonl", "--provider", "demo", cwd=tmp_path)
    assert again.returncode == 1  # the same lines are still bad, the same requests failed
    assert "Traceback" not in again.stderr
    assert again.stderr.count("; skipped") == 4
    assert "; 10 already in out.jsonl (8 failed)" in again.stderr
    assert len(read_records(tmp_path / "out.jsonl")) == 10


def test_batch_on_error_stop_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    items: list[dict[str, Any] | str] = [{"prompt": f"p{i}"} for i in range(10)]
    items[5] = '{"prompt": "unterminated'
    write_jsonl(tmp_path / "in.jsonl", items)

    args = ("in.jsonl", "-o", "out.jsonl", "--provider", "demo", "--concurrency", "2")
    result = run_batch(*args, "--on-error", "stop", cwd=tmp_path)

    assert result.returncode == 1
    assert "in.jsonl:6: invalid JSON: Unterminated string" in result.stderr
    assert "; stopping (--on-error stop)" in result.stderr
    assert "stopped at a bad input line" in result.stderr.splitlines()[-1]
    assert sorted(record["id"] for record in read_records(tmp_path / "out.jsonl")) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_batch_ordered_writes_in_input_order(tmp_path: Path) -> None:
    count = 8

    def later_is_faster(request: Received) -> Reply:
        return echo(request, pause=0.02 * (count - int(prompt_of(request))))

    write_jsonl(tmp_path / "in.jsonl", [{"id": f"x{i}", "prompt": str(i)} for i in range(count)])
    with serve_in_thread(later_is_faster) as server:
        args = ("in.jsonl", "-o", "out.jsonl", "--ordered", "--concurrency", str(count))
        result = run_batch(*args, "--base-url", f"{server.url}/v1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = [record["id"] for record in read_records(tmp_path / "out.jsonl")]
    assert ids == [f"x{i}" for i in range(count)]


def test_batch_without_configuration_uses_the_offline_demo(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", [{"id": "q", "prompt": "hello"}, {"prompt": "bye"}])

    result = run_batch("in.jsonl", "-o", "out.jsonl", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "no provider configured, using the offline demo provider" in result.stderr
    assert "OPENAI_API_KEY" in result.stderr
    records = by_id(read_records(tmp_path / "out.jsonl"))
    assert set(records) == {"q", 2}
    for record in records.values():
        assert record["provider"] == "demo"
        assert record["model"] == "eventide-demo-1"
        assert record["finish_reason"] == "stop"
    assert "You asked: “hello”" in records["q"]["text"]
    assert "You asked: “bye”" in records[2]["text"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "-o", "out.jsonl"], "No such file or directory: missing.jsonl"),
        (["in.jsonl", "-o", "in.jsonl"], "IN and OUT are the same file"),
        (["in.jsonl", "-o", "out.jsonl", "--concurrency", "0"], "must be at least 1"),
        (["in.jsonl"], "the following arguments are required: -o/--output"),
    ],
)
def test_batch_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    write_jsonl(tmp_path / "in.jsonl", [{"prompt": "p"}])
    result = run_batch(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_batch_to_a_pipe_writes_every_record_without_reading_it_back(tmp_path: Path) -> None:
    """``-o /dev/stdout`` with a pipe as stdout: every record arrives on the pipe (nothing
    can be resumed from a pipe, and stderr says so), and a second run does the same."""
    write_jsonl(tmp_path / "in.jsonl", [{"id": i, "prompt": f"p{i}"} for i in range(20)])
    args = ("in.jsonl", "-o", "/dev/stdout", "--provider", "demo", "--concurrency", "4")

    for _ in range(2):
        result = run_batch(*args, cwd=tmp_path, timeout=20)

        assert result.returncode == 0, result.stderr
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert sorted(record["id"] for record in records) == list(range(20))
        assert all(record["error"] is None for record in records)
        assert "/dev/stdout is not a regular file: every request runs" in result.stderr
        assert "resuming needs a regular file" in result.stderr


def test_batch_stops_with_one_line_when_the_pipe_reader_goes_away(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", [{"prompt": f"p{i}"} for i in range(5000)])
    process = start_batch("in.jsonl", "-o", "/dev/stdout", "--provider", "demo", cwd=tmp_path)
    try:
        assert process.stdout is not None
        readable, _, _ = select.select([process.stdout], [], [], 20)
        assert readable, "no record reached the pipe"
        assert json.loads(process.stdout.readline())["error"] is None
        process.stdout.close()  # the reader goes away (as `| head -1` does)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 1
    assert stderr.splitlines()[-1] == "eventide: error: cannot write to /dev/stdout: Broken pipe"
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("folder", "Is a directory"),
        ("missing/out.jsonl", "No such file or directory"),
        ("in.jsonl/out.jsonl", "Not a directory"),
    ],
)
def test_batch_output_that_cannot_be_written_fails_at_once(
    tmp_path: Path, output: str, reason: str
) -> None:
    (tmp_path / "folder").mkdir()
    write_jsonl(tmp_path / "in.jsonl", [{"prompt": "p"}])
    with serve_in_thread(echo) as server:
        result = run_batch("in.jsonl", "-o", output, "--base-url", server.url, cwd=tmp_path)
        assert not server.requests
    assert result.returncode == 2
    assert result.stderr == f"eventide: error: cannot write to {output}: {reason}\n"
