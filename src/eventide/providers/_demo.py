"""`Demo`: an offline provider, so that `eventide chat` works on a fresh machine without a key.

It is not a shortcut around the pipeline: an in-memory `Transport` answers with the bytes
an OpenAI-compatible server would send (``data: {chunk}`` events, usage, ``[DONE]``, written
by `eventide.wire.ChatStreamEncoder`), and those bytes go through the response checks, the
SSE decoder, the OpenAI chat decoder and an `EventStream` exactly as a real provider's do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import anyio

from .._events import Finish, Metadata, ReasoningDelta, TextDelta, Usage
from .._transport import InMemoryTransport
from ..wire import ChatStreamEncoder
from ._openai import OpenAIChat

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from .._events import Event


__all__ = ["DEMO_MODEL", "demo"]

DEMO_MODEL: Final = "eventide-demo-1"
_SETUP = (
    "To talk to a real model, set OPENAI_API_KEY (and OPENAI_BASE_URL for any "
    "OpenAI-compatible server), or pass --provider and --base-url."
)


def _prompt(payload: Mapping[str, Any]) -> str:
    for message in reversed(payload.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(str(part.get("text", "")) for part in content)
            return str(content or "")
    return ""


def demo_answer(prompt: str) -> tuple[str, str]:
    """The demo's (reasoning, answer) for a prompt: deterministic, and it says how to set up."""
    quoted = " ".join(prompt.split())
    if len(quoted) > 120:
        quoted = quoted[:119] + "…"
    reasoning = f"The prompt was “{quoted}”. No provider is configured, so the demo answers."
    answer = (
        f"Hello from eventide's offline demo provider! You asked: “{quoted}”. "
        "This answer reached you as a stream of typed events: Metadata first, then text "
        "deltas, usage and a finish event, decoded from the same Server-Sent Events bytes "
        f"an OpenAI-compatible server sends. {_SETUP}"
    )
    return reasoning, answer


def _pieces(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


async def _demo_body(payload: Mapping[str, Any], delay: float) -> AsyncIterator[bytes]:
    prompt = _prompt(payload)
    reasoning, answer = demo_answer(prompt)
    pieces: list[Event] = [ReasoningDelta(piece) for piece in _pieces(reasoning)]
    pieces += [TextDelta(piece) for piece in _pieces(answer)]
    prompt_tokens = len(prompt.split())
    encoder = ChatStreamEncoder()
    yield encoder.encode(Metadata("demo", DEMO_MODEL, DEMO_MODEL, response_id="chatcmpl-demo"))
    for piece in pieces:
        if delay:
            await anyio.sleep(delay)
        yield encoder.encode(piece)
    encoder.encode(Usage(prompt_tokens, len(pieces), prompt_tokens + len(pieces)))
    yield encoder.encode(Finish("stop", "stop"))


def demo(*, delay: float = 0.0, name: str = "demo") -> OpenAIChat:
    """The offline demo provider: a canned, prompt-aware answer, streamed through the full
    pipeline (HTTP response, SSE and OpenAI chat decoding, `EventStream`).

    It is an `OpenAIChat` whose transport answers in process.

    Args:
        delay: Seconds between chunks, so that streaming is visible in a terminal.
        name: The provider name reported in `Metadata`.
    """

    def answer(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        return _demo_body(payload, delay)

    return OpenAIChat(
        base_url="http://demo.invalid/v1",
        api_key="",
        model=DEMO_MODEL,
        name=name,
        transport=InMemoryTransport(answer),
    )
