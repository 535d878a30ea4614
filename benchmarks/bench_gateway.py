"""The gateway's cost, in one run: a loopback upstream directly, through ``eventide serve``,
and through the LiteLLM proxy, each in a process of its own.

Three measurements, the same for every path (upstream directly, each proxy):

- **One stream at a time** (`--probes` streams, after two for warm-up): the upstream writes
  `--probe-deltas` chunks `--pace-ms` apart and records when it wrote each; the client records
  when each delta arrived (``time.monotonic``, the system-wide monotonic clock on Linux, so
  the two processes' readings compare). Printed, as medians over the streams: time to first
  token, the mean delay from the upstream's write to the client's read of an event (and what
  the proxy adds to it), and whether the stream really streams (the first delta reached the
  client before the upstream wrote the last).
- **One long stream** (`--long` deltas written at once, best of `--repeat`): wall time per
  event (and what the proxy adds to it) and the proxy process's CPU time per event (user +
  system from ``/proc``, the process and its children, Linux), so that the cost of a request
  spreads over many events.
- **Concurrent streams** (`--streams`, 1, 100 and 1,000 by default): the upstream is
  `bench_concurrency`'s server (asyncio, precomputed responses of `--deltas` content chunks,
  written at once); the client is its ``httpx`` client in a process of its own, parsing every
  chunk. Printed: the client's wall time, and the proxy's CPU time per content event (here a
  request's own cost is spread over `--deltas` events; a 10 ms clock tick makes the 1-stream
  row coarse).

Every client checks that it read exactly the text the upstream sent (``correct``).

The gateway is ``eventide serve --base-url <upstream>`` under each of `--servers`. LiteLLM is
its own CLI, ``litellm --config config.yaml --num_workers 1`` (one uvicorn worker process,
the deployment its production guide recommends, so that one process is compared with one),
with a config written to a temporary directory that maps the benchmark's model names to
``openai/bench-1`` at each upstream. It runs offline: ``LITELLM_LOCAL_MODEL_COST_MAP=True``
(no fetch of the model cost map at start-up), ``LITELLM_LOG=ERROR`` (no line per request),
and a proxy that refuses every connection for anything but loopback. Neither proxy checks a
key (eventide's gateway on loopback needs none; LiteLLM is told to start without a master key).

LiteLLM is large and not part of any eventide extra; install it into the same environment:

    pip install 'litellm[proxy]'

Run:  python -m benchmarks.bench_gateway [--streams 1,100,1000] [--deltas 50]
      [--servers hypercorn,uvicorn] [--probes 20] [--probe-deltas 20] [--pace-ms 5]
      [--long 10000] [--repeat 3] [--timeout 600] [--no-litellm]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any, NamedTuple

import httpx

from benchmarks import bench_concurrency

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(sys.executable).parent
LITELLM_INSTALL = "pip install 'litellm[proxy]'"
MODEL = "bench-1"
START_TIMEOUT = 180.0


# -- the paced upstream -------------------------------------------------------------------


class _PacedServer(asyncio.Protocol):
    """`bench_concurrency`'s response, its content chunks `pace` seconds apart; ``GET /times``
    answers when each content chunk of the last stream was written."""

    def __init__(self, pieces: list[bytes], deltas: int, pace: float, times: list[float]) -> None:
        self.pieces = pieces
        self.deltas = deltas
        self.pace = pace
        self.times = times
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None:
            self.task.cancel()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        length = re.search(rb"\ncontent-length: *(\d+)", self.buffer[:end].lower())
        size = end + 4 + (int(length[1]) if length else 0)
        if len(self.buffer) < size:
            return  # one request at a time: a proxy waits for the answer before the next
        head, self.buffer = self.buffer[:end].lower(), self.buffer[size:]
        assert self.transport is not None
        if head.startswith(b"get /times"):
            body = json.dumps(self.times).encode()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
            )
        else:
            self.task = asyncio.ensure_future(self.stream())

    async def stream(self) -> None:
        assert self.transport is not None
        self.times.clear()
        self.transport.write(self.pieces[0])  # the head
        for i, piece in enumerate(self.pieces[1 : 1 + self.deltas]):
            if i:
                await asyncio.sleep(self.pace)
            self.transport.write(piece)
            self.times.append(time.monotonic())
        for piece in self.pieces[1 + self.deltas :]:  # the finish chunk, [DONE], the last chunk
            self.transport.write(piece)


def run_paced_upstream(deltas: int, pace: float) -> None:
    """Serve the paced upstream on a free loopback port, printed first (runs until killed)."""

    async def main() -> None:
        pieces = bench_concurrency.split_response(bench_concurrency.response(deltas))
        times: list[float] = []
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _PacedServer(pieces, deltas, pace, times), "127.0.0.1", 0
        )
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


# -- the processes ------------------------------------------------------------------------


UPSTREAMS = ("bulk", "long", "paced")  # the three upstreams, by what they measure


class End(NamedTuple):
    """Where a client asks for one upstream's stream: directly, or through a proxy."""

    url: str  # the /v1 root
    model: str  # the model name that reaches that upstream
    pid: int | None  # the proxy process whose CPU time is counted


