"""`eventide.scale.run_partition` on a local Dask cluster: one reused client per worker
against a fresh event loop and client per partition.

The upstream is the asyncio server of ``bench_concurrency.py`` (precomputed OpenAI streams)
with every response held back `--latency` seconds, in a process of its own. The cluster is a
``LocalCluster`` of `--workers` processes, one thread each. The same rows (`--partitions` times
`--rows`) run first through `run_partition` (each worker's client made once, reused by every
partition), then through a variant that starts a new event loop and client for each partition,
each into a fresh directory; every row's text is checked. It prints the wall time and rate of
each, the ratio, and the rate against the window's ideal (workers * max_concurrency / latency).

With ``--rss-rows N`` it then runs one partition of N rows in one worker (its client already
made) and prints the worker's resident memory before, after making the N input rows, after the
run, and at its peak (``ru_maxrss``): the growth a partition of N rows costs a worker.

Run:  python benchmarks/bench_scale.py [--workers 2] [--partitions 40] [--rows 32]
                                       [--concurrency 16] [--latency 0.2] [--deltas 5]
                                       [--rss-rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.bench_concurrency import _Server, expected_text, response, split_response

if TYPE_CHECKING:
    from collections.abc import Callable

HERE = Path(__file__).resolve().parent


class _Delayed:
    """A transport whose writes go out `latency` seconds later (in order)."""

    def __init__(self, transport: asyncio.Transport, latency: float) -> None:
        self._transport = transport
        self._latency = latency

    def write(self, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(self._latency, self._transport.write, data)


def run_server(deltas: int, latency: float) -> None:
    """Serve the benchmark's responses, each `latency` seconds late; print the port."""

    class Server(_Server):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            assert self.transport is not None
            self.transport = _Delayed(self.transport, latency)  # type: ignore[assignment]

    async def main() -> None:
        pieces = split_response(response(deltas))
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Server(pieces), "127.0.0.1", 0, backlog=4096)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


def timed(
    client: Any, partition: Callable[..., list[int]], rows: list[dict[str, Any]], **options: Any
) -> float:
    """Seconds to run `rows` through `partition` on the cluster (a new directory)."""
    import dask.bag as db

    from eventide.scale import read_rows

    partitions, deltas = options.pop("partitions"), options.pop("deltas")
    with tempfile.TemporaryDirectory() as out:
        bag = db.from_sequence(rows, npartitions=partitions)  # type: ignore[no-untyped-call]
        start = time.perf_counter()
        client.compute(bag.map_partitions(partition, out_dir=out, **options)).result()
        wall = time.perf_counter() - start
        texts = [row["text"] for row in read_rows(out)]
    expected = expected_text(deltas)
    if len(texts) != len(rows) or any(text != expected for text in texts):
        raise SystemExit(f"{len(texts)} rows of {len(rows)}, or a wrong text")
    return wall


def rss_of_a_partition(count: int, out_dir: str, **options: Any) -> dict[str, int]:
    """In a worker: its resident bytes before, with `count` rows made, after running them
    through `run_partition`, and at its peak (a Dask task)."""
    import resource

    import psutil  # type: ignore[import-untyped]

    from eventide.scale import run_partition

    process = psutil.Process()
    before = process.memory_info().rss
    rows = [{"id": i, "prompt": f"question {i}"} for i in range(count)]
    with_rows = process.memory_info().rss
    run_partition(rows, out_dir=out_dir, **options)
    after = process.memory_info().rss
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"before": before, "rows": with_rows, "after": after, "peak": peak}


def report_rss(client: Any, count: int, options: dict[str, Any]) -> None:
    """Run and print `rss_of_a_partition` on one worker of `client`'s cluster."""
    options = {key: value for key, value in options.items() if key != "deltas"}
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        found = client.submit(rss_of_a_partition, count, out, pure=False, **options).result()
        wall = time.perf_counter() - start
    mib = 1 << 20
    grown = (found["after"] - found["before"]) / mib
    print(f"one partition of {count} rows in one worker: {wall:.1f} s, {count / wall:.0f} rows/s")
    print(
        f"{'worker RSS':>25}: {found['before'] / mib:.1f} MiB before, "
        f"+{(found['rows'] - found['before']) / mib:.1f} MiB with the input rows made, "
        f"+{grown:.1f} MiB after the run, peak +{(found['peak'] - found['before']) / mib:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument("--rows", type=int, default=32, help="rows per partition")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--deltas", type=int, default=5)
    parser.add_argument("--rss-rows", type=int, default=0, help="rows of the RSS partition")
    parser.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        run_server(args.deltas, args.latency)
        return
    from distributed import Client, LocalCluster

    from eventide.scale._partition import run_partition, run_partition_fresh

    command = [sys.executable, "-m", "benchmarks.bench_scale", "--server"]
    command += ["--deltas", str(args.deltas), "--latency", str(args.latency)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/v1"
        options = {
            "provider": "openai",
            "base_url": url,
            "api_key": "bench",
            "model": "bench-1",
            "max_concurrency": args.concurrency,
            "deltas": args.deltas,
        }
        total = args.partitions * args.rows
        rows = [{"id": i, "prompt": f"question {i}"} for i in range(total)]
        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            warm = rows[: args.workers * 2]
            for partition in (run_partition, run_partition_fresh):  # imports, first connections
                timed(client, partition, warm, partitions=args.workers, **options)
            reused = timed(client, run_partition, rows, partitions=args.partitions, **options)
            fresh = timed(client, run_partition_fresh, rows, partitions=args.partitions, **options)
            if args.rss_rows:
                report_rss(client, args.rss_rows, options)
        ideal = args.workers * args.concurrency / args.latency if args.latency else None
        print(
            f"{total} rows in {args.partitions} partitions, {args.workers} workers, "
            f"max_concurrency {args.concurrency}, latency {args.latency} s"
        )
        for name, wall in (("reused client", reused), ("fresh loop per partition", fresh)):
            share = f", {total / wall / ideal:.2f} of the ideal {ideal:.0f}/s" if ideal else ""
            print(f"{name:>25}: {wall:6.2f} s, {total / wall:7.0f} rows/s{share}")
        print(f"{'reused / fresh speed-up':>25}: {fresh / reused:.2f}x")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
