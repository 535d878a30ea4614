"""Per-event cost of the sync facades against the async `EventStream`, on one body.

All read the same OpenAI Chat Completions streaming body (N chunks of realistic JSON,
``bench_collect.openai_body``) from the same in-memory httpx transport, in 16 KiB pieces
(``--piece 65536``: the most the built-in transport reads at once, ~230 chunks a read):

- async: ``async for event in provider.stream(...)``, on trio, in this thread;
- async OpenAI-shaped: ``async for chunk in AsyncClient.chat.completions.create(stream=True)``
  (the same stream, plus a `ChatCompletionChunk` per event: what the shape itself costs);
- sync stream: ``for event in Client.stream(...)`` (an `EventIterator`): the same stream,
  driven on the client's own event loop thread, one list of events per network read;
- sync OpenAI-shaped: ``for chunk in Client.chat.completions.create(stream=True)`` (a
  `Stream`): the same, plus a `ChatCompletionChunk` per event.

Run:  python -m benchmarks.bench_sync [--sizes 1000,10000,100000] [--repeat 5] [--piece 16384]

Prints µs per event (best of `repeat`) and, below, each path's ratio to the async one. The
four paths take turns (one read each, `repeat` rounds), so that a noisy neighbour hits all.
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from typing import TYPE_CHECKING

import trio

from benchmarks import bench_collect
from benchmarks.bench_collect import _client, expected_text, openai_body
from eventide import AsyncClient, Client, TextDelta
from eventide.providers import OpenAIChat

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

URL = "http://bench.test/v1"


def _provider(body: bytes) -> OpenAIChat:
    return OpenAIChat(base_url=URL, api_key="sk-bench", http_client=lambda: _client(body))


async def async_events_text(client: AsyncClient) -> str:
    """The async `EventStream`."""
    async with client.stream("bench") as events:
        return "".join([event.text async for event in events if type(event) is TextDelta])


async def async_openai_text(client: AsyncClient) -> str:
    """``AsyncClient.chat.completions.create(stream=True)``."""
    async with client.chat.completions.create(messages="bench", stream=True) as chunks:
        return "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])


def async_best(
    body: bytes, run: Callable[[AsyncClient], Awaitable[str]], repeat: int
) -> tuple[float, str]:
    """Best time of `repeat` async reads on one client, and the text read."""

    async def main() -> tuple[float, str]:
        best, text = float("inf"), ""
        async with _provider(body) as provider, AsyncClient(provider) as client:
            await run(client)  # as for the sync client: one read outside the timing
            for _ in range(repeat):
                start = time.perf_counter()
                text = await run(client)
                best = min(best, time.perf_counter() - start)
        return best, text

    result: tuple[float, str] = trio.run(main)
    return result


def sync_stream_text(client: Client) -> str:
    """`Client.stream()`: events, one list per network read across the thread."""
    return "".join(event.text for event in client.stream("bench") if type(event) is TextDelta)


def sync_openai_text(client: Client) -> str:
    """``Client.chat.completions.create(stream=True)``: OpenAI-shaped chunks."""
    chunks = client.chat.completions.create(messages="bench", stream=True)
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def sync_best(body: bytes, run: Callable[[Client], str], repeat: int) -> tuple[float, str]:
    """Best time of `repeat` sync reads on one client, and the text read."""
    best, text = float("inf"), ""
    with Client(_provider(body)) as client:
        run(client)  # start the client's loop thread outside the timing
        for _ in range(repeat):
            start = time.perf_counter()
            text = run(client)
            best = min(best, time.perf_counter() - start)
    return best, text


def main(sizes: Sequence[int], repeat: int) -> None:
    columns = ("async", "sync stream", "async openai", "sync openai")
    print(f"{'events':>8} " + " ".join(f"{name:>12}" for name in columns), "  (µs/event)")
    print(f"{'':>8} " + " ".join(f"{'(ratio)':>12}" for _ in columns))
    for n in sizes:
        body = openai_body(n)
        paths: list[Callable[[], tuple[float, str]]] = [
            partial(async_best, body, async_events_text, 1),
            partial(sync_best, body, sync_stream_text, 1),
            partial(async_best, body, async_openai_text, 1),
            partial(sync_best, body, sync_openai_text, 1),
        ]
        results = [(float("inf"), "")] * len(paths)
        texts: set[str] = set()
        for _ in range(repeat):
            for i, path in enumerate(paths):
                seconds, text = path()
                texts.add(text)
                results[i] = min(results[i], (seconds, text))
        if texts != {expected_text(n)}:
            raise SystemExit(f"texts differ at n={n}")
        base = results[0][0]
        print(f"{n:>8} " + " ".join(f"{seconds / n * 1e6:>12.2f}" for seconds, _ in results))
        print(f"{'':>8} " + " ".join(f"{seconds / base:>12.2f}" for seconds, _ in results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--piece", type=int, default=bench_collect.PIECE, help="bytes a read")
    args = parser.parse_args()
    bench_collect.PIECE = args.piece
    main([int(size) for size in args.sizes.split(",")], args.repeat)
