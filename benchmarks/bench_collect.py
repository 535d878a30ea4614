"""Per-event cost of `eventide.collect()` against a raw parsing floor, in one run.

Both read the same OpenAI Chat Completions streaming body (N chunks of realistic JSON) from
the same in-memory httpx transport, which hands it over in 16 KiB pieces:

- floor: ``aiter_bytes()`` + split on blank lines + ``orjson.loads`` + pick the delta text;
  the least any Python reader of this stream can do, with no checks at all;
- eventide: ``collect(provider.stream(...))``: WHATWG SSE decoding, the OpenAI chat decoder,
  typed events, the EventStream and the Completion collector.

The floor reuses its httpx client from run to run, and so does eventide: one provider (over
that client) serves every run, as an application keeps its provider. A second eventide column
makes a new provider for each run as well, to show what that costs at small N.

Run:  python benchmarks/bench_collect.py [--sizes 1000,20000,100000] [--repeat 5] [--first 500]

Prints CPU µs per event (best of `repeat`) and the ratio to the floor for each N, for eventide
with one provider and with a new provider per run; the three are timed in turn (floor,
eventide, new provider, floor, ...) so that a noisy neighbour hits all of them.

Then the time from the first body byte to the first event, with the body handed over one
server-sent event per piece, as a server writes its first chunk: from the moment the
transport hands out the first piece to the floor's first parsed chunk (``orjson.loads``),
and to eventide's `Metadata` out of ``EventStream.__anext__`` (wall µs, the fastest and the
median of `first` runs each, in turn).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import TYPE_CHECKING

import httpx
import orjson
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


def expected_text(n: int) -> str:
    """The text `openai_body(n)` carries: what every reader must collect."""
    return "".join(f" tok{i % 100}" for i in range(n))


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        body = self._body
        for start in range(0, len(body), PIECE):
            yield body[start : start + PIECE]


class _Events(httpx.AsyncByteStream):
    """The body one server-sent event per piece; `handed` gets the time the first piece is
    handed out."""

    def __init__(self, body: bytes, handed: list[float]) -> None:
        self._events = iter([event + b"\n\n" for event in body.split(b"\n\n") if event])
        self._handed = handed
        self._first = True

    def __aiter__(self) -> _Events:  # an iterator, not a generator: left early, nothing leaks
        return self

    async def __anext__(self) -> bytes:
        if self._first:
            self._first = False
            self._handed.append(time.perf_counter())
        try:
            return next(self._events)
        except StopIteration:
            raise StopAsyncIteration from None


def _client(body: bytes, handed: list[float] | None = None) -> httpx.AsyncClient:
    """A client whose every response is `body`: in 16 KiB pieces, or (given `handed`) one
    event per piece, noting when the first is handed out."""

    def handler(request: httpx.Request) -> httpx.Response:
        stream = _Pieces(body) if handed is None else _Events(body, handed)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def floor(client: httpx.AsyncClient) -> str:
    """The raw floor: split on blank lines, orjson.loads, pick the delta text."""
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
                chunk = orjson.loads(data)
                if chunk["choices"]:
                    content = chunk["choices"][0]["delta"].get("content")
                    if content:
                        parts.append(content)
    return "".join(parts)


def bench_provider(client: httpx.AsyncClient) -> OpenAIChat:
    """The provider eventide reads through, over `client`."""
    return OpenAIChat(base_url="http://bench.test/v1", api_key="sk-bench", http_client=client)


async def with_eventide(client: httpx.AsyncClient, provider: OpenAIChat | None = None) -> str:
    """eventide's collected text, through `provider` (reused from run to run), or through a
    new provider over `client` when none is given."""
    if provider is None:
        provider = bench_provider(client)
    completion = await eventide.collect(provider.stream("bench"))
    return completion.text


async def floor_first(client: httpx.AsyncClient) -> tuple[float, str]:
    """The raw floor's first parsed chunk: when it was parsed, and its model."""
    async with client.stream("POST", "http://bench.test/v1/chat/completions") as response:
        buffer = b""
        async for piece in response.aiter_bytes():
            buffer += piece
            events = buffer.split(b"\n\n")
            if len(events) > 1:
                chunk = orjson.loads(events[0][6:])
                return time.perf_counter(), chunk["model"]
    raise AssertionError("no chunk")


