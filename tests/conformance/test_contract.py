"""The event contract, proven the same for all five providers, sans-IO.

Every row of `tests.conformance.cases` is decoded by its provider's decoder whole, one byte
at a time and at cuts hypothesis chooses, and each time the events must keep DESIGN.md's
contract (Metadata first and once; Finish once and last on a complete response, none on a
failure; Usage at most once, before Finish; every ToolCall's arguments are JSON and are its
fragments joined; the finish reason normalised, the raw one kept) and reach the row's
abstract outcome. A failure must be the row's exact `eventide.Error` class, name the
provider, and come after every event decoded before it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventide import (
    Error,
    Finish,
    Metadata,
    ProtocolError,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from tests.conformance.cases import (
    APIS,
    CASES,
    Api,
    Case,
    case_id,
)
from tests.conformance.contract import (
    contract_params,
    decode,
    expected_metadata,
    metadata_fields,
    outcome_of_events,
    pieces,
)
from tests.contract import violations
from tests.strategies import chunked

if TYPE_CHECKING:
    from _pytest.mark import ParameterSet

    from eventide import Event
    from tests.conformance.contract import Decoded


def one_byte_chunks(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def assert_conforms(case: Case, decoded: Decoded) -> None:
    """The contract, the error (for a failing row) and the row's outcome."""
    error = decoded.error
    if case.fails:
        assert error is not None, f"decoded without an error: {decoded.events!r}"
        assert isinstance(error, Error)
        assert type(error) is case.expected.error, repr(error)
    else:
        assert error is None, f"failed with {error!r} after {decoded.events!r}"
    assert violations(decoded.events, complete=not case.fails) == [], decoded.events
    if decoded.events:
        metadata = decoded.events[0]
        assert isinstance(metadata, Metadata)
        assert metadata_fields(metadata) == expected_metadata(case)
    assert outcome_of_events(decoded.events, error) == case.expected


# -- the checker itself --------------------------------------------------------------------------

META = Metadata(provider="p", model="m", requested_model="m")
CALL: list[Event] = [
    ToolCallDelta(0, "call_1", "f", '{"a"'),
    ToolCallDelta(0, None, None, ": 1}"),
    ToolCall(0, "call_1", "f", '{"a": 1}'),
]
GOOD: list[Event] = [META, TextDelta("hi"), *CALL, Usage(1, 2, 3), Finish("tool_calls", "x")]


def test_violations_accepts_a_response_that_keeps_the_contract() -> None:
    assert violations(GOOD, complete=True) == []
    assert violations(GOOD[:-2], complete=False) == []
    assert violations([], complete=False) == []


@pytest.mark.parametrize(
    ("events", "complete", "problem"),
    [
        ([], True, "no event"),
        ([TextDelta("hi"), META, Finish("stop")], True, "first event is TextDelta"),
        ([META, META, Finish("stop")], True, "2 Metadata"),
        ([META, TextDelta("hi")], True, "0 Finish"),
        ([META, Finish("stop"), Finish("stop")], True, "2 Finish"),
        ([META, Finish("stop"), TextDelta("late")], True, "events after Finish"),
        ([META, Finish("stop")], False, "Finish before a failure"),
        ([META, Finish("done")], True, "finish reason 'done'"),  # type: ignore[arg-type]
        ([META, Usage(1, 2), Usage(1, 2), Finish("stop")], True, "2 Usage"),
        (
            [
                META,
                ToolCallDelta(0, "call_1", "f", '{"a": 1'),
                ToolCall(0, "call_1", "f", '{"a": 1'),
            ],
            False,
            "not JSON",
        ),
        ([META, *CALL[:1], ToolCall(0, "call_1", "f", '{"a": 1}')], False, "fragments join"),
        ([META, ToolCall(0, "call_1", "f", "{}")], False, "fragments join to ''"),
        ([META, *CALL, ToolCall(0, "call_1", "f", '{"a": 1}')], False, "completed twice"),
        ([META, *CALL, ToolCallDelta(0, None, None, "")], False, "after its ToolCall"),
        ([META, *CALL[:2], ToolCall(0, "call_2", "f", '{"a": 1}')], False, "first fragment"),
        (
            [META, CALL[0], ToolCallDelta(0, "call_1", "f", ": 1}"), CALL[2]],
            False,
            "repeats the id",
        ),
    ],
)
def test_violations_flags_each_broken_rule(
    events: list[Event], complete: bool, problem: str
) -> None:
    found = violations(events, complete=complete)
    assert any(problem in message for message in found), found


