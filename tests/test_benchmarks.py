"""The benchmarks stay runnable and compare like with like (correctness only: no timing)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks import bench_collect, bench_gateway


async def test_bench_collect_floor_and_eventide_read_the_same_text() -> None:
    body = bench_collect.openai_body(300)
    async with bench_collect._client(body) as client:
        floor_text = await bench_collect.floor(client)
        ours = await bench_collect.with_eventide(client)
        provider = bench_collect.bench_provider(client)
        reused = [await bench_collect.with_eventide(client, provider) for _ in range(2)]
    assert floor_text == ours == reused[0] == reused[1]
    assert ours == "".join(f" tok{i % 100}" for i in range(300))
    assert len(body) > 3 * bench_collect.PIECE  # really delivered in several 16 KiB pieces


async def test_bench_collect_times_the_first_event_of_both_readers() -> None:
    took = await bench_collect.first_event(3)
    assert set(took) == {"floor", "eventide"}
    assert all(len(times) == 3 and min(times) > 0 for times in took.values())


@pytest.mark.parametrize("tls", [[], ["--tls"]], ids=["http", "https"])
def test_bench_concurrency_runs_and_every_stream_is_correct(tls: list[str]) -> None:
    """A tiny run of the concurrency benchmark: server and clients in their own processes;
    over http, and over https (a trustme certificate every client trusts)."""
    script = Path(__file__).parent.parent / "benchmarks" / "bench_concurrency.py"
    command = [sys.executable, str(script), *tls, "--streams", "1,5", "--deltas", "7"]
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


def test_bench_gateway_runs_and_every_stream_is_correct() -> None:
    """A tiny run of the gateway benchmark without LiteLLM: the upstreams directly and through
    `eventide serve`, each measurement's rows correct and really streamed."""
    command = [sys.executable, "-m", "benchmarks.bench_gateway", "--no-litellm"]
    command += ["--streams", "1,5", "--deltas", "7", "--probes", "2", "--probe-deltas", "4"]
    command += ["--long", "30", "--repeat", "1", "--servers", "hypercorn"]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    rows = [line.split() for line in done.stdout.splitlines()]
    routes = ["direct", "eventide-hypercorn"]
    probes = [row for row in rows if row[0] in routes and len(row) == 6]
    assert [row[0] for row in probes] == routes
    assert all(row[-2:] == ["yes", "yes"] for row in probes)  # streamed, and correct
    long = [row for row in rows if row[0] in routes and len(row) == 5]
    assert [row[0] for row in long] == routes
    assert all(row[-1] == "yes" for row in long)
    concurrent = [row for row in rows if row[:1] in (["1"], ["5"])]
    assert [row[1] for row in concurrent] == routes * 2
    assert all(row[-1] == "yes" for row in concurrent)


def test_bench_gateway_says_what_to_install_without_litellm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(
        SystemExit, match=r"pip install 'litellm\[proxy\]' \(or pass --no-litellm\)"
    ):
        bench_gateway.main(["--streams", "1"])
