"""Many concurrent streams over loopback: eventide against plain httpx, aiohttp and a bare
socket reader, in one run.

A server process (asyncio, precomputed responses, so that it is never the bottleneck)
answers every request with an OpenAI Chat Completions stream of `--deltas` content chunks,
one HTTP chunk per SSE event, written one by one as real servers do. Each client runs in a
process of its own, so that its CPU time and peak RSS are its own:

- eventide: ``collect_text(provider.stream(...))`` on trio (and on asyncio), default client;
- eventide-client: ``collect_text(client.stream(...))`` through an ``AsyncClient`` with its
  defaults, so behind the `Retrying` (``max_retries=2``) it wraps around its provider;
- httpx: ``httpx.AsyncClient`` with an unbounded pool, ``aiter_bytes()``, split on blank
  lines, ``orjson.loads``, pick the delta;
- aiohttp: ``ClientSession`` with an unbounded connector, ``content.iter_any()``, same parse;
- raw: asyncio streams, a minimal HTTP/1.1 chunked reader, same parse.

Run:  python benchmarks/bench_concurrency.py [--streams 1,100,1000,10000] [--deltas 50]
      python benchmarks/bench_concurrency.py --long 20000 --repeat 7  # per-delta cost
With ``--repeat N`` every client runs N times, in turn (A, B, C, A, B, C, ...), and its
fastest run is shown. With ``--long`` every client's best and median CPU per delta over
its runs are shown (both matter: a long stream's reads are as large as the server and the
client happen to let each other write and read on the same cores, and their number sets
much of the cost), with the bytes per socket read the client got, counted the same way
for each client that can be counted (eventide, aiohttp, raw: a counter wrapped around the
read that hands bytes to the client's HTTP parser, about 0.1 µs a read for each).

A client that keeps up with the server reads what one or a few of its writes left: small
reads, which never wait, at the server's pace, so that a client's CPU per delta there says
how fast the server writes as much as how fast the client reads (a faster client gets
smaller reads). With ``--burst`` the server writes each response in one write
(``writelines``: the same bytes, one HTTP chunk per SSE event, and over TLS one record per
chunk, as before), so that it never sets the pace and every client
reads full buffers: the CPU per delta is then the client's own. With ``--paced µS`` the
server (a thread per connection) sleeps that long after each HTTP chunk, so that every read
of a client waits for one chunk, as when a model sends its tokens: the CPU per delta is
then mostly what a wake-up costs each client. With
``--tls`` everything goes over https: the server's certificate is made by trustme (the
``test`` extra), and every client trusts it (``SSL_CERT_FILE``).
Needs the ``bench`` extra (aiohttp, orjson).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

CLIENTS = ("eventide", "eventide-client", "eventide-asyncio", "raw", "aiohttp", "httpx")
REQUEST = {"model": "bench-1", "messages": [{"role": "user", "content": "hi"}], "stream": True}
TIMEOUT = 120.0


# -- the server -------------------------------------------------------------------------


def response(deltas: int) -> bytes:
    """The whole HTTP response: head, then one chunk per SSE event, then the last chunk."""
    events = []
    for i in range(deltas):
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1750000000,
            "model": "bench-1",
            "choices": [{"index": 0, "delta": {"content": f"t{i} "}, "finish_reason": None}],
        }
        events.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
    finish = {
        "id": "chatcmpl-bench",
        "model": "bench-1",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    events.append(b"data: " + json.dumps(finish).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    return head + b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events) + b"0\r\n\r\n"


def expected_text(deltas: int) -> str:
    return "".join(f"t{i} " for i in range(deltas))


class _Server(asyncio.Protocol):
    def __init__(self, pieces: list[bytes], *, burst: bool = False) -> None:
        self.pieces = pieces
        self.burst = burst
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := request_end(self.buffer)) is not None:
            self.buffer = self.buffer[end:]
            assert self.transport is not None
            if self.burst:  # one write (over TLS, still one record per HTTP chunk)
                self.transport.writelines(self.pieces)
                continue
            for piece in self.pieces:  # one write per HTTP chunk
                self.transport.write(piece)


def request_end(buffer: bytes) -> int | None:
    """Where the first whole request in `buffer` (head and Content-Length body) ends."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = 0
    for line in buffer[:end].lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return end + 4 + length if len(buffer) >= end + 4 + length else None


