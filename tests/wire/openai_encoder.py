"""Scripts of what a model "said" (text, reasoning and tool-call pieces, usage and a finish
reason) as the events a decoder must give back, and as wire bytes through eventide's own
Chat Completions encoder (`eventide.wire.encode_chat_stream`) in any `ChatStyle`.
"""

from __future__ import annotations

from typing import TypeAlias, final

import attrs

from eventide import (
    Event,
    Finish,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from eventide.wire import ChatStyle, encode_chat_stream, normalise_finish_reason

__all__ = [
    "CallSpec",
    "Framing",
    "Reasoning",
    "Script",
    "Step",
    "Text",
    "ToolPiece",
    "encode",
    "script_events",
]

Framing: TypeAlias = ChatStyle


@final
@attrs.frozen
class Text:
    """One ``delta.content`` piece (never empty: an empty piece carries no event)."""

    text: str


@final
@attrs.frozen
class Reasoning:
    """One ``delta.reasoning_content`` (or ``delta.reasoning``) piece, never empty."""

    text: str


@final
@attrs.frozen
class ToolPiece:
    """One fragment of tool call `index`'s arguments.

    The first fragment of a call also carries the call's id, type and name (and may be
    empty, as OpenAI's is); later fragments carry only the index and a non-empty piece.
    """

    index: int
    arguments: str


Step: TypeAlias = Text | Reasoning | ToolPiece


@final
@attrs.frozen
class CallSpec:
    """The id and function name of one tool call; `Script.calls[i]` is the call with index i."""

    id: str
    name: str


@final
@attrs.frozen
class Script:
    """What one streamed response carries, in the order the server sends it."""

    steps: tuple[Step, ...]
    calls: tuple[CallSpec, ...]
    usage: Usage | None
    finish_reason: str


def script_events(
    script: Script, metadata: Metadata, *, hold_tool_calls: bool = False
) -> list[Event]:
    """The events of `script`: what decoding its stream must give back.

    Each `ToolCall` comes as soon as the next call begins, the last ones before `Usage`
    (docs/providers.md, "Tool calls"); with `hold_tool_calls` (the decoder's
    ``interleaved_tool_calls=True``) all of them come there. Without it, the script must
    send each call's fragments together.
    """
    events: list[Event] = [metadata]
    arguments: dict[int, str] = {}
    sent: set[int] = set()

    def send(index: int) -> None:
        call = script.calls[index]
        events.append(ToolCall(index, call.id, call.name, arguments[index]))
        sent.add(index)

    for step in script.steps:
        if isinstance(step, Text):
            events.append(TextDelta(step.text))
        elif isinstance(step, Reasoning):
            events.append(ReasoningDelta(step.text))
        elif step.index in arguments:
            if step.index in sent:
                raise ValueError(f"call {step.index} is interleaved: use hold_tool_calls")
            events.append(ToolCallDelta(step.index, None, None, step.arguments))
            arguments[step.index] += step.arguments
        else:
            if not hold_tool_calls:
                for index in arguments.keys() - sent:
                    send(index)
            call = script.calls[step.index]
            events.append(ToolCallDelta(step.index, call.id, call.name, step.arguments))
            arguments[step.index] = step.arguments
    for index in range(len(script.calls)):
        if index not in sent:
            send(index)
    if script.usage is not None:
        events.append(script.usage)
    events.append(Finish(normalise_finish_reason(script.finish_reason), script.finish_reason))
    return events


def encode(
    script: Script,
    *,
    framing: ChatStyle = ChatStyle(),  # noqa: B008  # frozen
    response_id: str,
    model: str,
    system_fingerprint: str | None = None,
) -> bytes:
    """The chunk stream for `script`, ``data: [DONE]`` included, as body bytes."""
    extra = {"system_fingerprint": system_fingerprint} if system_fingerprint else {}
    metadata = Metadata(
        provider="openai", model=model, requested_model=model, response_id=response_id, extra=extra
    )
    return encode_chat_stream(script_events(script, metadata), style=framing)
