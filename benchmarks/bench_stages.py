"""Per-event overhead of a `tap` stage on `eventide.collect()`, in one run.

Both read the same OpenAI Chat Completions streaming body (N chunks, 16 KiB network reads,
as in bench_collect.py) through `OpenAIChat`:

- plain: ``collect(provider.stream(...))``;
- tap: ``collect(tap(provider, callback).stream(...))``, with a callback that does nothing
  (the cost of the stage itself: `Staged`, its source and `Tap.feed`'s loop);
- counting tap: the same with a callback that counts the events (a progress counter: the
  stage plus the callback's own cost, about 0.1 µs per call for a callable object).

Run:  python benchmarks/bench_stages.py [--sizes 1000,10000,100000] [--repeat 7]

Prints CPU µs per event (best of `repeat`) and each tap's overhead over plain in per cent
for each N; the three are timed in turn (plain, tap, counting, plain, ...) so that a noisy
neighbour hits all. The target is an overhead of at most 5 %.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

import trio

import eventide
from benchmarks.bench_collect import _client, expected_text, openai_body
from eventide.providers import OpenAIChat
from eventide.stages import tap

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx


class Counter:
    """The tap's callback: counts events."""

    def __init__(self) -> None:
        self.events = 0

    def __call__(self, event: eventide.Event) -> None:
        self.events += 1


async def plain(client: httpx.AsyncClient) -> str:
    provider = OpenAIChat(base_url="http://bench.test/v1", api_key="sk-bench", http_client=client)
    return (await eventide.collect(provider.stream("bench"))).text


def _nothing(event: eventide.Event) -> None:
    pass


async def tapped(client: httpx.AsyncClient) -> str:
    provider = OpenAIChat(base_url="http://bench.test/v1", api_key="sk-bench", http_client=client)
    return (await eventide.collect(tap(provider, _nothing).stream("bench"))).text


async def counted(client: httpx.AsyncClient, counter: Counter | None = None) -> str:
    provider = OpenAIChat(base_url="http://bench.test/v1", api_key="sk-bench", http_client=client)
    staged = tap(provider, counter or Counter())
    return (await eventide.collect(staged.stream("bench"))).text


RUNS = (plain, tapped, counted)


async def best_of(body: bytes, repeat: int) -> tuple[list[float], list[str]]:
    """The best CPU time of each of `RUNS`, run in turn, and their texts."""
    best = [float("inf")] * len(RUNS)
    texts = [""] * len(RUNS)
    async with _client(body) as client:
        for _ in range(repeat):
            for i, run in enumerate(RUNS):
                start = time.process_time()
                texts[i] = await run(client)
                best[i] = min(best[i], time.process_time() - start)
    return best, texts


async def main(sizes: Sequence[int], repeat: int) -> None:
    print(f"{'events':>8} {'plain µs/ev':>12} {'tap':>16} {'counting tap':>16}")
    for n in sizes:
        (plain_s, *taps), texts = await best_of(openai_body(n), repeat)
        if set(texts) != {expected_text(n)}:
            raise SystemExit(f"texts differ at n={n}")
        cells = [f"{s / n * 1e6:.3f} {(s / plain_s - 1) * 100:+5.1f}%" for s in taps]
        print(f"{n:>8} {plain_s / n * 1e6:>12.3f} {cells[0]:>16} {cells[1]:>16}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    trio.run(main, [int(size) for size in args.sizes.split(",")], args.repeat)
