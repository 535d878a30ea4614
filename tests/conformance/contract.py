"""The event contract as a checker, plus the helpers both conformance test modules use.

`violations()` lists every way a sequence of events breaks DESIGN.md's contract (an empty
list: it keeps it), so that a failing test shows all the problems at once.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final, get_args

import attrs
import pytest

from eventide import (
    Error,
    Event,
    Finish,
    FinishReason,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from tests.conformance.cases import Outcome, case_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from _pytest.mark import ParameterSet

    from eventide import Completion
    from tests.conformance.cases import Case

__all__ = [
    "FINISH_REASONS",
    "Decoded",
    "contract_params",
    "decode",
    "expected_metadata",
    "metadata_fields",
    "outcome_of_completion",
    "outcome_of_events",
    "pieces",
    "violations",
]

FINISH_REASONS: Final = frozenset(get_args(FinishReason))


@attrs.frozen
class Decoded:
    """What a decoder delivered for one body.

    Attributes:
        events: Every event delivered: what each `feed()` and `end()` returned, then, after
            a failure, the failing call's ``pending_events`` (what a stream delivers first).
        error: The error that ended the body, or None.
        done_before_end: `decoder.done` after the last byte was fed, before `end()`.
        done: `decoder.done` at the very end.
    """

    events: list[Event]
    error: Error | None
    done_before_end: bool
    done: bool


def decode(case: Case, chunks: Iterable[bytes]) -> Decoded:
    """Feed `chunks` to a fresh decoder for `case`, then end the body."""
    decoder = case.api.decoder(provider=case.api.provider, requested_model=case.requested_model)
    events: list[Event] = []
    done_before_end = False
    try:
        for chunk in chunks:
            events.extend(decoder.feed(chunk))
        done_before_end = decoder.done
        events.extend(decoder.end())
    except Error as exc:
        return Decoded(events + exc.pending_events, exc, done_before_end, decoder.done)
    return Decoded(events, None, done_before_end, decoder.done)


def contract_params(cases: Sequence[Case]) -> list[ParameterSet]:
    """The cases as parameters; a row with a known contract break is a strict xfail."""
    return [
        pytest.param(
            case,
            id=case_id(case),
            marks=[pytest.mark.xfail(strict=True, reason=case.known_break)]
            if case.known_break
            else [],
        )
        for case in cases
    ]


def expected_metadata(case: Case) -> tuple[str, str, str, str | None]:
    """(provider, model, requested_model, response_id) that the case's Metadata must carry."""
    return case.api.provider, case.model, case.requested_model, case.response_id


def metadata_fields(metadata: Metadata) -> tuple[str, str, str, str | None]:
    return metadata.provider, metadata.model, metadata.requested_model, metadata.response_id


def violations(events: Sequence[Event], *, complete: bool) -> list[str]:
    """Every rule of the event contract that `events` break.

    `complete`: the events of a response that reached its end (else: the events delivered
    before a failure, which must still start with Metadata and never hold a Finish).
    """
    found: list[str] = []
    kinds = [type(event) for event in events]
    if complete and not events:
        found.append("a complete response delivered no event")
    if events and kinds[0] is not Metadata:
        found.append(f"the first event is {kinds[0].__name__}, not Metadata")
    if kinds.count(Metadata) > 1:
        found.append(f"{kinds.count(Metadata)} Metadata events")

    finishes = [i for i, kind in enumerate(kinds) if kind is Finish]
    if complete:
        if len(finishes) != 1:
            found.append(f"{len(finishes)} Finish events on a complete response (want 1)")
        elif finishes[0] != len(events) - 1:
            after = [kind.__name__ for kind in kinds[finishes[0] + 1 :]]
            found.append(f"events after Finish: {after}")
    elif finishes:
        found.append("a Finish before a failure")
    for i in finishes:
        finish = events[i]
        assert isinstance(finish, Finish)
        if finish.reason not in FINISH_REASONS:
            found.append(f"finish reason {finish.reason!r} is not one of {sorted(FINISH_REASONS)}")

    usages = [i for i, kind in enumerate(kinds) if kind is Usage]
    if len(usages) > 1:
        found.append(f"{len(usages)} Usage events")
    if usages and finishes and usages[-1] > finishes[0]:
        found.append("Usage after Finish")

    found.extend(_tool_call_violations(events))
    return found


