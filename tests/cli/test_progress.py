"""``eventide batch``'s progress: a rich bar on stderr when asked for or on a terminal, a
plain summary line otherwise, and a note when rich is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.cli.script import read_records, run_batch, write_jsonl

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
    assert lines[0] == "eventide: no progress bar: rich is not installed (eventide[cli])"
    assert lines[1].startswith("eventide: batch: 1 ok, 0 failed in ")
    assert len(read_records(tmp_path / "out.jsonl")) == 1
