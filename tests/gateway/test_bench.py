"""The gateway benchmark stays runnable and every stream through it is correct (no timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_gateway_runs_and_every_stream_is_correct() -> None:
    command = [sys.executable, "-m", "benchmarks.bench_gateway", "--streams", "1,5"]
    done = subprocess.run(
        [*command, "--deltas", "7"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    rows = [line.split() for line in done.stdout.splitlines() if line.split()[:1] in (["1"], ["5"])]
    assert [row[1] for row in rows] == ["direct", "gateway", "direct", "gateway"]
    assert all(row[-1] == "yes" for row in rows)