def run_paced_server(deltas: int, certificate: str | None, gap: float) -> None:
    """Serve until terminated, a thread per connection that writes one HTTP chunk, then
    sleeps `gap` seconds: every read of a client that keeps up waits for its chunk, as
    when a model sends its tokens (over TLS with `certificate`)."""
    context = None
    if certificate:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate)
    pieces = split_response(response(deltas))
    listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
    print(listener.getsockname()[1], flush=True)

    def serve(sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if context is not None:
            sock = context.wrap_socket(sock, server_side=True)
        with sock, contextlib.suppress(OSError):  # a client leaves when it has read
            buffer = b""
            while data := sock.recv(65536):
                buffer += data
                while (end := request_end(buffer)) is not None:
                    buffer = buffer[end:]
                    for piece in pieces:
                        sock.sendall(piece)
                        time.sleep(gap)

    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection,), daemon=True).start()


def split_response(raw: bytes) -> list[bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    pieces = [head + b"\r\n\r\n"]
    while body:
        size_end = body.index(b"\r\n")
        size = int(body[:size_end], 16)
        end = size_end + 2 + size + 2
        pieces.append(body[:end])
        body = body[end:]
    return pieces


def run_server(deltas: int, certificate: str | None, *, burst: bool = False) -> None:
    """Serve until terminated; over TLS with `certificate` (a PEM of key and chain); with
    `burst`, each response in one write (still one HTTP chunk per SSE event, and one TLS
    record per chunk)."""
    context = None
    if certificate:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate)

    async def main() -> None:
        pieces = split_response(response(deltas))
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Server(pieces, burst=burst), "127.0.0.1", 0, backlog=4096, ssl=context
        )
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


# -- the clients ------------------------------------------------------------------------


def parse_sse(buffer: bytes, parts: list[str]) -> tuple[bytes, bool]:
    """The shared hand parse: split on blank lines, orjson.loads, pick the delta text."""
    *events, rest = buffer.split(b"\n\n")
    for event in events:
        data = event[6:]
        if data == b"[DONE]":
            return rest, True
        chunk = orjson.loads(data)
        if chunk["choices"]:
            content = chunk["choices"][0]["delta"].get("content")
            if content:
                parts.append(content)
    return rest, False


async def eventide_client(url: str, streams: int) -> list[str]:
    from eventide.providers import OpenAIChat

    async with OpenAIChat(base_url=url, api_key="bench", model="bench-1") as provider:
        return await _eventide_streams(provider, streams)


async def eventide_async_client(url: str, streams: int) -> list[str]:
    import eventide

    async with eventide.AsyncClient(api_key="bench", base_url=url, model="bench-1") as client:
        return await _eventide_streams(client, streams)


async def _eventide_streams(sender: Any, streams: int) -> list[str]:
    """`streams` concurrent ``collect_text(sender.stream("hi"))``: a provider or a client."""
    import anyio

    import eventide

    texts: list[str] = []

    async def one() -> None:
        texts.append(await eventide.collect_text(sender.stream("hi")))

    async with anyio.create_task_group() as tg:
        for _ in range(streams):
            tg.start_soon(one)
    return texts


async def httpx_client(url: str, streams: int) -> list[str]:
    import anyio
    import httpx

    texts: list[str] = []
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=None) as client:

        async def one() -> None:
            parts: list[str] = []
            buffer = b""
            body = REQUEST
            async with client.stream("POST", f"{url}/chat/completions", json=body) as response:
                async for piece in response.aiter_bytes():
                    buffer, done = parse_sse(buffer + piece, parts)
                    if done:
                        break
            texts.append("".join(parts))

        async with anyio.create_task_group() as tg:
            for _ in range(streams):
                tg.start_soon(one)
    return texts


async def aiohttp_client(url: str, streams: int) -> list[str]:
    import aiohttp

    texts: list[str] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            parts: list[str] = []
            buffer = b""
            body = REQUEST
            async with session.post(f"{url}/chat/completions", json=body) as response:
                async for piece in response.content.iter_any():
                    buffer, done = parse_sse(buffer + piece, parts)
                    if done:
                        break
            texts.append("".join(parts))

        await asyncio.gather(*(one() for _ in range(streams)))
    return texts


async def raw_client(url: str, streams: int) -> list[str]:
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    tls = ssl.create_default_context() if url.startswith("https:") else None
    body = json.dumps(REQUEST).encode()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (host.encode(), len(body), body)
    )
    texts: list[str] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, int(port), ssl=tls)
        writer.write(request)
        await reader.readuntil(b"\r\n\r\n")
        parts: list[str] = []
        buffer = b""
        while True:  # a minimal chunked reader: size line, data, CRLF
            size = int(await reader.readuntil(b"\r\n"), 16)
            if size == 0:
                break
            buffer, done = parse_sse(buffer + (await reader.readexactly(size + 2))[:-2], parts)
            if done:
                break
        writer.close()
        texts.append("".join(parts))

    await asyncio.gather(*(one() for _ in range(streams)))
    return texts


