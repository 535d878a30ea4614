"""Per-event cost of the sync facades against the async `EventStream`, on one body.

All three read the same OpenAI Chat Completions streaming body (N chunks of realistic JSON,
``bench_collect.openai_body``) from the same in-memory httpx transport, in 16 KiB pieces:

- async: ``async for event in provider.stream(...)``, on trio, in this thread;
- sync stream: ``for event in Client.stream(...)``: the same stream, driven on the client's
  own event loop thread, one list of events per network read;
- sync OpenAI-shaped: ``for chunk in Client.chat.completions.create(stream=True)``: the
  same, plus a `ChatCompletionChunk` per event.

Run:  python benchmarks/bench_sync.py [--sizes 1000,10000,100000] [--repeat 5]

Prints µs per event (best of `repeat`) and each sync path's ratio to the async one.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

import trio

from benchmarks.bench_collect import _client, openai_body
from eventide import Client, TextDelta
from eventide.providers import OpenAIChat

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

URL = "http://bench.test/v1"


def _provider(body: bytes) -> OpenAIChat:
    return OpenAIChat(base_url=URL, api_key="sk-bench", http_client=lambda: _client(body))


def async_text(body: bytes, repeat: int) -> tuple[float, str]:
    """The async `EventStream`: best time of `repeat` reads, and the text read."""

    async def run() -> tuple[float, str]:
        best, parts = float("inf"), list[str]()
        async with _provider(body) as provider:
            for _ in range(repeat):
                parts = []
                start = time.perf_counter()
                async with provider.stream("bench") as events:
                    async for event in events:
                        if type(event) is TextDelta:
                            parts.append(event.text)
                best = min(best, time.perf_counter() - start)
        return best, "".join(parts)

    result: tuple[float, str] = trio.run(run)
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
    print(
        f"{'events':>8} {'async µs/ev':>12} {'sync stream':>12} {'ratio':>6}"
        f" {'sync openai':>12} {'ratio':>6}"
    )
    for n in sizes:
        body = openai_body(n)
        base, text = async_text(body, repeat)
        stream, stream_text = sync_best(body, sync_stream_text, repeat)
        shaped, shaped_text = sync_best(body, sync_openai_text, repeat)
        if not text == stream_text == shaped_text:
            raise SystemExit(f"texts differ at n={n}")
        print(
            f"{n:>8} {base / n * 1e6:>12.2f} {stream / n * 1e6:>12.2f} {stream / base:>6.2f}"
            f" {shaped / n * 1e6:>12.2f} {shaped / base:>6.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main([int(size) for size in args.sizes.split(",")], args.repeat)
