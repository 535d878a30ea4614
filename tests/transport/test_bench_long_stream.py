"""The long-stream regime of the concurrency benchmark stays runnable and measures every
client the same way (correctness and shape only: no timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "options",
    [[], ["--tls"], ["--burst"], ["--paced", "50"]],
    ids=["http", "https", "one-write", "paced"],
)
def test_bench_concurrency_long_counts_reads_and_every_run_is_correct(options: list[str]) -> None:
    """Every client runs `--repeat` times; best and median CPU are shown against aiohttp's,
    with the bytes per read of each client that is counted (eventide, aiohttp, raw); with
    the server writing one HTTP chunk at a time, or (``--burst``) the whole body at once."""
    script = Path(__file__).parents[2] / "benchmarks" / "bench_concurrency.py"
    clients = "eventide,eventide-asyncio,raw,aiohttp,httpx"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            *options,
            "--long",
            "300",
            "--repeat",
            "2",
            "--clients",
            clients,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[2:]}
    assert list(rows) == clients.split(",")
    for name, (best, median, ratio, median_ratio, _, per_read, correct) in rows.items():
        assert correct == "yes"
        assert 0 < float(best) <= float(median)
        if name == "aiohttp":
            assert ratio == median_ratio == "1.00"
        assert (per_read == "-") is (name == "httpx")
        if name != "httpx":
            assert float(per_read) > 0