def count_reads(name: str) -> list[int]:
    """Count the socket reads that reach `name`'s HTTP parser and their bytes: [reads,
    bytes], filled as the client runs; [0, 0] stays for a client that is not counted."""
    counted = [0, 0]

    def counting(read: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            result = read(*args)
            data = result[0] if isinstance(result, tuple) else args[-1]
            if data:
                counted[0] += 1
                counted[1] += len(data)
            return result

        return wrapper

    if name.startswith("eventide"):
        from eventide._transport import _connection, _sockio

        vars(_connection)["try_recv"] = counting(_sockio.try_recv)  # as _connection calls it
    elif name == "aiohttp":
        from aiohttp.client_proto import ResponseHandler

        ResponseHandler.data_received = counting(ResponseHandler.data_received)  # type: ignore[method-assign]
    elif name == "raw":
        protocol = asyncio.StreamReaderProtocol
        protocol.data_received = counting(protocol.data_received)  # type: ignore[method-assign]
    return counted


def run_client(name: str, url: str, streams: int, deltas: int, count: bool) -> dict[str, Any]:
    runners: dict[str, tuple[Callable[[str, int], Coroutine[Any, Any, list[str]]], str]] = {
        "eventide": (eventide_client, "trio"),
        "eventide-client": (eventide_async_client, "trio"),
        "eventide-asyncio": (eventide_client, "asyncio"),
        "httpx": (httpx_client, "trio"),
        "aiohttp": (aiohttp_client, "asyncio"),
        "raw": (raw_client, "asyncio"),
    }
    client, runtime = runners[name]
    # Import before the clock starts: what is measured is streaming, not start-up. That
    # includes what loads on first use: anyio's backend for the runtime, and eventide's
    # telemetry (OpenTelemetry's API, when installed); about 60 ms, once per process.
    import importlib

    import anyio  # noqa: F401
    import httpx  # noqa: F401
    import trio

    import eventide.providers  # noqa: F401
    from eventide._telemetry._sinks import instruments

    importlib.import_module(f"anyio._backends._{runtime}")
    instruments()

    if name == "aiohttp":
        import aiohttp  # noqa: F401
    reads = count_reads(name) if count else [0, 0]
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if runtime == "trio":
        texts = trio.run(client, url, streams)
    else:
        texts = asyncio.run(client(url, streams))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    expected = expected_text(deltas)
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_kib": after.ru_maxrss,
        "reads": reads[0],
        "read_bytes": reads[1],
        "correct": len(texts) == streams and all(text == expected for text in texts),
    }


# -- the driver -------------------------------------------------------------------------


