"""The rules every decoder keeps, tested once over every (API, transcript) pair: a recorded
body gives exactly its expected events whatever the chunking; a failing one delivers the
same events before the same error whatever the chunking; a size cap's outcome does not
depend on the chunking either; and arbitrary bytes raise nothing but `ProtocolError`.

The transcripts and what they must give are written out in each API's own test module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventide import ProtocolError
from tests.conformance.cases import APIS, Api
from tests.contract import assert_keeps_contract
from tests.strategies import chunked, sseish_bytes
from tests.wire import (
    test_anthropic,
    test_gemini,
    test_ollama,
    test_openai_chat,
    test_openai_responses,
)
from tests.wire.harness import (
    DATA,
    decode_garbage,
    drive,
    feed_all,
    feed_until_failure,
    one_byte_chunks,
    outcome,
)

if TYPE_CHECKING:
    from types import ModuleType

    from tests.wire.harness import Transcript

MODULES = (test_openai_chat, test_openai_responses, test_anthropic, test_gemini, test_ollama)
TRANSCRIPTS = [t for module in MODULES for t in module.TRANSCRIPTS]
FAILING = [t for module in MODULES for t in module.FAILING_TRANSCRIPTS]
EVERYTHING = {f"{t.api.name}/{t.name}": t for t in TRANSCRIPTS + FAILING}


def _id(transcript: Transcript) -> str:
    return f"{transcript.api.name}/{transcript.name}"


def _check_end_state(decoder: object, transcript: Transcript) -> None:
    assert getattr(decoder, "done", None) is True
    if transcript.signatures:
        assert getattr(decoder, "signatures", None) == transcript.signatures


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
def test_decoder_transcripts_are_all_used(api: Api) -> None:
    """Every body under tests/data/<api>/ has its expectations in the API's test module."""
    on_disk = {path.stem for path in (DATA / api.name).glob(f"*.{api.extension}")}
    assert on_disk == {t.name for t in TRANSCRIPTS + FAILING if t.api is api}


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=_id)
def test_decoder_decodes_transcript_whole(transcript: Transcript) -> None:
    decoder = transcript.decoder()
    events = decoder.feed(transcript.wire)
    if not transcript.api.terminal_event:
        assert not decoder.done, "the stream ends at EOF: done only in end()"
    events.extend(decoder.end())
    assert events == transcript.expected
    _check_end_state(decoder, transcript)
    assert_keeps_contract(events)  # Metadata first and once, Finish last, calls whole


def _check_outcome(transcript: Transcript, chunks: list[bytes]) -> None:
    """The same events, then the same error (if any), as from the body in one piece."""
    decoder = transcript.decoder()
    events, error = drive(decoder, chunks)
    assert (events, type(error) if error else None) == (transcript.expected, transcript.error)
    if error is None:
        _check_end_state(decoder, transcript)


@pytest.mark.parametrize("transcript", TRANSCRIPTS + FAILING, ids=_id)
def test_decoder_decodes_transcript_one_byte_at_a_time(transcript: Transcript) -> None:
    _check_outcome(transcript, one_byte_chunks(transcript.wire))


@pytest.mark.parametrize("transcript", TRANSCRIPTS + FAILING, ids=_id)
@given(data=st.data())
def test_decoder_ignores_chunk_boundaries_in_transcripts(
    transcript: Transcript, data: st.DataObject
) -> None:
    wire = transcript.wire
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=30), label="cuts")
    _check_outcome(transcript, chunked(wire, cuts))


@pytest.mark.parametrize("transcript", FAILING, ids=_id)
def test_decoder_fails_transcript_whole_after_delivering_earlier_events(
    transcript: Transcript,
) -> None:
    assert transcript.error is not None
    events, error = feed_until_failure(transcript.decoder(), [transcript.wire])
    assert type(error) is transcript.error
    assert error.provider == (transcript.provider or transcript.api.provider)
    assert events == transcript.expected
    assert_keeps_contract(events, complete=False)