async def eventide_first(client: httpx.AsyncClient) -> tuple[float, str]:
    """eventide's first event: when `EventStream.__anext__` returned it, and its model."""
    async with bench_provider(client).stream("bench") as stream:
        event = await stream.__anext__()
        done = time.perf_counter()
    assert isinstance(event, eventide.Metadata)
    return done, event.model


async def first_event(runs: int) -> dict[str, list[float]]:
    """Seconds from the first body byte handed out to the first event, per reader and run
    (each reader's model checked against the body's)."""
    handed: list[float] = []
    took: dict[str, list[float]] = {"floor": [], "eventide": []}
    async with _client(openai_body(20), handed) as client:
        for _ in range(runs):
            for name, read in (("floor", floor_first), ("eventide", eventide_first)):
                done, model = await read(client)
                if model != "gpt-4o-mini-2024-07-18":
                    raise SystemExit(f"{name} read the wrong first chunk: model {model!r}")
                took[name].append(done - handed[-1])
    return took


READERS = ("floor", "eventide", "new provider")


async def best_times(body: bytes, repeat: int) -> dict[str, tuple[float, str]]:
    """The best CPU seconds of each reader in `READERS` (run in turn), and its text."""
    best = dict.fromkeys(READERS, float("inf"))
    texts = dict.fromkeys(READERS, "")
    async with _client(body) as client:
        provider = bench_provider(client)
        runs: dict[str, Callable[[], Awaitable[str]]] = {
            "floor": lambda: floor(client),
            "eventide": lambda: with_eventide(client, provider),
            "new provider": lambda: with_eventide(client),
        }
        for _ in range(repeat):
            for name, run in runs.items():
                start = time.process_time()
                texts[name] = await run()
                best[name] = min(best[name], time.process_time() - start)
    return {name: (best[name], texts[name]) for name in READERS}


async def main(sizes: Sequence[int], repeat: int, first: int) -> None:
    print(f"CPU µs per event, best of {repeat}; ratio: to the floor")
    print(
        f"{'events':>8} {'floor':>8} {'eventide':>9} {'ratio':>6} {'new provider':>13} {'ratio':>6}"
    )
    for n in sizes:
        best = await best_times(openai_body(n), repeat)
        if any(text != expected_text(n) for _, text in best.values()):
            raise SystemExit(f"texts differ at n={n}")
        floor_s, ours_s, new_s = (best[name][0] for name in READERS)
        print(
            f"{n:>8} {floor_s / n * 1e6:>8.2f} {ours_s / n * 1e6:>9.2f} {ours_s / floor_s:>6.2f}"
            f" {new_s / n * 1e6:>13.2f} {new_s / floor_s:>6.2f}"
        )
    if first:
        took = await first_event(first)
        print(f"\nfirst body byte to first event, wall µs over {first} runs each:")
        print(f"{'reader':>9} {'fastest':>8} {'median':>8}")
        for name, times in took.items():
            print(f"{name:>9} {min(times) * 1e6:>8.1f} {statistics.median(times) * 1e6:>8.1f}")
        extra = (statistics.median(took["eventide"]) - statistics.median(took["floor"])) * 1e6
        fastest = (min(took["eventide"]) - min(took["floor"])) * 1e6
        print(f"eventide over the floor: +{fastest:.1f} µs fastest, +{extra:.1f} µs median")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,20000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--first", type=int, default=500, help="runs of the first-event timing")
    args = parser.parse_args()
    trio.run(main, [int(size) for size in args.sizes.split(",")], args.repeat, args.first)
