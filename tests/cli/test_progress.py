"""``eventide batch``'s progress: a rich bar on stderr when asked for or on a terminal, a
plain summary line otherwise, and a note when rich is missing."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from eventide.cli._progress import Counts, Lines
from tests.cli.script import read_records, run_batch, run_on_terminal, write_jsonl

if TYPE_CHECKING:
    from pathlib import Path


def test_batch_progress_bar_goes_to_stderr(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", [{"prompt": f"p{i}"} for i in range(3)])
    args = ("in.jsonl", "--provider", "demo")

    forced = run_batch(*args, "-o", "a.jsonl", "--progress", "always", cwd=tmp_path)
    by_env = run_batch(*args, "-o", "b.jsonl", cwd=tmp_path, FORCE_COLOR="1", COLUMNS="120")
    plain = run_batch(*args, "-o", "c.jsonl", cwd=tmp_path)

    for result in (forced, by_env):
        assert result.returncode == 0, result.stderr
        assert "\x1b[" in result.stderr  # drawn for a terminal
        assert "3/3" in result.stderr
        assert "3 ok" in result.stderr
        assert "0 failed" in result.stderr
        assert "req/s" in result.stderr
        assert "ETA" in result.stderr
    assert plain.returncode == 0, plain.stderr
    assert "\x1b[" not in plain.stderr
    assert plain.stderr.splitlines() == [
        f"eventide: batch: 3 ok, 0 failed in {plain.stderr.split(' in ')[1].strip()}"
    ]
    assert plain.stdout == forced.stdout == ""


def test_batch_without_rich_prints_a_summary(tmp_path: Path) -> None:
    hidden = tmp_path / "no_rich" / "rich"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('rich is hidden for this test')\n")
    write_jsonl(tmp_path / "in.jsonl", [{"prompt": "p"}])

    result = run_batch(
        "in.jsonl",
        "-o",
        "out.jsonl",
        "--provider",
        "demo",
        "--progress",
        "always",
        cwd=tmp_path,
        PYTHONPATH=str(hidden.parent),
    )

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "eventide: no progress bar: rich is not installed (eventide[cli]); "
        "plain progress lines instead"
    )
    assert lines[1].startswith("eventide: batch: 1 ok, 0 failed in ")
    assert len(read_records(tmp_path / "out.jsonl")) == 1


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_prints_a_line_every_period_off_a_terminal() -> None:
    err, clock = io.StringIO(), _Clock()
    lines = Lines(err, terminal=False, every=10.0, clock=clock)
    counts = Counts(total=100)
    lines.start(counts)
    for done in range(1, 41):
        clock.now += 0.5  # 2 requests a second, for 20 seconds
        counts.ok += 1 if done % 4 else 0
        counts.errors += 0 if done % 4 else 1
        lines.update(counts)
    lines.note("eventide: in.jsonl:7: not a JSON object")
    lines.stop()
    assert err.getvalue().splitlines() == [
        "eventide: batch: 20/100 (15 ok, 5 failed) · 2.0 req/s · ETA 40 s",
        "eventide: batch: 40/100 (30 ok, 10 failed) · 2.0 req/s · ETA 30 s",
        "eventide: in.jsonl:7: not a JSON object",
    ]


def test_plain_progress_redraws_one_line_on_a_terminal() -> None:
    err, clock = io.StringIO(), _Clock()
    lines = Lines(err, terminal=True, redraw=0.1, clock=clock)
    counts = Counts(total=2)
    lines.start(counts)
    clock.now += 1
    counts.ok = 1
    lines.update(counts)
    lines.note("a note")
    lines.stop()
    first = "eventide: batch: 0/2 (0 ok, 0 failed) · 0.0 req/s · ETA ?"
    second = "eventide: batch: 1/2 (1 ok, 0 failed) · 1.0 req/s · ETA 1 s"
    assert err.getvalue() == (f"\r{first}\r{second}\r{' ' * len(second)}\ra note\n")


def test_batch_without_rich_draws_a_plain_line_on_a_terminal(tmp_path: Path) -> None:
    hidden = tmp_path / "no_rich" / "rich"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('rich is hidden for this test')\n")
    write_jsonl(tmp_path / "in.jsonl", [{"prompt": f"p{i}"} for i in range(3)])
    status, text = run_on_terminal(
        "batch",
        "in.jsonl",
        "-o",
        "out.jsonl",
        "--provider",
        "demo",
        cwd=tmp_path,
        answer_too=False,
        PYTHONPATH=str(hidden.parent),
    )
    assert status == 0, text
    assert text.startswith("\reventide: batch: 0/3 (0 ok, 0 failed) · 0.0 req/s · ETA ?")
    assert "\x1b[" not in text  # plain text: no rich, no escapes
    assert text.rstrip().splitlines()[-1].startswith("eventide: batch: 3 ok, 0 failed in ")
    assert len(read_records(tmp_path / "out.jsonl")) == 3
