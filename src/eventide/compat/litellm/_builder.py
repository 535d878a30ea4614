"""litellm's ``stream_chunk_builder``: the `ChatCompletion` the chunks of one stream make."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, get_args

from ..._events import (
    Finish,
    FinishReason,
    Metadata,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from ...client import ChatCompletion, ChatCompletionChunk
from ...collectors import CompletionCollector

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ..._events import Event
    from ._completion import Messages

__all__ = ["stream_chunk_builder"]

_FINISH_REASONS: Final = frozenset(get_args(FinishReason))


def _metadata(chunk: ChatCompletionChunk) -> Metadata:
    """The `Metadata` of the stream `chunk` opens: its ``system_fingerprint``,
    ``service_tier`` and request id kept (as litellm keeps the first chunk's fingerprint),
    so the built completion has them as ``completion()``'s has."""
    kept = {
        "system_fingerprint": chunk.system_fingerprint,
        "service_tier": chunk.service_tier,
        "request_id": chunk._request_id,
    }
    extra = {key: value for key, value in kept.items() if value is not None}
    return Metadata(chunk.provider, chunk.model, chunk.model, chunk.id or None, extra=extra)


def _events(chunk: ChatCompletionChunk, first: bool) -> Iterator[Event]:
    """The events a chunk carries (the first chunk's `Metadata` too)."""
    if first:
        yield _metadata(chunk)
    for choice in chunk.choices[:1]:
        delta = choice.delta
        if delta.reasoning:
            yield ReasoningDelta(delta.reasoning)
        if delta.content:
            yield TextDelta(delta.content)
        if delta.refusal:
            yield RefusalDelta(delta.refusal)
        for call in delta.tool_calls or ():
            index = call.index or 0
            yield ToolCallDelta(index, call.id, call.function.name, call.function.arguments)
        if choice.finish_reason is not None:
            reason = choice.finish_reason
            normal = reason if reason in _FINISH_REASONS else "other"
            yield Finish(normal, reason)  # type: ignore[arg-type]
    usage = chunk.usage
    if usage is not None:
        details = usage.prompt_tokens_details, usage.completion_tokens_details
        yield Usage(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            cache_read_tokens=details[0].cached_tokens if details[0] else None,
            reasoning_tokens=details[1].reasoning_tokens if details[1] else None,
        )


def stream_chunk_builder(
    chunks: Sequence[ChatCompletionChunk], messages: Messages | None = None
) -> ChatCompletion | None:
    """litellm's ``stream_chunk_builder``: the `ChatCompletion` the chunks of one stream
    make (text, reasoning, tool calls, usage, finish reason, provider, and the first
    chunk's ``system_fingerprint``, ``service_tier`` and request id), or None for no
    chunks. `messages` is accepted as litellm takes it; usage is what the provider
    reported (litellm estimates missing usage from the messages; eventide leaves it
    unknown, not a guess)."""
    if not chunks:
        return None
    collector = CompletionCollector()
    for index, chunk in enumerate(chunks):
        if not isinstance(chunk, ChatCompletionChunk):
            raise TypeError(f"chunks must be ChatCompletionChunk objects, not {chunk!r}")
        collector.feed_batch(_events(chunk, index == 0))
    return ChatCompletion.from_completion(collector.result(), created=chunks[0].created)
