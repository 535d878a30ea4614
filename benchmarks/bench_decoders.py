"""Per-event cost of each API's decoder against a raw parsing floor, in one run.

For each API (OpenAI Chat Completions, Anthropic Messages, OpenAI Responses) a realistic
streaming body of N text deltas is built by eventide's own encoders (the ones the gateway
serves), then read two ways, in 16 KiB pieces, with no I/O:

- floor: split on blank lines, take the ``data:`` text, ``orjson.loads`` it and pick the
  delta text (no checks at all: the least any Python reader of this body can do);
- decoder: the API's `StreamDecoder` ``feed`` over the pieces and ``end``, its events
  collected in a list, the text joined from its `TextDelta` events.

Both must read the same text (the run stops if they do not).

Run:  python benchmarks/bench_decoders.py [--deltas 20000] [--repeat 5]

Prints CPU µs per text delta (best of `repeat`, the two readers timed in turn so that a noisy
neighbour hits both) and the decoder's ratio to the floor.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

import orjson

import eventide
from eventide.gateway._anthropic_encode import AnthropicStreamEncoder
from eventide.gateway._responses_encode import ResponsesStreamEncoder
from eventide.wire import (
    AnthropicDecoder,
    ChatStyle,
    OpenAIChatDecoder,
    OpenAIResponsesDecoder,
    encode_chat_stream,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from eventide.wire import Decoder

PIECE = 16 * 1024
APIS = ("openai-chat", "anthropic", "responses")
_MODELS = {
    "openai-chat": "gpt-4o-mini-2024-07-18",
    "anthropic": "claude-sonnet-4-5-20250929",
    "responses": "gpt-4.1-mini-2025-04-14",
}


def _events(api: str, n: int) -> list[eventide.Event]:
    metadata = eventide.Metadata(
        provider=api,
        model=_MODELS[api],
        requested_model=_MODELS[api],
        response_id="resp_BkRv7hQy3uTnZpXa2LcE9sWmD4fGj",
        extra={"system_fingerprint": "fp_34a54ae93c"},
    )
    events: list[eventide.Event] = [metadata]
    events.extend(eventide.TextDelta(f" tok{i % 100}") for i in range(n))
    events += [eventide.Usage(9, n, None), eventide.Finish("stop", "stop")]
    return events


def body(api: str, n: int) -> bytes:
    """A streaming body of `api` with n text deltas, as the API writes it."""
    events = _events(api, n)
    if api == "openai-chat":
        return encode_chat_stream(events, style=ChatStyle(null_usage=True, created=1750000000))
    encoder = AnthropicStreamEncoder() if api == "anthropic" else ResponsesStreamEncoder()
    return b"".join(encoder.encode(event) for event in events)


def expected_text(n: int) -> str:
    """The text every body of n deltas carries: what both readers must read."""
    return "".join(f" tok{i % 100}" for i in range(n))


def _pick_chat(chunk: Any) -> str | None:
    choices = chunk.get("choices")
    return choices[0]["delta"].get("content") if choices else None


def _pick_anthropic(chunk: Any) -> str | None:
    if chunk["type"] == "content_block_delta" and chunk["delta"]["type"] == "text_delta":
        return str(chunk["delta"]["text"])
    return None


def _pick_responses(chunk: Any) -> str | None:
    return str(chunk["delta"]) if chunk["type"] == "response.output_text.delta" else None


_PICK: dict[str, Callable[[Any], str | None]] = {
    "openai-chat": _pick_chat,
    "anthropic": _pick_anthropic,
    "responses": _pick_responses,
}
_DECODER: dict[str, Callable[..., Decoder]] = {
    "openai-chat": OpenAIChatDecoder,
    "anthropic": AnthropicDecoder,
    "responses": OpenAIResponsesDecoder,
}


def pieces(data: bytes) -> list[bytes]:
    """`data` in 16 KiB pieces, as a socket hands a body over."""
    return [data[start : start + PIECE] for start in range(0, len(data), PIECE)]


def floor(api: str, chunks: Iterable[bytes]) -> str:
    """The raw floor: split on blank lines, orjson.loads the data text, pick the delta text."""
    pick = _PICK[api]
    parts: list[str] = []
    buffer = b""
    for piece in chunks:
        buffer += piece
        *events, buffer = buffer.split(b"\n\n")
        for event in events:
            data = event[event.index(b"data: ") + 6 :]
            if data == b"[DONE]":
                break
            text = pick(orjson.loads(data))
            if text:
                parts.append(text)
    return "".join(parts)


def decoder(api: str, chunks: Iterable[bytes]) -> str:
    """The API's decoder fed every piece, its events collected; the text of its deltas."""
    decode = _DECODER[api](provider=api, requested_model=_MODELS[api])
    events: list[eventide.Event] = []
    for piece in chunks:
        events += decode.feed(piece)
    events += decode.end()
    return "".join(event.text for event in events if type(event) is eventide.TextDelta)


READERS: dict[str, Callable[[str, Iterable[bytes]], str]] = {"floor": floor, "decoder": decoder}


def best_times(api: str, n: int, repeat: int) -> dict[str, float]:
    """The best CPU seconds of each reader over `api`'s body of n deltas (run in turn).

    Raises:
        SystemExit: A reader read another text than the body carries.
    """
    chunks = pieces(body(api, n))
    best = dict.fromkeys(READERS, float("inf"))
    for _ in range(repeat):
        for name, read in READERS.items():
            start = time.process_time()
            text = read(api, chunks)
            best[name] = min(best[name], time.process_time() - start)
            if text != expected_text(n):
                raise SystemExit(f"{api}: the {name} read another text")
    return best


def main(apis: Iterable[str], n: int, repeat: int) -> None:
    print(f"CPU µs per text delta, {n} deltas, best of {repeat}; ratio: decoder to floor")
    print(f"{'api':>12} {'floor':>7} {'decoder':>8} {'ratio':>6}")
    for api in apis:
        best = best_times(api, n, repeat)
        floor_us, ours_us = (best[name] / n * 1e6 for name in READERS)
        print(f"{api:>12} {floor_us:>7.2f} {ours_us:>8.2f} {ours_us / floor_us:>6.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apis", default=",".join(APIS))
    parser.add_argument("--deltas", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main(args.apis.split(","), args.deltas, args.repeat)
