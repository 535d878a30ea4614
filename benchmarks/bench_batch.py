"""`AsyncClient.batch` over loopback: 100,000 queued requests at concurrency 500.

The server is the one of ``bench_concurrency.py`` (asyncio, precomputed OpenAI streams of
`--deltas` content chunks), in a process of its own. The client, in this process, feeds
lazily generated items (``{"id": i, "prompt": ...}``, never a list) through
``client.batch(items, max_concurrency=500)`` and checks every result's text.

At checkpoints (1,000, 10,000 and 100,000 results by default) it prints the wall time, the
rate so far and the peak RSS (``ru_maxrss``): a peak that stays flat from 10,000 to 100,000
requests shows that memory is bounded by the concurrency, not by the size of the batch.

With ``--cli``, it then runs ``eventide batch`` on a JSONL file of the same number of
requests and reports that process's wall time, rate and peak RSS (the CLI also keeps every
id, to skip those already in OUT and to catch duplicates).

Run:  python benchmarks/bench_batch.py [--requests 100000] [--concurrency 500] [--deltas 5]
                                       [--checkpoints 1000,10000,100000] [--cli]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from eventide import AsyncClient
from eventide.providers import OpenAIChat

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

HERE = Path(__file__).resolve().parent


def expected_text(deltas: int) -> str:
    """What the server of bench_concurrency.py answers (kept in step with its response())."""
    return "".join(f"t{i} " for i in range(deltas))


def items(n: int) -> Iterator[dict[str, Any]]:
    """The batch items, made one at a time as the batch asks for them."""
    for i in range(n):
        yield {"id": i, "prompt": f"question {i}"}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run_batch(
    url: str, n: int, concurrency: int, deltas: int, checkpoints: Sequence[int]
) -> None:
    expected = expected_text(deltas)
    wanted = sorted(set(checkpoints) | {n})
    print(f"{n} requests at concurrency {concurrency}, {deltas} deltas per response")
    print(f"{'requests':>9} {'wall s':>8} {'req/s':>8} {'peak RSS MiB':>13}")
    print(f"{'(start)':>9} {0:>8.2f} {'':>8} {peak_rss_mib():>13.1f}")
    done = wrong = failed = 0
    provider = OpenAIChat(base_url=url, api_key="bench", model="bench-1")
    start = time.perf_counter()
    async with provider, AsyncClient(provider) as client:
        batch = client.batch(items(n), max_concurrency=concurrency)
        async with batch as results:
            async for result in results:
                done += 1
                if result.completion is None:
                    failed += 1
                elif result.completion.text != expected:
                    wrong += 1
                if done == wanted[0]:
                    wanted.pop(0)
                    wall = time.perf_counter() - start
                    print(f"{done:>9} {wall:>8.2f} {done / wall:>8.0f} {peak_rss_mib():>13.1f}")
    if failed or wrong or done != n:
        raise SystemExit(f"{done} results, {failed} failed, {wrong} with the wrong text")


def run_cli(url: str, n: int, concurrency: int, deltas: int) -> None:
    eventide = Path(sys.executable).with_name("eventide")
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        with source.open("w") as file:
            file.writelines(json.dumps(item) + "\n" for item in items(n))
        command = [str(eventide), "batch", str(source), "-o", str(out), "--base-url", url]
        command += ["--concurrency", str(concurrency), "--progress", "never"]
        env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI")}
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode != 0:
            raise SystemExit(f"eventide batch failed:\n{done.stderr}")
        expected = expected_text(deltas)
        with out.open() as records:
            count = sum(1 for line in records if json.loads(line)["text"] == expected)
        if count != n:
            raise SystemExit(f"eventide batch wrote {count} good records of {n}")
        print(f"eventide batch: {n} requests in {wall:.2f} s ({n / wall:.0f} req/s), ", end="")
        print(f"peak RSS {peak:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--deltas", type=int, default=5)
    parser.add_argument("--checkpoints", default="1000,10000,100000")
    parser.add_argument("--cli", action="store_true", help="also time `eventide batch`")
    args = parser.parse_args()
    server = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "bench_concurrency.py"),
            "--server",
            "--deltas",
            str(args.deltas),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/v1"
        checkpoints = [int(k) for k in args.checkpoints.split(",") if int(k) <= args.requests]
        trio.run(run_batch, url, args.requests, args.concurrency, args.deltas, checkpoints)
        if args.cli:
            run_cli(url, args.requests, args.concurrency, args.deltas)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
