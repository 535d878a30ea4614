"""Shared by the record tests: read a stream to its end, keeping its events and its error."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from eventide import Completion, Error, Event, Request
from eventide._completion import Timing
from eventide._request import as_request
from eventide.collectors import collect
from eventide.record._errors import error_data

if TYPE_CHECKING:
    from eventide.providers import Provider

__all__ = ["DATA", "REQUEST", "Outcome", "completion_of", "events_of"]

DATA: Final = Path(__file__).resolve().parents[1] / "data"
REQUEST: Final = as_request("Why is the sky blue?", model="gpt-4o-mini")


@attrs.frozen
class Outcome:
    """What a consumer saw: every event, then the error's data (None: it ended cleanly)."""

    events: list[Event]
    error: dict[str, Any] | None
    error_type: type | None


async def events_of(provider: Provider, request: Request | str, *, stop_after: int = 0) -> Outcome:
    """Iterate one stream; `stop_after` > 0 closes it after that many events."""
    events: list[Event] = []
    try:
        async with provider.stream(request) as stream:
            async for event in stream:
                events.append(event)
                if stop_after and len(events) >= stop_after:
                    break
    except Error as exc:
        return Outcome(events, error_data(exc), type(exc))
    return Outcome(events, None, None)


async def completion_of(
    provider: Provider, request: Request | str
) -> tuple[Completion, type | None]:
    """`collect()` of one stream, timings cleared: the completion, or the failure's partial."""
    try:
        completion = await collect(provider.stream(request))
        error_type = None
    except Error as exc:
        partial, error_type = exc.partial, type(exc)
        if partial is None:
            raise AssertionError("collect() raised without a partial result") from exc
        completion = partial
    return attrs.evolve(completion, timing=Timing()), error_type
