"""The same batch through eventide's `RayBatchRunner` and through ``ray.data.llm``'s HTTP
processor, on one local Ray cluster, against one loopback upstream, in one run.

The upstream (asyncio, a process of its own) is OpenAI-compatible: it answers
``echo <prompt>`` to every chat request after `--latency` seconds, streamed when the request
asks for a stream (eventide does) and as one JSON body otherwise (``ray.data.llm`` does),
with usage. It counts the requests it holds at once, so the report shows how many requests
each side really keeps in flight, and it measures its busy window (first request in, last
response out). With `--throttle K`, it first answers the K next requests with a 429 and a
``Retry-After`` header, and records how long each throttled prompt took to come back.

The runs, each on the same `--rows` prompts and the same actor pool of `--workers` actors:

- eventide: ``map_batches(RayBatchRunner, compute=ActorPoolStrategy(size=workers))``, a
  sliding window of `--concurrency` requests per actor;
- ray.data.llm: ``build_processor(HttpRequestProcessorConfig(url=..., batch_size=...,
  concurrency=(workers, workers)))`` (a fixed pool of the same size), once with ``qps=None``
  (its default) and once with ``qps`` at eventide's whole target rate (its ``qps`` paces each
  actor on its own, so the cluster's cap is `workers` times that).

Every run is checked: each id comes back exactly once, with the upstream's text for its
prompt. It prints each run's rate against the ideal (workers * concurrency / latency) and
whether eventide reaches 0.8 of it, over the upstream's busy window (the window really
slides) and over the wall time (which includes starting the actors), and what each keeps
per row. With `--throttle` (default 20; 0 skips it), `--throttle-rows` rows go through both
again while the upstream throttles: eventide retries as ``Retry-After`` says;
``ray.data.llm`` is run with its default ``max_retries=0`` and with ``max_retries=2``.

Run:  python -m benchmarks.bench_ray_data_llm [--rows 2000] [--workers 2] [--concurrency 16]
          [--latency 0.2] [--batch-size 64] [--throttle 20] [--throttle-rows 100]
Needs the ``ray`` extra (Ray Data; ``ray.data.llm`` comes with it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

HERE = Path(__file__).resolve().parent
MODEL = "bench-1"
KEY = "sk-bench"


# -- the upstream ---------------------------------------------------------------------------


def answer(prompt: str) -> str:
    """The upstream's text for `prompt`."""
    return f"echo {prompt}"