def _tool_call_violations(events: Sequence[Event]) -> list[str]:
    found: list[str] = []
    fragments: dict[int, list[ToolCallDelta]] = {}
    completed: set[int] = set()
    for event in events:
        if isinstance(event, ToolCallDelta):
            if event.index in completed:
                found.append(f"ToolCallDelta for call {event.index} after its ToolCall")
            fragments.setdefault(event.index, []).append(event)
        elif isinstance(event, ToolCall):
            index = event.index
            if index in completed:
                found.append(f"call {index} completed twice")
            completed.add(index)
            try:
                json.loads(event.arguments)
            except ValueError:
                found.append(f"call {index}: arguments {event.arguments!r} are not JSON")
            parts = fragments.get(index, [])
            joined = "".join(part.arguments for part in parts)
            if joined != event.arguments:
                found.append(
                    f"call {index}: fragments join to {joined!r}, ToolCall has {event.arguments!r}"
                )
            if parts and (parts[0].id, parts[0].name) != (event.id, event.name):
                found.append(
                    f"call {index}: first fragment names {(parts[0].id, parts[0].name)}, "
                    f"ToolCall {(event.id, event.name)}"
                )
            if any(part.id is not None or part.name is not None for part in parts[1:]):
                found.append(f"call {index}: a later fragment repeats the id or name")
    return found


def outcome_of_events(events: Sequence[Event], error: Error | None) -> Outcome:
    """The abstract outcome of a decoder's events (and the error that ended them)."""
    usages = [event for event in events if isinstance(event, Usage)]
    finishes = [event for event in events if isinstance(event, Finish)]
    return Outcome(
        text="".join(event.text for event in events if isinstance(event, TextDelta)),
        reasoning="".join(event.text for event in events if isinstance(event, ReasoningDelta)),
        tool_calls=tuple(
            (event.name, json.loads(event.arguments))
            for event in events
            if isinstance(event, ToolCall)
        ),
        usage=(usages[-1].input_tokens, usages[-1].output_tokens) if usages else None,
        finish=(finishes[-1].reason, finishes[-1].raw_reason) if finishes else None,
        error=type(error) if error is not None else None,
    )


def outcome_of_completion(completion: Completion, error: Error | None = None) -> Outcome:
    """The abstract outcome of a collected response (or of `Error.partial`).

    A partial result also lists the calls that were still streaming, with the arguments
    received so far; only those whose arguments parse count as calls here.
    """
    usage = completion.usage
    finish: tuple[FinishReason, str | None] | None = None
    if completion.finish_reason is not None:
        assert completion.finish_reason in FINISH_REASONS, completion.finish_reason
        reason: FinishReason = completion.finish_reason  # type: ignore[assignment]
        finish = (reason, completion.raw_finish_reason)
    return Outcome(
        text=completion.text,
        reasoning=completion.reasoning,
        tool_calls=tuple(
            (call.name, call.parsed) for call in completion.tool_calls if call.arguments_valid
        ),
        usage=(usage.input_tokens, usage.output_tokens) if usage is not None else None,
        finish=finish,
        error=type(error) if error is not None else None,
    )


_LINE: Final = re.compile(rb"([^\r\n]*)(\r\n|\r|\n)")


def pieces(wire: bytes, framing: str) -> list[bytes]:
    """The body cut into what a server writes one at a time: each SSE event (up to and with
    its blank line), or each NDJSON line; a cut-short tail is the last piece."""
    out: list[bytes] = []
    start = 0
    for line in _LINE.finditer(wire):
        if framing == "ndjson" or not line.group(1):
            out.append(wire[start : line.end()])
            start = line.end()
    if start < len(wire):
        out.append(wire[start:])
    assert b"".join(out) == wire
    return out