def test_violations_flags_usage_after_finish() -> None:
    found = violations([META, Finish("stop"), Usage(1, 2)], complete=True)
    assert "Usage after Finish" in found


def test_pieces_cuts_a_body_into_events_or_lines() -> None:
    assert pieces(b"data: a\n\n: c\r\n\r\ndata: b\r\rdata: x", "sse") == [
        b"data: a\n\n",
        b": c\r\n\r\n",
        b"data: b\r\r",
        b"data: x",
    ]
    assert pieces(b'{"a":1}\n\r\n{"b":2}\n{"c"', "ndjson") == [
        b'{"a":1}\n',
        b"\r\n",
        b'{"b":2}\n',
        b'{"c"',
    ]
    assert pieces(b"data: a\r\ndata: b\r\n\r\n", "sse") == [b"data: a\r\ndata: b\r\n\r\n"]


# -- the table itself ----------------------------------------------------------------------------


def test_cases_name_existing_transcripts_once_per_scenario() -> None:
    for case in CASES:
        assert case.path.is_file(), case.path
    ids = Counter(case_id(case) for case in CASES)
    assert [name for name, count in ids.items() if count > 1] == []


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
def test_cases_cover_every_scenario_for_the_provider(api: Api) -> None:
    rows = [case for case in CASES if case.api is api]
    # where the API has refusals, where its served model can come late
    kinds = {case.kind for case in rows} - {"refusal", "served_model"}
    assert kinds == {
        "text",
        "reasoning",
        "tool_calls",
        "usage",
        "finish",
        "error",
        "truncated",
        "unknown",
    }
    finishes = {case.expected.finish[0] for case in rows if case.expected.finish is not None}
    assert {"stop", "length", "tool_calls"} <= finishes
    for case in rows:
        outcome = case.expected
        match case.kind:
            case "text":
                assert outcome.text
                assert outcome.finish is not None
                assert outcome.finish[0] == "stop"
            case "reasoning":
                assert outcome.reasoning
            case "refusal":
                assert outcome.refusal
                assert not outcome.text
            case "tool_calls":
                assert outcome.tool_calls
                assert outcome.finish is not None
                assert outcome.finish[0] == "tool_calls"
            case "error":
                assert outcome.error is not None
                assert issubclass(outcome.error, ProviderError)
            case "truncated":
                assert outcome.error is ProtocolError
            case "usage" | "finish" | "unknown" | "served_model":
                assert outcome.error is None
    assert any(len(case.expected.tool_calls) > 1 for case in rows), "no parallel tool calls"
    assert any(case.expected.usage is not None for case in rows if case.kind == "usage")
    assert any(case.expected.text for case in rows if case.kind == "error"), "no error after text"


# -- decoding the transcripts -------------------------------------------------------------------


@pytest.mark.parametrize("case", contract_params(CASES))
def test_decoder_keeps_the_contract_decoding_whole(case: Case) -> None:
    assert_conforms(case, decode(case, [case.wire]))


@pytest.mark.parametrize("case", contract_params(CASES))
def test_decoder_keeps_the_contract_one_byte_at_a_time(case: Case) -> None:
    assert_conforms(case, decode(case, one_byte_chunks(case.wire)))


@pytest.mark.parametrize("case", contract_params(CASES))
@given(data=st.data())
def test_decoder_keeps_the_contract_at_any_cuts(case: Case, data: st.DataObject) -> None:
    wire = case.wire
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=30), label="cuts")
    decoded = decode(case, chunked(wire, cuts))
    assert_conforms(case, decoded)
    whole = decode(case, [wire])
    assert decoded.events == whole.events
    assert type(decoded.error) is type(whole.error)


