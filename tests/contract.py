"""The event contract of DESIGN.md as one checker that every suite calls.

`violations()` lists every way a sequence of events breaks the contract (an empty list: it
keeps it), so that a failing test shows all the problems at once; `assert_keeps_contract()`
asserts there are none.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, get_args

from eventide import Finish, FinishReason, Metadata, ToolCall, ToolCallDelta, Usage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventide import Event

__all__ = ["FINISH_REASONS", "assert_keeps_contract", "violations"]

FINISH_REASONS: Final = frozenset(get_args(FinishReason))


def assert_keeps_contract(events: Sequence[Event], *, complete: bool | None = True) -> None:
    """Assert that `events` keep the event contract (see `violations` for `complete`)."""
    found = violations(events, complete=complete)
    assert not found, f"{found}: {list(events)!r}"


def violations(events: Sequence[Event], *, complete: bool | None) -> list[str]:
    """Every rule of the event contract that `events` break (an empty list: none).

    `complete`: True for the events of a response that reached its end; False for the
    events delivered before a failure, which must still start with Metadata and never hold
    a Finish; None for the events of arbitrary bytes, either way: only the structure is
    checked (a Finish, if any, still last; tool calls completed once, as 0, 1, 2, ...),
    not what the bytes said (a tool call's arguments are whatever they were).
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
    elif complete is False and finishes:
        found.append("a Finish before a failure")
    elif len(finishes) > 1 or (finishes and finishes[0] != len(events) - 1):
        found.append("Finish is not once and last")
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

    found.extend(_tool_call_violations(events, content=complete is not None))
    return found


def _tool_call_violations(events: Sequence[Event], *, content: bool) -> list[str]:
    found: list[str] = []
    order = [event.index for event in events if isinstance(event, ToolCall)]
    if order != (sorted(set(order)) if content else list(range(len(order)))):
        found.append(f"tool calls completed out of index order: {order}")
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
            if not content:
                continue
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
