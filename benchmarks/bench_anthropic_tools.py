"""Per-fragment cost of a streamed Anthropic tool input, for K fragments in one tool call.

A Messages body with one ``tool_use`` block whose input arrives as K ``input_json_delta``
fragments (about 10 bytes each, as fine-grained tool streaming sends them) is fed to
`AnthropicDecoder` in 16 KiB pieces. The decoder appends each fragment to a list and joins
once at ``content_block_stop``, so the cost per fragment must stay flat as K grows; a decoder
that concatenated strings (``arguments += fragment``) would grow linearly per fragment,
quadratically in all.

Run:  python benchmarks/bench_anthropic_tools.py [--sizes 1000,5000,10000] [--repeat 5]

Prints µs per fragment (best of `repeat`) for each K, and its ratio to the smallest K's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from typing import TYPE_CHECKING

from eventide import ToolCall, ToolCallDelta
from eventide.wire import AnthropicDecoder

if TYPE_CHECKING:
    from collections.abc import Sequence

PIECE = 16 * 1024
_START = (
    '{"type":"message_start","message":{"id":"msg_01Bench","type":"message","role":"assistant",'
    '"model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,'
    '"usage":{"input_tokens":400,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
    '"output_tokens":1}}}'
)
_BLOCK = (
    '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use",'
    '"id":"toolu_01Bench","name":"store_rows","input":{}}}'
)


def tool_arguments(k: int) -> tuple[str, list[str]]:
    """A JSON object of about 10 bytes per fragment, and the same text cut into k fragments."""
    arguments = json.dumps({"rows": [f"r{i:06d}" for i in range(k)]})
    bounds = [len(arguments) * i // k for i in range(k + 1)]
    return arguments, [arguments[a:b] for a, b in itertools.pairwise(bounds)]


def tool_body(k: int) -> tuple[bytes, str]:
    """A streaming Messages body whose one tool call's input comes in k fragments, and that
    input's JSON text."""
    arguments, fragments = tool_arguments(k)

    def event(name: str, data: str) -> str:
        return f"event: {name}\ndata: {data}\n\n"

    parts = [event("message_start", _START), event("content_block_start", _BLOCK)]
    parts.extend(
        event(
            "content_block_delta",
            json.dumps(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": fragment},
                },
                separators=(",", ":"),
            ),
        )
        for fragment in fragments
    )
    parts.append(event("content_block_stop", '{"type":"content_block_stop","index":0}'))
    parts.append(
        event(
            "message_delta",
            '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},'
            f'"usage":{{"output_tokens":{k}}}}}',
        )
    )
    parts.append(event("message_stop", '{"type":"message_stop"}'))
    return "".join(parts).encode(), arguments


def decode(body: bytes) -> tuple[str, int]:
    """Feed `body` to the decoder in 16 KiB pieces; the tool call's arguments and how many
    fragment events came out."""
    decoder = AnthropicDecoder(provider="anthropic", requested_model="claude-sonnet-4-5")
    arguments = ""
    fragments = 0
    for start in range(0, len(body), PIECE):
        for event in decoder.feed(body[start : start + PIECE]):
            if type(event) is ToolCallDelta and event.arguments:
                fragments += 1
            elif type(event) is ToolCall:
                arguments = event.arguments
    decoder.end()
    return arguments, fragments


def main(sizes: Sequence[int], repeat: int) -> None:
    print(f"{'fragments':>10} {'µs/fragment':>12} {'vs first':>9} {'total ms':>9}")
    first: float | None = None
    for k in sizes:
        body, expected = tool_body(k)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            arguments, fragments = decode(body)
            best = min(best, time.perf_counter() - start)
            if arguments != expected or fragments != k:
                raise SystemExit(f"wrong arguments at k={k}")
        per = best / k * 1e6
        first = per if first is None else first
        print(f"{k:>10} {per:>12.2f} {per / first:>9.2f} {best * 1e3:>9.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main([int(size) for size in args.sizes.split(",")], args.repeat)