def _usage(prompt: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = len(prompt.split()), len(answer(prompt).split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _chat_body(request: dict[str, Any]) -> tuple[str, bytes]:
    """The content type and body answering a chat request: an SSE stream or one JSON body."""
    prompt = request["messages"][-1]["content"]
    common = {"id": "chatcmpl-bench", "created": 1750000000, "model": request["model"]}
    if not request.get("stream"):
        message = {"role": "assistant", "content": answer(prompt)}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        payload = {**common, "object": "chat.completion", "choices": [choice]}
        return "application/json", json.dumps({**payload, "usage": _usage(prompt)}).encode()
    chunk = {**common, "object": "chat.completion.chunk"}
    events = [
        {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {**chunk, "choices": [{"index": 0, "delta": {"content": answer(prompt)}}]},
        {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**chunk, "choices": [], "usage": _usage(prompt)},
    ]
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    return "text/event-stream", "".join([*lines, "data: [DONE]\n\n"]).encode()


def _response(status: str, content_type: str, body: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"content-type: {content_type}", *extra]
    head.append(f"content-length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@final
@dataclass
class _Counts:
    """What the upstream saw in one run."""

    requests: int = 0
    throttled: int = 0
    in_flight: int = 0
    peak: int = 0
    first: float | None = None
    last: float | None = None
    throttled_at: dict[str, float] = field(default_factory=dict)
    gaps: list[float] = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        """The counts, for the driver: `window` is from the first request in to the last
        response out, `retry_gaps` the seconds from each 429 to the retry of its prompt."""
        first, last = self.first, self.last
        return {
            "requests": self.requests,
            "throttled": self.throttled,
            "peak_in_flight": self.peak,
            "window": last - first if first is not None and last is not None else 0.0,
            "retry_gaps": sorted(self.gaps),
            "never_retried": len(self.throttled_at),
        }


@final
@dataclass
class _Upstream:
    """The upstream: the counts of the current run, and how many requests it still throttles
    (a request a run left behind counts in that run)."""

    latency: float
    throttle: int = 0
    retry_after: int = 1
    counts: _Counts = field(default_factory=_Counts)

    def control(self, body: dict[str, Any]) -> bytes:
        """The counts so far, as JSON; then start again, throttling as `body` says."""
        stats = self.counts.stats()
        self.counts = _Counts()
        self.throttle, self.retry_after = body.get("throttle", 0), body.get("retry_after", 1)
        return json.dumps(stats).encode()

    async def chat(self, request: dict[str, Any]) -> bytes:
        """The response to one chat request, `latency` seconds late (a 429 at once)."""
        prompt, counts = request["messages"][-1]["content"], self.counts
        now = time.monotonic()
        counts.requests += 1
        if prompt in counts.throttled_at:
            counts.gaps.append(now - counts.throttled_at.pop(prompt))
        if self.throttle > 0:
            self.throttle -= 1
            counts.throttled += 1
            counts.throttled_at[prompt] = now
            error = {"error": {"message": "slow down", "type": "rate_limit_exceeded"}}
            body = json.dumps(error).encode()
            retry = f"retry-after: {self.retry_after}"
            return _response("429 Too Many Requests", "application/json", body, retry)
        counts.first = now if counts.first is None else counts.first
        counts.in_flight += 1
        counts.peak = max(counts.peak, counts.in_flight)
        try:
            await asyncio.sleep(self.latency)
        finally:
            counts.in_flight -= 1
        counts.last = time.monotonic()
        return _response("200 OK", *_chat_body(request))


async def _serve(
    state: _Upstream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer one connection's requests, one after another (keep-alive)."""
    try:
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = 0
            for line in head.split("\r\n"):
                if line.startswith("content-length:"):
                    length = int(line.partition(":")[2])
            body = json.loads(await reader.readexactly(length) or b"{}")
            if head.split(" ", 2)[1] == "/control":
                reply = _response("200 OK", "application/json", state.control(body))
            else:
                reply = await state.chat(body)
            writer.write(reply)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def run_server(latency: float) -> None:
    """Serve until killed; print the port first."""

    async def main() -> None:
        state = _Upstream(latency)
        server = await asyncio.start_server(
            lambda reader, writer: _serve(state, reader, writer), "127.0.0.1", 0, backlog=4096
        )
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


@contextlib.contextmanager
def upstream(latency: float) -> Iterator[str]:
    """The upstream in a process of its own, for the block; yields its OpenAI API root."""
    command = [sys.executable, "-m", "benchmarks.bench_ray_data_llm", "--server"]
    command += ["--latency", str(latency)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent) as server:
        assert server.stdout is not None
        try:
            yield f"http://127.0.0.1:{server.stdout.readline().strip()}/v1"
        finally:
            server.terminate()


def control(url: str, *, throttle: int = 0, retry_after: int = 1) -> dict[str, Any]:
    """The upstream's counts since the last call; it then throttles the next `throttle`."""
    body = json.dumps({"throttle": throttle, "retry_after": retry_after}).encode()
    request = urllib.request.Request(url.removesuffix("/v1") + "/control", data=body)
    with urllib.request.urlopen(request, timeout=30) as response:
        stats: dict[str, Any] = json.loads(response.read())
    return stats


# -- the runs -------------------------------------------------------------------------------


@final
@dataclass
class Run:
    """One run's outcome: its rows (or the error that ended it) and the upstream's counts."""

    name: str
    rows: int
    wall: float
    upstream: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """The columns of a returned row."""
        return list(self.records[0]) if self.records else []

    def rate(self, *, window: bool) -> float:
        """Rows per second over the upstream's busy window, or over the wall time."""
        seconds = self.upstream["window"] if window else self.wall
        return len(self.records) / seconds if seconds and not self.failure else 0.0


def prompts(count: int) -> list[dict[str, Any]]:
    """`count` rows: ids 0... and their prompts."""
    return [{"id": number, "prompt": f"question {number}"} for number in range(count)]


def check(
    rows: list[dict[str, Any]], records: list[dict[str, Any]], text: Callable[..., Any]
) -> list[str]:
    """What is wrong with `records` (`text` reads a record's text): each id of `rows` exactly
    once, with the upstream's answer to its prompt."""
    expected = {row["id"]: answer(row["prompt"]) for row in rows}
    problems, seen = [], set()
    for record in records:
        if record["id"] in seen:
            problems.append(f"id {record['id']!r} twice")
        seen.add(record["id"])
        if text(record) != expected.get(record["id"]):
            problems.append(f"id {record['id']!r}: {text(record)!r}")
    problems.extend(f"id {missing!r} missing" for missing in expected.keys() - seen)
    return problems


def _cause(error: Exception) -> str:
    """The line of a failed job's error that names its cause (the UDF's exception)."""
    text = str(error)
    found = re.search(r"^\w+Error: .*$", text, re.MULTILINE)
    line = found.group() if found else f"{type(error).__name__}: {text.splitlines()[0]}"
    return re.sub(r"\{.*\}", "{...}", line).partition(" Full Traceback")[0]


def _timed(name: str, url: str, rows: list[dict[str, Any]], dataset: Callable[[], Any]) -> Run:
    """Run `dataset`; the upstream's counts are read (and reset) at the end."""
    start = time.perf_counter()
    try:
        records: list[dict[str, Any]] = dataset().take_all()
        failure = None
    except Exception as error:  # the job failed: that is the finding
        records, failure = [], _cause(error)
    return Run(name, len(rows), time.perf_counter() - start, control(url), records, failure)


def run_eventide(
    url: str,
    rows: list[dict[str, Any]],
    *,
    workers: int,
    concurrency: int,
    batch_size: int,
) -> Run:
    """`rows` through `RayBatchRunner` in an actor pool of `workers`."""
    import ray.data

    from eventide.scale import RayBatchRunner

    options = {"provider": "openai", "base_url": url, "api_key": KEY, "model": MODEL}

    def dataset() -> Any:
        return ray.data.from_items(rows).map_batches(
            RayBatchRunner,
            fn_constructor_kwargs={**options, "max_concurrency": concurrency},
            compute=ray.data.ActorPoolStrategy(size=workers),
            batch_size=batch_size,
        )

    run = _timed(f"eventide, max_concurrency {concurrency}", url, rows, dataset)
    run.problems = check(rows, run.records, lambda record: record["text"])
    for record in run.records:
        if (record["provider"], record["model"], record["error"]) != ("openai", MODEL, None):
            run.problems.append(f"id {record['id']!r}: {record['provider']}, {record['error']}")
    return run


def payload(row: dict[str, Any]) -> dict[str, Any]:
    """``ray.data.llm``'s preprocess: the chat request of a row."""
    messages = [{"role": "user", "content": row["prompt"]}]
    return {"payload": {"model": MODEL, "messages": messages}}


def run_ray_llm(
    url: str,
    rows: list[dict[str, Any]],
    *,
    workers: int,
    batch_size: int,
    qps: int | None,
    max_retries: int = 0,
) -> Run:
    """`rows` through ``ray.data.llm``'s HTTP processor, `workers` actors (no postprocess:
    every column it keeps comes back)."""
    import ray.data
    import ray.data.llm

    config = ray.data.llm.HttpRequestProcessorConfig(
        url=f"{url}/chat/completions",
        headers={"Authorization": f"Bearer {KEY}"},
        qps=qps,
        max_retries=max_retries,
        batch_size=batch_size,
        concurrency=(workers, workers),
    )
    processor = ray.data.llm.build_processor(config, preprocess=payload)
    name = f"ray.data.llm, qps {qps}" + (f", max_retries {max_retries}" if max_retries else "")
    run = _timed(name, url, rows, lambda: processor(ray.data.from_items(rows)))
    content = lambda record: record["http_response"]["choices"][0]["message"]["content"]  # noqa: E731
    run.problems = check(rows, run.records, content) if not run.failure else [run.failure]
    return run


def compare(
    url: str,
    *,
    rows: int,
    workers: int,
    concurrency: int,
    latency: float,
    batch_size: int,
    throttle: int = 0,
    throttle_rows: int = 0,
    retry_after: int = 1,
) -> tuple[list[Run], list[Run]]:
    """The runs on `rows` prompts (eventide; ``ray.data.llm`` without and with `qps`), then,
    with `throttle`, on `throttle_rows` prompts while the upstream answers the first
    `throttle` requests with a 429 and ``Retry-After: <retry_after>`` (eventide;
    ``ray.data.llm`` with ``max_retries`` 0, its default, and 2).

    The upstream at `url` is fresh: each run reads (and resets) its counts when it ends."""
    batch = prompts(rows)
    sizes = {"workers": workers, "batch_size": batch_size}
    target = round(workers * concurrency / latency)
    runs = [
        run_eventide(url, batch, concurrency=concurrency, **sizes),
        run_ray_llm(url, batch, qps=None, **sizes),
        run_ray_llm(url, batch, qps=target, **sizes),
    ]
    throttled: list[Run] = []
    for start in (
        partial(run_eventide, concurrency=concurrency),
        partial(run_ray_llm, qps=None),
        partial(run_ray_llm, qps=None, max_retries=2),
    ):
        if throttle:
            control(url, throttle=throttle, retry_after=retry_after)
            throttled.append(start(url, prompts(throttle_rows), **sizes))
    return runs, throttled


def report(
    runs: list[Run], throttled: list[Run], *, workers: int, concurrency: int, latency: float
) -> str:
    """The results, as Markdown tables: eventide passes at 0.8 of the ideal rate over the
    upstream's busy window."""
    ideal = workers * concurrency / latency
    lines = [
        f"ideal: {workers} workers x {concurrency} / {latency} s = {ideal:.0f} rows/s",
        "",
        "| run | rows back | wall | rows/s (wall) | rows/s (upstream busy) | of ideal "
        "| peak in flight | correct |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        busy = run.rate(window=True)
        lines.append(
            f"| {run.name} | {len(run.records)} of {run.rows} | {run.wall:.1f} s "
            f"| {run.rate(window=False):.0f} | {busy:.0f} | {busy / ideal:.2f} "
            f"| {run.upstream['peak_in_flight']} | {'yes' if not run.problems else 'NO'} |"
        )
    passed = runs[0].rate(window=True) >= 0.8 * ideal
    lines.append("")
    lines.append(f"eventide >= 0.8 x ideal: {'pass' if passed else 'FAIL'}")
    lines.extend(f"{run.name}: {run.problems[:3]}" for run in runs if run.problems)
    lines.append("")
    lines.extend(f"{run.name} keeps per row: {', '.join(run.columns)}" for run in runs[:2])
    if runs[0].records:
        first = runs[0].records[0]
        kept = {key: first[key] for key in ("provider", "model", "attempts", "usage")}
        lines.append(f"  eventide row {first['id']}: {kept}")
    if runs[1].records:
        response = runs[1].records[0]["http_response"]
        lines.append(
            f"  ray.data.llm http_response: the upstream's raw JSON ({', '.join(response)})"
        )
    if throttled:
        lines += [
            "",
            f"429 with Retry-After: the first {throttled[0].upstream['throttled']} requests"
            f" ({throttled[0].rows} rows)",
            "",
            "| run | rows back | 429s | retried after | never retried | outcome |",
            "|---|---|---|---|---|---|",
        ]
        for run in throttled:
            gaps = run.upstream["retry_gaps"]
            after = f"{gaps[0]:.2f}-{gaps[-1]:.2f} s" if gaps else "-"
            outcome = run.failure or ("correct" if not run.problems else run.problems[0])
            if not run.failure and "attempts" in run.columns:
                retried = sum(record["attempts"] > 1 for record in run.records)
                extra = sum(record["attempts"] - 1 for record in run.records)
                outcome += f"; {retried} rows retried, {extra} extra attempts in their rows"
            lines.append(
                f"| {run.name} | {len(run.records)} of {run.rows} | {run.upstream['throttled']} "
                f"| {after} | {run.upstream['never_retried']} | {outcome} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--throttle", type=int, default=20, help="429s to answer first")
    parser.add_argument("--throttle-rows", type=int, default=100)
    parser.add_argument("--retry-after", type=int, default=1, help="seconds, with the 429s")
    parser.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        run_server(args.latency)
        return
    import ray

    shape = {"workers": args.workers, "concurrency": args.concurrency, "latency": args.latency}
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    try:
        with upstream(args.latency) as url:
            runs, throttled = compare(
                url,
                rows=args.rows,
                batch_size=args.batch_size,
                throttle=args.throttle,
                throttle_rows=args.throttle_rows,
                retry_after=args.retry_after,
                **shape,
            )
    finally:
        ray.shutdown()
    print(report(runs, throttled, **shape))
    if any(run.problems for run in runs):
        raise SystemExit("a run's rows are not the upstream's answers, each id once")


if __name__ == "__main__":
    main()
