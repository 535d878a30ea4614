"""The gateway's cost: the same client against a loopback upstream directly, and through
``eventide serve`` in front of it, each in its own process.

The upstream and the client are `bench_concurrency`'s (an asyncio server with precomputed
responses; an ``httpx`` client that parses every chunk); the gateway is ``eventide serve
--base-url <upstream>``, so what it adds is one more hop: eventide's decoder, the event
stream, the OpenAI chat encoder and the ASGI server. Printed per run: the client's wall time,
and the gateway process's CPU time per event (read from ``/proc``, Linux).

Run:  python -m benchmarks.bench_gateway [--streams 1,100,1000] [--deltas 50]
      [--server hypercorn|uvicorn] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from benchmarks import bench_concurrency

SCRIPT = Path(sys.executable).with_name("eventide")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_upstream(deltas: int) -> tuple[subprocess.Popen[str], str]:
    """`bench_concurrency`'s server in its own process, and its ``/v1`` URL."""
    command = [sys.executable, bench_concurrency.__file__, "--server", "--deltas", str(deltas)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{process.stdout.readline().strip()}/v1"


def _drain(lines: IO[str]) -> None:
    for _ in lines:
        pass


def start_gateway(upstream: str, server: str) -> tuple[subprocess.Popen[str], str]:
    """``eventide serve`` in front of `upstream`, and its ``/v1`` URL."""
    command = [str(SCRIPT), "serve", "--port", "0", "--server", server]
    command += ["--base-url", upstream, "--model", "bench-1"]
    env = {**os.environ, "OPENAI_API_KEY": "bench"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    line = ""
    while "serving" not in line:
        line = process.stderr.readline()
        if not line:
            raise SystemExit("eventide serve exited before listening")
    # Its log (a line per request) is read and dropped, so that the pipe never fills.
    threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
    return process, line.split(" on ")[-1].strip() + "/v1"


def run(streams: int, deltas: int, url: str, gateway: int | None) -> dict[str, Any]:
    """One client run against `url`; with the gateway's pid, its CPU time per event."""
    before = _cpu_seconds(gateway) if gateway is not None else 0.0
    row = bench_concurrency.measure("httpx", url, streams, deltas)
    if row is None:
        raise SystemExit(f"timed out at {streams} streams")
    if gateway is not None:
        row["gateway_us_per_event"] = (_cpu_seconds(gateway) - before) / (streams * deltas) * 1e6
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", default="1,100,1000")
    parser.add_argument("--deltas", type=int, default=50)
    parser.add_argument("--server", choices=("hypercorn", "uvicorn"), default="hypercorn")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest")
    args = parser.parse_args(argv)
    upstream, upstream_url = start_upstream(args.deltas)
    gateway, gateway_url = start_gateway(upstream_url, args.server)
    print(f"{'streams':>8} {'path':>8} {'wall s':>8} {'gw µs/ev':>9} correct")
    try:
        for streams in (int(size) for size in args.streams.split(",")):
            for path, url, pid in (
                ("direct", upstream_url, None),
                ("gateway", gateway_url, gateway.pid),
            ):
                rows = [run(streams, args.deltas, url, pid) for _ in range(args.repeat)]
                best = min(rows, key=lambda row: row["wall"])
                cost = best.get("gateway_us_per_event")
                shown = "-" if cost is None else f"{cost:.1f}"
                correct = "yes" if all(row["correct"] for row in rows) else "NO"
                print(f"{streams:>8} {path:>8} {best['wall']:>8.3f} {shown:>9} {correct}")
    finally:
        gateway.terminate()
        gateway.wait(timeout=20)
        upstream.terminate()
        upstream.wait(timeout=20)


if __name__ == "__main__":
    main()