@pytest.mark.parametrize("transcript", [t for t in TRANSCRIPTS if t.extra], ids=_id)
def test_decoder_does_not_mutate_callers_extra(transcript: Transcript) -> None:
    extra = dict(transcript.extra or {})
    decoder = attrs.evolve(transcript, extra=extra).decoder()
    assert feed_all(decoder, [transcript.wire]) == transcript.expected
    assert extra == transcript.extra


@pytest.mark.parametrize(
    "module", [m for m in MODULES if hasattr(m, "AFTER_THE_END")], ids=lambda m: m.__name__
)
def test_decoder_ignores_bytes_after_the_terminal_event(module: ModuleType) -> None:
    """The terminal event ends the response (DESIGN rule 2): whatever follows, even bytes
    that would be a fault, is not read."""
    name, trailer = module.AFTER_THE_END
    transcript = next(t for t in module.TRANSCRIPTS if t.name == name)
    assert feed_all(transcript.decoder(), [transcript.wire + trailer]) == transcript.expected
    decoder = transcript.decoder()
    assert decoder.feed(transcript.wire) == transcript.expected
    assert decoder.done
    assert decoder.feed(trailer) == []
    assert decoder.end() == []


TRUNCATED = [
    pytest.param(t, module.TRUNCATED[t.name], id=_id(t))
    for module in MODULES
    for t in module.FAILING_TRANSCRIPTS
    if t.name in module.TRUNCATED
]


@pytest.mark.parametrize(("transcript", "says"), TRUNCATED)
def test_decoder_end_reports_truncation(transcript: Transcript, says: str) -> None:
    """A body cut before its terminal event is an error from end(), even after a finish
    reason: a truncated answer is not a short one."""
    decoder = transcript.decoder()
    decoder.feed(transcript.wire)
    assert not decoder.done
    with pytest.raises(ProtocolError, match=says) as info:
        decoder.end()
    assert info.value.provider == (transcript.provider or transcript.api.provider)
    assert info.value.offset == len(transcript.wire)
    assert info.value.retryable
    assert not decoder.done


@given(data=st.data())
def test_decoder_outcome_under_a_size_cap_ignores_chunk_boundaries(data: st.DataObject) -> None:
    transcript = EVERYTHING[data.draw(st.sampled_from(sorted(EVERYTHING)), label="transcript")]
    cap = data.draw(st.integers(1, 800), label="max_event_bytes")
    wire = transcript.wire
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=30), label="cuts")
    whole = outcome(transcript.capped(cap), [wire])
    assert outcome(transcript.capped(cap), chunked(wire, cuts)) == whole
    assert outcome(transcript.capped(cap), one_byte_chunks(wire)) == whole


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
@given(wire=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 2000), max_size=10))
def test_decoder_raises_only_protocol_error_on_arbitrary_bytes(
    api: Api, wire: bytes, cuts: list[int]
) -> None:
    decoder = api.decoder(provider="fuzz", requested_model="m")
    assert_keeps_contract(decode_garbage(decoder, chunked(wire, cuts)), complete=None)


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__.split(".")[-1])
@given(data=st.data())
def test_decoder_raises_only_protocol_error_on_bytes_like_its_stream(
    module: ModuleType, data: st.DataObject
) -> None:
    """Garbage made of the API's own pieces (and, for SSE, of SSE-like lines)."""
    api: Api = module.TRANSCRIPTS[0].api
    pieces = st.lists(
        st.one_of(st.binary(max_size=12), st.sampled_from(module.SPRINKLES)), max_size=40
    )
    like = pieces.map(b"".join)
    wire = data.draw(like if api.framing == "ndjson" else st.one_of(sseish_bytes(), like))
    cuts = data.draw(st.lists(st.integers(0, 800), max_size=10))
    decoder = api.decoder(provider="fuzz", requested_model="m")
    assert_keeps_contract(decode_garbage(decoder, chunked(wire, cuts)), complete=None)
