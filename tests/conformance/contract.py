"""The helpers both conformance test modules use (the event contract itself is checked by
`tests.contract`)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final

import attrs
import pytest

from eventide import (
    Error,
    Event,
    Finish,
    FinishReason,
    Metadata,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    Usage,
)
from tests.conformance.cases import Outcome, case_id
from tests.contract import FINISH_REASONS
from tests.wire.harness import drive

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from _pytest.mark import ParameterSet

    from eventide import Completion
    from tests.conformance.cases import Case

__all__ = [
    "Decoded",
    "contract_params",
    "decode",
    "expected_metadata",
    "metadata_fields",
    "outcome_of_completion",
    "outcome_of_events",
    "pieces",
]


@attrs.frozen
class Decoded:
    """What a decoder delivered for one body.

    Attributes:
        events: Every event delivered: what each `feed()` and `end()` returned before a
            failure (a decoder holds a fault met after events for its next call).
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
    events, error = drive(decoder, chunks, end=False)
    done_before_end = error is None and decoder.done
    if error is None:
        rest, error = drive(decoder, [])
        events += rest
    return Decoded(events, error, done_before_end, decoder.done)


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
        cache=cache_of(usages[-1] if usages else None),
        refusal="".join(event.text for event in events if isinstance(event, RefusalDelta)),
        late_model=finishes[-1].model if finishes else None,
    )


def cache_of(usage: Usage | None) -> tuple[int | None, int | None] | None:
    """(cache reads, cache writes) when a prompt cache was used, else None."""
    if usage is None or not (usage.cache_read_tokens or usage.cache_write_tokens):
        return None
    return usage.cache_read_tokens, usage.cache_write_tokens


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
        cache=cache_of(usage),
        refusal=completion.refusal or "",
        late_model=completion.late_model,
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
