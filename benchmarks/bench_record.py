"""Per-event cost of recording a stream, and of replaying a record, against `collect()`.

All three read the same OpenAI Chat Completions body as `bench_collect` (N content chunks,
16 KiB network reads from an in-memory httpx transport):

- live: ``collect(provider.stream(...))``;
- recorded: the same, through ``eventide.record.record(provider, path)`` (a line per event
  written and flushed per network read, to a temporary file);
- replay: ``collect(ReplayProvider(record).stream(...))``, timing compressed, from the
  record already read (reading the file is timed apart: ``read``).

Run:  python benchmarks/bench_record.py [--sizes 1000,20000] [--repeat 5]

Prints CPU µs per event (best of `repeat`; the three timed in turn) and recorded / live.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import TYPE_CHECKING

import trio

import eventide
from benchmarks.bench_collect import _client, expected_text, openai_body
from eventide.providers import OpenAIChat
from eventide.record import ReplayProvider, read_record, record

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx


def _provider(client: httpx.AsyncClient) -> OpenAIChat:
    return OpenAIChat(base_url="http://bench.test/v1", api_key="sk-bench", http_client=client)


async def _best(body: bytes, repeat: int, folder: str) -> dict[str, tuple[float, str]]:
    path = os.path.join(folder, "bench.jsonl")
    best = {name: (float("inf"), "") for name in ("live", "recorded", "read", "replay")}

    def keep(name: str, start: float, text: str) -> None:
        best[name] = (min(best[name][0], time.process_time() - start), text)

    async with _client(body) as client:
        for _ in range(repeat):
            start = time.process_time()
            completion = await eventide.collect(_provider(client).stream("bench"))
            keep("live", start, completion.text)
            start = time.process_time()
            completion = await eventide.collect(record(_provider(client), path).stream("bench"))
            keep("recorded", start, completion.text)
            start = time.process_time()
            recorded = read_record(path)
            keep("read", start, completion.text)
            start = time.process_time()
            completion = await eventide.collect(ReplayProvider(recorded).stream("bench"))
            keep("replay", start, completion.text)
    return best


async def main(sizes: Sequence[int], repeat: int) -> None:
    names = ("live", "recorded", "read", "replay")
    print(f"{'events':>8} " + " ".join(f"{name + ' µs/ev':>14}" for name in names) + "  rec/live")
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            best = await _best(openai_body(n), repeat, folder)
            if any(text != expected_text(n) for _, text in best.values()):
                raise SystemExit(f"texts differ at n={n}")
            cells = " ".join(f"{best[name][0] / n * 1e6:>14.2f}" for name in names)
            print(f"{n:>8} {cells}  {best['recorded'][0] / best['live'][0]:>8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trio.run(main, [int(size) for size in args.sizes.split(",")], args.repeat)