class Route(NamedTuple):
    """One way from the client to the upstreams: the direct way, or through a proxy."""

    name: str
    ends: dict[str, End]  # by upstream: "bulk", "long", "paced"


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` and its descendants so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _cpu_seconds(int(child))
    return total


def _drain(lines: IO[str]) -> None:
    for _ in lines:
        pass


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start(
    stack: contextlib.ExitStack, command: list[str], **options: Any
) -> subprocess.Popen[str]:
    process = subprocess.Popen(command, text=True, **options)
    stack.callback(_stop, process)
    return process


def start_upstream(stack: contextlib.ExitStack, command: list[str]) -> str:
    """An upstream that prints its port first; its ``/v1`` URL."""
    process = _start(stack, command, stdout=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None
    return f"http://127.0.0.1:{process.stdout.readline().strip()}/v1"


def start_gateway(stack: contextlib.ExitStack, upstream: str, server: str) -> tuple[str, int]:
    """``eventide serve`` in front of `upstream`: its ``/v1`` URL and pid."""
    command = [str(SCRIPTS / "eventide"), "serve", "--port", "0", "--server", server]
    command += ["--base-url", upstream, "--model", MODEL]
    env = {**os.environ, "OPENAI_API_KEY": "bench"}
    process = _start(stack, command, stderr=subprocess.PIPE, env=env)
    assert process.stderr is not None
    line = ""
    while "serving" not in line:
        line = process.stderr.readline()
        if not line:
            raise SystemExit("eventide serve exited before listening")
    # Its log (a line per request) is read and dropped, so that the pipe never fills.
    threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
    return line.split(" on ")[-1].strip() + "/v1", process.pid


def litellm_missing() -> str | None:
    """The one line to print when LiteLLM's proxy is not installed here, else None."""
    if importlib.util.find_spec("litellm") is None or not (SCRIPTS / "litellm").exists():
        return (
            f"the LiteLLM route needs LiteLLM's proxy in this environment: {LITELLM_INSTALL}"
            " (or pass --no-litellm)"
        )
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_litellm(stack: contextlib.ExitStack, upstreams: dict[str, str]) -> tuple[str, int]:
    """LiteLLM's proxy, one worker, offline, serving each model name of `upstreams` from its
    URL; its ``/v1`` URL and pid."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-litellm-")))
    config = {
        "model_list": [
            {
                "model_name": name,
                "litellm_params": {"model": f"openai/{MODEL}", "api_base": url, "api_key": "bench"},
            }
            for name, url in upstreams.items()
        ],
        "general_settings": {"dangerously_permit_weak_or_unset_master_key": True},
    }
    (folder / "config.yaml").write_text(json.dumps(config, indent=2))  # JSON is YAML
    port = _free_port()
    command = [str(SCRIPTS / "litellm"), "--config", str(folder / "config.yaml")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection is refused
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "ERROR",
        "HTTP_PROXY": nowhere,
        "HTTPS_PROXY": nowhere,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("LITELLM_MASTER_KEY", None)
    log = (folder / "litellm.log").open("w")
    stack.callback(log.close)
    process = _start(stack, command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (folder / "litellm.log").read_text()[-2000:]
            raise SystemExit(f"litellm exited before listening:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                return f"{url}/v1", process.pid
        time.sleep(0.5)
    raise SystemExit(f"litellm did not listen within {START_TIMEOUT:.0f} s")


# -- the measurements ---------------------------------------------------------------------


class Probe(NamedTuple):
    """One paced stream as the client saw it."""

    ttft: float  # request sent -> first delta read, s
    latency: float  # mean over deltas of upstream write -> client read, s
    streams: bool  # the first delta was read before the upstream wrote the last
    correct: bool


def probe(client: httpx.Client, end: End, times_url: str, deltas: int) -> Probe:
    """One stream from the paced upstream through `end`."""
    parts: list[str] = []
    read: list[float] = []
    buffer = b""
    request = {**bench_concurrency.REQUEST, "model": end.model}
    start = time.monotonic()
    with client.stream("POST", f"{end.url}/chat/completions", json=request) as response:
        for piece in response.iter_bytes():
            now = time.monotonic()
            before = len(parts)
            buffer, done = bench_concurrency.parse_sse(buffer + piece, parts)
            read += [now] * (len(parts) - before)
            if done:
                break
    written: list[float] = client.get(times_url).json()
    correct = "".join(parts) == bench_concurrency.expected_text(deltas) and len(written) == deltas
    if not correct or not read:
        return Probe(float("nan"), float("nan"), streams=False, correct=False)
    latency = statistics.fmean(r - w for r, w in zip(read, written, strict=True))
    return Probe(read[0] - start, latency, streams=read[0] < written[-1], correct=correct)


def long_stream(client: httpx.Client, end: End, deltas: int) -> tuple[float, float, bool]:
    """One stream of `deltas` deltas written at once through `end`: wall time, the proxy's
    CPU time, and whether the text is right."""
    parts: list[str] = []
    buffer = b""
    request = {**bench_concurrency.REQUEST, "model": end.model}
    before = _cpu_seconds(end.pid) if end.pid is not None else 0.0
    start = time.perf_counter()
    with client.stream("POST", f"{end.url}/chat/completions", json=request) as response:
        for piece in response.iter_bytes():
            buffer, done = bench_concurrency.parse_sse(buffer + piece, parts)
            if done:
                break
    wall = time.perf_counter() - start
    cpu = _cpu_seconds(end.pid) - before if end.pid is not None else 0.0
    return wall, cpu, "".join(parts) == bench_concurrency.expected_text(deltas)


def run(streams: int, deltas: int, end: End) -> dict[str, Any] | None:
    """`streams` concurrent streams through `end` (None past the client's time limit), with
    the proxy's CPU time per content event."""
    before = _cpu_seconds(end.pid) if end.pid is not None else 0.0
    row = bench_concurrency.measure("httpx", end.url, streams, deltas)
    if row is not None and end.pid is not None:
        row["us_per_event"] = (_cpu_seconds(end.pid) - before) / (streams * deltas) * 1e6
    return row


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def report_probes(routes: list[Route], times_url: str, args: argparse.Namespace) -> None:
    """Time to first token and latency per event, one paced stream at a time."""
    print(
        f"one stream at a time: {args.probe_deltas} deltas {args.pace_ms} ms apart, "
        f"median of {args.probes} streams (after 2 for warm-up)"
    )
    print(f"{'path':<20} {'TTFT ms':>8} {'event ms':>9} {'added ms':>9} {'streams':>8} correct")
    base: float | None = None
    for route in routes:
        end = route.ends["paced"]
        with httpx.Client(timeout=60) as client:
            rows = [
                probe(client, end, times_url, args.probe_deltas) for _ in range(args.probes + 2)
            ]
        rows = rows[2:]
        latency = statistics.median(row.latency for row in rows)
        base = latency if base is None else base
        added = "-" if end.pid is None else _ms(latency - base)
        streams = "yes" if all(row.streams for row in rows) else "NO"
        correct = "yes" if all(row.correct for row in rows) else "NO"
        ttft = statistics.median(row.ttft for row in rows)
        print(
            f"{route.name:<20} {_ms(ttft):>8} {_ms(latency):>9} {added:>9} {streams:>8} {correct}"
        )


def report_long(routes: list[Route], args: argparse.Namespace) -> dict[str, float]:
    """Time and CPU per event of one long stream (best of `--repeat`); each proxy's CPU µs
    per event."""
    print(f"one stream of {args.long} deltas written at once, best of {args.repeat}: µs per event")
    print(f"{'path':<20} {'wall':>8} {'added':>8} {'CPU':>8} correct")
    costs: dict[str, float] = {}
    base: float | None = None
    for route in routes:
        end = route.ends["long"]
        with httpx.Client(timeout=bench_concurrency.TIMEOUT) as client:
            rows = [long_stream(client, end, args.long) for _ in range(args.repeat + 1)][1:]
        wall = min(row[0] for row in rows) / args.long * 1e6
        base = wall if base is None else base
        added = "-" if end.pid is None else f"{wall - base:.1f}"
        cpu = "-"
        if end.pid is not None:
            costs[route.name] = min(row[1] for row in rows) / args.long * 1e6
            cpu = f"{costs[route.name]:.1f}"
        correct = "yes" if all(row[2] for row in rows) else "NO"
        print(f"{route.name:<20} {wall:>8.1f} {added:>8} {cpu:>8} {correct}")
    return costs


def report_concurrent(routes: list[Route], args: argparse.Namespace) -> None:
    """Wall time and the proxy's CPU per event of concurrent streams, at each size."""
    print(f"concurrent streams of {args.deltas} deltas, written at once by the upstream")
    print(f"{'streams':>8} {'path':<20} {'wall s':>8} {'CPU µs/ev':>10} correct")
    for streams in (int(size) for size in args.streams.split(",")):
        for route in routes:
            row = run(streams, args.deltas, route.ends["bulk"])
            if row is None:
                limit = f"> {bench_concurrency.TIMEOUT:.0f}"
                print(f"{streams:>8} {route.name:<20} {limit:>8} {'-':>10} NO")
                continue
            cost = row.get("us_per_event")
            shown = "-" if cost is None else f"{cost:.1f}"
            correct = "yes" if row["correct"] else "NO"
            print(f"{streams:>8} {route.name:<20} {row['wall']:>8.3f} {shown:>10} {correct}")


def start_routes(stack: contextlib.ExitStack, args: argparse.Namespace) -> list[Route]:
    """The upstreams, and a route to them directly, through each gateway and through LiteLLM."""
    bulk = [sys.executable, bench_concurrency.__file__, "--server", "--deltas", str(args.deltas)]
    long = [sys.executable, bench_concurrency.__file__, "--server", "--deltas", str(args.long)]
    paced = [sys.executable, "-m", "benchmarks.bench_gateway", "--paced-upstream"]
    paced += ["--probe-deltas", str(args.probe_deltas), "--pace-ms", str(args.pace_ms)]
    upstreams = {
        name: start_upstream(stack, command)
        for name, command in zip(UPSTREAMS, (bulk, long, paced), strict=True)
    }
    routes = [Route("direct", {name: End(url, MODEL, None) for name, url in upstreams.items()})]
    for server in args.servers.split(","):
        ends = {}
        for name, url in upstreams.items():
            gateway_url, pid = start_gateway(stack, url, server)
            ends[name] = End(gateway_url, MODEL, pid)
        routes.append(Route(f"eventide-{server}", ends))
    if not args.no_litellm:
        models = {name: MODEL if name == "bulk" else f"bench-{name}" for name in upstreams}
        url, pid = start_litellm(stack, {models[name]: url for name, url in upstreams.items()})
        routes.append(Route("litellm", {name: End(url, models[name], pid) for name in upstreams}))
    return routes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", default="1,100,1000")
    parser.add_argument("--deltas", type=int, default=50)
    parser.add_argument("--servers", default="hypercorn,uvicorn", help="eventide serve --server")
    parser.add_argument("--probes", type=int, default=20, help="paced streams per path")
    parser.add_argument("--probe-deltas", type=int, default=20)
    parser.add_argument("--pace-ms", type=float, default=5.0)
    parser.add_argument("--long", type=int, default=10000, help="deltas of the long stream")
    parser.add_argument("--repeat", type=int, default=3, help="long streams per path")
    parser.add_argument("--timeout", type=float, default=600, help="per client run, s")
    parser.add_argument("--no-litellm", action="store_true", help="leave LiteLLM out")
    parser.add_argument("--paced-upstream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.paced_upstream:
        run_paced_upstream(args.probe_deltas, args.pace_ms / 1e3)
        return
    missing = None if args.no_litellm else litellm_missing()
    if missing is not None:
        raise SystemExit(f"bench_gateway: {missing}")
    bench_concurrency.TIMEOUT = args.timeout  # read by `measure` at each call
    with contextlib.ExitStack() as stack:
        routes = start_routes(stack, args)
        report_probes(routes, routes[0].ends["paced"].url.removesuffix("/v1") + "/times", args)
        costs = report_long(routes, args)
        report_concurrent(routes, args)
    if "litellm" in costs:
        for name, cost in costs.items():
            if name != "litellm":
                ratio = cost / costs["litellm"]
                print(f"{name} CPU per event / litellm's: {ratio:.2f} (target: at most 0.20)")


if __name__ == "__main__":
    main()