def measure(
    name: str, url: str, streams: int, deltas: int, *, count: bool = False
) -> dict[str, Any] | None:
    command = [sys.executable, __file__, "--client", name, "--url", url]
    command += ["--streams", str(streams), "--deltas", str(deltas)]
    if count:
        command.append("--count-reads")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{name} failed at {streams} streams:\n{exc.stderr}") from None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def runs_of(
    clients: list[str], url: str, deltas: int, repeat: int
) -> dict[str, list[dict[str, Any]]]:
    """Every client's `repeat` runs of one long stream (reads counted), the clients taking
    turns."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in clients}
    for _ in range(repeat):
        for name in clients:
            row = measure(name, url, 1, deltas, count=True)
            if row is None:
                raise SystemExit(f"{name} took more than {TIMEOUT} s")
            runs[name].append(row)
    return runs


def print_long(runs: dict[str, list[dict[str, Any]]], deltas: int) -> None:
    """Each client's best and median CPU per delta, both against aiohttp's, its best wall
    time per delta, the median bytes per read, and whether every run was correct."""
    print(f"one stream of {deltas} deltas, one HTTP chunk per SSE event; CPU and wall in µs")
    print(
        f"{'client':>18} {'CPU best':>8} {'median':>7} {'vs aiohttp':>10} {'median':>7} "
        f"{'wall best':>9} {'B/read':>7} {'ok':>3}"
    )

    def per_delta(rows: list[dict[str, Any]], key: str) -> tuple[float, float]:
        values = [row[key] / deltas * 1e6 for row in rows]
        return min(values), statistics.median(values)

    aio = per_delta(runs["aiohttp"], "cpu") if runs.get("aiohttp") else (math.nan, math.nan)
    for name, rows in runs.items():
        best, median = per_delta(rows, "cpu")
        per_read = [row["read_bytes"] / row["reads"] for row in rows if row["reads"]]
        read_size = f"{statistics.median(per_read):>7.0f}" if per_read else f"{'-':>7}"
        correct = "yes" if all(row["correct"] for row in rows) else "NO"
        print(
            f"{name:>18} {best:>8.2f} {median:>7.2f} {best / aio[0]:>10.2f} "
            f"{median / aio[1]:>7.2f} {per_delta(rows, 'wall')[0]:>9.2f} {read_size} {correct:>3}"
        )


def best_of(
    clients: list[str], url: str, streams: int, deltas: int, repeat: int
) -> dict[str, dict[str, Any] | None]:
    """Each client's fastest of `repeat` runs, the clients taking turns; a client is correct
    only if every run was."""
    rows: dict[str, dict[str, Any] | None] = {}
    for _ in range(repeat):
        for name in clients:
            row = measure(name, url, streams, deltas)
            best = rows.get(name)
            if row is not None and best is not None:
                row["correct"] = row["correct"] and best["correct"]
                if best["wall"] <= row["wall"]:
                    best["correct"] = row["correct"]
                    continue
            if row is not None or name not in rows:
                rows[name] = row
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,100,1000,10000")
    parser.add_argument("--deltas", type=int, default=50)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per client, in turn")
    parser.add_argument("--long", type=int, default=0, help="one stream of this many deltas")
    parser.add_argument("--tls", action="store_true", help="https, with a trustme certificate")
    parser.add_argument(
        "--burst", action="store_true", help="the server writes each response in one write"
    )
    parser.add_argument(
        "--paced",
        type=float,
        default=0.0,
        metavar="µS",
        help="the server sleeps this long after each HTTP chunk",
    )
    parser.add_argument("--certificate", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count-reads", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        if args.paced:
            run_paced_server(args.deltas, args.certificate, args.paced / 1e6)
        else:
            run_server(args.deltas, args.certificate, burst=args.burst)
        return
    if args.client:
        streams, deltas = int(args.streams), args.deltas
        print(json.dumps(run_client(args.client, args.url, streams, deltas, args.count_reads)))
        return
    deltas = args.long or args.deltas
    sizes = [1] if args.long else [int(k) for k in args.streams.split(",")]
    serving = [sys.executable, __file__, "--server", "--deltas", str(deltas)]
    if args.burst:
        serving.append("--burst")
    if args.paced:
        serving += ["--paced", str(args.paced)]
    certificates = tempfile.TemporaryDirectory()
    if args.tls:
        serving += ["--certificate", trust(certificates.name)]
    server = subprocess.Popen(serving, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        scheme = "https" if args.tls else "http"
        url = f"{scheme}://127.0.0.1:{server.stdout.readline().strip()}/v1"
        clients = args.clients.split(",")
        if args.long:
            print_long(runs_of(clients, url, deltas, args.repeat), deltas)
            return
        print(f"{deltas} deltas per stream; wall and CPU in s, peak RSS of the client in MiB")
        print(
            f"{'streams':>8} {'client':>18} {'wall':>8} {'cpu':>8} {'rss':>7} "
            f"{'KiB/stream':>10} {'vs raw':>7} {'ok':>3}"
        )
        for streams in sizes:
            rows = best_of(clients, url, streams, deltas, args.repeat)
            base = rows.get("raw")
            for name, row in rows.items():
                if row is None:
                    print(f"{streams:>8} {name:>18} {'> ' + str(int(TIMEOUT)) + ' s':>8}")
                    continue
                ratio = row["wall"] / base["wall"] if base else float("nan")
                per_stream = row["rss_kib"] / streams
                correct = "yes" if row["correct"] else "NO"
                print(
                    f"{streams:>8} {name:>18} {row['wall']:>8.3f} {row['cpu']:>8.3f} "
                    f"{row['rss_kib'] / 1024:>7.1f} {per_stream:>10.1f} {ratio:>7.2f} {correct:>3}"
                )
    finally:
        server.terminate()
        server.wait()
        certificates.cleanup()


def trust(directory: str) -> str:
    """Make a certificate authority and a server certificate for 127.0.0.1 in `directory`;
    every client process (inheriting ``SSL_CERT_FILE``) trusts the authority. Returns the
    server's PEM (key and chain)."""
    import trustme

    authority = trustme.CA()
    authority.cert_pem.write_to_path(os.path.join(directory, "ca.pem"))
    os.environ["SSL_CERT_FILE"] = os.path.join(directory, "ca.pem")
    server = os.path.join(directory, "server.pem")
    authority.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(server)
    return server


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
