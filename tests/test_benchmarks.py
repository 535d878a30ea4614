"""The benchmarks stay runnable and compare like with like (correctness only: no timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks import bench_collect


async def test_bench_collect_floor_and_eventide_read_the_same_text() -> None:
    body = bench_collect.openai_body(300)
    async with bench_collect._client(body) as client:
        floor_text = await bench_collect.floor(client)
        ours = await bench_collect.with_eventide(client)
    assert floor_text == ours
    assert ours == "".join(f" tok{i % 100}" for i in range(300))
    assert len(body) > 3 * bench_collect.PIECE  # really delivered in several 16 KiB pieces


async def test_bench_collect_times_the_first_event_of_both_readers() -> None:
    took = await bench_collect.first_event(3)
    assert set(took) == {"floor", "eventide"}
    assert all(len(times) == 3 and min(times) > 0 for times in took.values())


def test_bench_concurrency_runs_and_every_stream_is_correct() -> None:
    """A tiny run of the concurrency benchmark: server and clients in their own processes."""
    script = Path(__file__).parent.parent / "benchmarks" / "bench_concurrency.py"
    command = [sys.executable, str(script), "--streams", "1,5", "--deltas", "7"]
    done = subprocess.run(
        [*command, "--clients", "eventide,eventide-asyncio,raw,httpx"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [line.split() for line in done.stdout.splitlines() if line.split()[:1] in (["1"], ["5"])]
    assert len(rows) == 8
    assert all(row[-1] == "yes" for row in rows)
