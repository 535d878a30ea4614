"""Per-event cost of `eventide.collect()` against a raw parsing floor, in one run.

Both read the same OpenAI Chat Completions streaming body (N chunks of realistic JSON) from
the same in-memory httpx transport, which hands it over in 16 KiB pieces:

- floor: ``aiter_bytes()`` + split on blank lines + ``json.loads`` + pick the delta text;
  the least any Python reader of this stream can do, with no checks at all;
- eventide: ``collect(provider.stream(...))``: WHATWG SSE decoding, the OpenAI chat decoder,
  typed events, the EventStream and the Completion collector.

Run:  python benchmarks/bench_collect.py [--sizes 1000,20000,100000] [--repeat 5]

Prints µs per event (best of `repeat`) and the ratio eventide / floor for each N.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING

import httpx
import trio

import eventide
from eventide.providers import OpenAIChat
from eventide.wire import ChatStyle, encode_chat_stream

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

PIECE = 16 * 1024


def openai_body(n: int) -> bytes:
    """A streaming body of n content chunks, a finish chunk, a usage chunk and [DONE], as
    OpenAI writes it (eventide's own encoder, every chunk carrying ``"usage": null``)."""
    metadata = eventide.Metadata(
        provider="openai",
        model="gpt-4o-mini-2024-07-18",
        requested_model="gpt-4o-mini",
        response_id="chatcmpl-BkRv7hQy3uTnZpXa2LcE9sWmD4fGj",
        extra={"system_fingerprint": "fp_34a54ae93c"},
    )
    events: list[eventide.Event] = [metadata]
    events.extend(eventide.TextDelta(f" tok{i % 100}") for i in range(n))
    events += [eventide.Usage(9, n, None), eventide.Finish("stop", "stop")]
    return encode_chat_stream(events, style=ChatStyle(null_usage=True, created=1750000000))


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        body = self._body
        for start in range(0, len(body), PIECE):
            yield body[start : start + PIECE]


def _client(body: bytes) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_Pieces(body)
        )

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def floor(client: httpx.AsyncClient) -> str:
    """The raw floor: split on blank lines, json.loads, pick the delta text."""
    parts: list[str] = []
    buffer = b""
    async with client.stream("POST", "http://bench.test/v1/chat/completions") as response:
        async for piece in response.aiter_bytes():
            buffer += piece
            *events, buffer = buffer.split(b"\n\n")
            for event in events:
                data = event[6:]
                if data == b"[DONE]":
                    break
                chunk = json.loads(data)
                if chunk["choices"]:
                    content = chunk["choices"][0]["delta"].get("content")
                    if content:
                        parts.append(content)
    return "".join(parts)


async def with_eventide(client: httpx.AsyncClient) -> str:
    provider = OpenAIChat(base_url="http://bench.test/v1", api_key="sk-bench", http_client=client)
    completion = await eventide.collect(provider.stream("bench"))
    return completion.text


async def _best(
    run: Callable[[httpx.AsyncClient], Awaitable[str]], body: bytes, repeat: int
) -> tuple[float, str]:
    best = float("inf")
    text = ""
    async with _client(body) as client:
        for _ in range(repeat):
            start = time.perf_counter()
            text = await run(client)
            best = min(best, time.perf_counter() - start)
    return best, text


async def main(sizes: Sequence[int], repeat: int) -> None:
    print(f"{'events':>8} {'floor µs/ev':>12} {'eventide µs/ev':>15} {'ratio':>7}")
    for n in sizes:
        body = openai_body(n)
        floor_s, floor_text = await _best(floor, body, repeat)
        ours_s, ours_text = await _best(with_eventide, body, repeat)
        if ours_text != floor_text:
            raise SystemExit(f"texts differ at n={n}")
        print(
            f"{n:>8} {floor_s / n * 1e6:>12.2f} {ours_s / n * 1e6:>15.2f} {ours_s / floor_s:>7.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,20000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trio.run(main, [int(size) for size in args.sizes.split(",")], args.repeat)
