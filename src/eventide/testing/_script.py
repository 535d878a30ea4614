"""Event scripts: checked against the event contract, and made from a text answer.

The contract (DESIGN.md): one `Metadata`, first; at most one `Usage`; one `Finish`, last.
A script is replayed over the OpenAI Chat Completions wire, so it may hold only what that
wire carries; anything else is refused here, when the script is made, with the way out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeAlias, get_args

import attrs

from .._events import (
    Event,
    Finish,
    FinishReason,
    Metadata,
    Reasoning,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ..wire import normalise_finish_reason

__all__ = ["ScriptError", "ToolCallLike", "checked_script", "text_events"]

_EVENT_CLASSES: Final = get_args(Event)

ToolCallLike: TypeAlias = ToolCall | tuple[str, Mapping[str, Any] | str]
"""A tool call in `Reply.text`: a `ToolCall`, or ``(name, arguments)`` (a dict or JSON text)."""


class ScriptError(ValueError):
    """A script that no real provider could send: it breaks the event contract (two
    `Finish` events, `Metadata` not first, ...) or asks for something impossible."""


_LOST: Final = (
    "cannot travel over the OpenAI Chat wire that event scripts are replayed on; "
    "replay a transcript of the API that sends it instead (Reply.transcript)"
)


def checked_script(events: Iterable[Event]) -> tuple[Event, ...]:
    """`events`, checked against the event contract, with `Metadata` filled in when it is
    missing and `Finish` when it is missing (``"tool_calls"`` after tool calls, else
    ``"stop"``).

    Raises:
        TypeError: Something in `events` is not an event.
        ScriptError: `Metadata` is not first or comes twice, `Finish` is not last or comes
            twice, `Usage` comes twice, or an event carries what the chat wire cannot.
    """
    script = list(events)
    for position, event in enumerate(script):
        if not isinstance(event, _EVENT_CLASSES):
            raise TypeError(f"event script item {position} is not an eventide event: {event!r}")
        _check_carried(position, event)
    metadata = [i for i, event in enumerate(script) if type(event) is Metadata]
    if len(metadata) > 1 or (metadata and metadata[0] != 0):
        raise ScriptError(
            f"Metadata must come once, first: found at positions {', '.join(map(str, metadata))}"
        )
    finishes = [i for i, event in enumerate(script) if type(event) is Finish]
    if len(finishes) > 1:
        raise ScriptError(
            f"a stream has exactly one Finish: found {len(finishes)} "
            f"(at positions {', '.join(map(str, finishes))})"
        )
    if finishes and finishes[0] != len(script) - 1:
        raise ScriptError(f"Finish must be the last event: found at position {finishes[0]}")
    if sum(type(event) is Usage for event in script) > 1:
        raise ScriptError("a stream has at most one Usage")
    if not metadata:
        script.insert(0, Metadata(provider="", model="", requested_model=""))
    if not finishes:
        calls = any(type(event) in (ToolCall, ToolCallDelta) for event in script)
        script.append(Finish("tool_calls" if calls else "stop"))
    return tuple(script)


def _check_carried(position: int, event: Event) -> None:
    problem = None
    if isinstance(event, TextDelta | ReasoningDelta | RefusalDelta) and not event.text:
        raise ScriptError(
            f"event script item {position}: an empty {type(event).__name__}: no decoder "
            "sends one (a server's empty delta is dropped)"
        )
    if type(event) is Usage and attrs.astuple(event) == (None,) * len(attrs.fields(Usage)):
        raise ScriptError(
            f"event script item {position}: a Usage with no counts: a stream whose "
            "provider reports none has no Usage (unknown is not zero)"
        )
    if type(event) is Reasoning:
        problem = "a Reasoning block"
    elif type(event) is ToolCall and event.signature is not None:
        problem = "a ToolCall's signature"
    elif type(event) is Usage and event.cache_write_tokens is not None:
        problem = "Usage.cache_write_tokens"
    elif type(event) is Finish and event.model is not None:
        problem = "Finish.model"
    elif type(event) is Finish and event.raw_reason is not None:  # None: reason is sent
        read = normalise_finish_reason(event.raw_reason)
        if read != event.reason:
            problem = (
                f"Finish(reason={event.reason!r}, raw_reason={event.raw_reason!r}), whose raw "
                f"reason the chat decoder reads as {read!r},"
            )
    elif type(event) is Metadata:
        if event.attempts:
            problem = "Metadata.attempts (routers fill them in)"
        elif set(event.extra) - {"system_fingerprint"}:
            problem = (
                "Metadata.extra other than system_fingerprint (request_id comes from an "
                "x-request-id response header: Reply.events(..., headers=...))"
            )
    if problem is not None:
        raise ScriptError(f"event script item {position}: {problem} {_LOST}")


def _pieces(text: str) -> list[str]:
    """`text` in words, each with the whitespace after it, as a model streams it."""
    return re.findall(r"\S+\s*|\s+", text)


def _parts(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return _pieces(value)
    parts = list(value)
    if not all(isinstance(part, str) for part in parts):
        raise TypeError(f"{what} must be a string or a sequence of strings")
    return parts


def _tool_call(index: int, call: ToolCallLike) -> ToolCall:
    if isinstance(call, ToolCall):
        return attrs.evolve(call, index=index)
    if isinstance(call, tuple) and len(call) == 2 and isinstance(call[0], str):
        name, arguments = call
        text = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
        return ToolCall(index, f"call_{index}", name, text)
    raise TypeError(f"a tool call is a ToolCall or a (name, arguments) pair, not {call!r}")


def text_events(
    text: str | Sequence[str],
    *,
    reasoning: str | Sequence[str] | None,
    tool_calls: Sequence[ToolCallLike],
    usage: Usage | None,
    finish: FinishReason | None,
    model: str | None,
    response_id: str | None,
) -> list[Event]:
    """The events of a text answer (see `Reply.text`)."""
    if usage is not None and not isinstance(usage, Usage):
        raise TypeError(f"usage must be a Usage, not {usage!r}")
    events: list[Event] = [
        Metadata(provider="", model=model or "", requested_model="", response_id=response_id)
    ]
    events += [ReasoningDelta(piece) for piece in _parts(reasoning, "reasoning")]
    events += [TextDelta(piece) for piece in _parts(text, "text")]
    calls = [_tool_call(index, call) for index, call in enumerate(tool_calls)]
    events += calls
    if usage is not None:
        events.append(usage)
    events.append(Finish(finish or ("tool_calls" if calls else "stop")))
    return events