@pytest.mark.parametrize("case", [case for case in CASES if not case.fails], ids=case_id)
def test_decoder_is_done_at_the_terminal_event(case: Case) -> None:
    """A complete body leaves the decoder done; a format with a terminal event is done as soon
    as it is read (the stream need not wait for EOF), and ignores whatever follows it. A body
    without its terminal event that ended cleanly after its finish reason is done at the end,
    not before."""
    decoded = decode(case, [case.wire])
    assert decoded.done
    if case.complete_at_end:
        assert not decoded.done_before_end
    elif case.api.terminal_event:
        assert decoded.done_before_end
        decoder = case.api.decoder(provider=case.api.provider, requested_model=case.requested_model)
        decoder.feed(case.wire)
        assert decoder.feed(case.wire) == []
        assert decoder.end() == []


@pytest.mark.parametrize("case", [case for case in CASES if case.kind == "truncated"], ids=case_id)
def test_decoder_is_not_done_after_a_truncated_body(case: Case) -> None:
    decoded = decode(case, [case.wire])
    assert decoded.error is not None
    assert not decoded.done
    assert not decoded.done_before_end


def _failure_params() -> list[ParameterSet]:
    return [pytest.param(case, id=case_id(case)) for case in CASES if case.fails]


@pytest.mark.parametrize("case", _failure_params())
def test_decoder_error_carries_the_provider_name(case: Case) -> None:
    for chunks in ([case.wire], one_byte_chunks(case.wire)):
        decoded = decode(case, chunks)
        assert decoded.error is not None
        assert decoded.error.provider == case.api.provider


# -- an unknown event type whose data is not JSON -----------------------------------------------


def _sse_params() -> list[ParameterSet]:
    return [pytest.param(api, id=api.name) for api in APIS if api.framing == "sse"]


@pytest.mark.parametrize("api", _sse_params())
def test_decoder_skips_an_unknown_event_type_with_non_json_data(api: Api) -> None:
    """DESIGN rule 4 with the ``event: ping`` / ``data: ping`` event of Gemini's
    unknown_event_types transcript, spliced into each SSE provider's text transcript."""
    case = next(case for case in CASES if case.api is api and case.kind == "text")
    wire = case.wire
    newline = b"\r\n" if b"\r\n" in wire else b"\n"
    first_event_end = wire.index(newline * 2) + 2 * len(newline)
    unknown = b"event: ping" + newline + b"data: ping" + newline + newline
    spliced = wire[:first_event_end] + unknown + wire[first_event_end:]
    expected = decode(case, [wire])
    for chunks in ([spliced], one_byte_chunks(spliced)):
        decoded = decode(case, chunks)
        assert decoded.error is None, repr(decoded.error)
        assert decoded.events == expected.events


# -- docs/providers.md, "When a stream is complete" --------------------------------------------

DOCS: Final = Path(__file__).resolve().parents[2] / "docs" / "providers.md"
_FORMATS: Final = {
    "OpenAI chat": "openai_chat",
    "OpenAI Responses": "openai_responses",
    "Anthropic": "anthropic",
    "Gemini": "gemini",
    "Ollama": "ollama",
}


def _completeness_table() -> dict[str, dict[str, list[str]]]:
    """Per API name, the rows the docs' table names as complete and as truncated."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## When a stream is complete", 1)[1].split("\n## ", 1)[0]
    table: dict[str, dict[str, list[str]]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] not in _FORMATS:
            continue
        rows: dict[str, list[str]] = {}
        for part in cells[-1].split(";"):
            label, _, names = part.partition(":")
            rows[label.strip()] = re.findall(r"`([^`]+)`", names)
        table[_FORMATS[cells[0]]] = rows
    return table


def test_docs_completeness_table_names_the_rows_that_show_it() -> None:
    """The table users read is checked against the rows that prove it, both ways: each row
    it names gives the stated outcome, and every truncated row and every row complete only at
    the end of its body is named, so the table cannot drift."""
    table = _completeness_table()
    assert set(table) == {api.name for api in APIS}
    by_id = {case_id(case): case for case in CASES}
    named: set[str] = set()
    for api_name, rows in table.items():
        assert set(rows) == {"complete", "truncated"}, api_name
        for name in rows["complete"]:
            case = by_id[name]
            assert case.api.name == api_name
            assert not case.fails, name
        for name in rows["truncated"]:
            case = by_id[name]
            assert case.api.name == api_name
            assert case.kind == "truncated", name
        named.update(rows["complete"] + rows["truncated"])
    must = {case_id(c) for c in CASES if c.kind == "truncated" or c.complete_at_end}
    assert must - named == set()
