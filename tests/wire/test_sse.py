"""Tests for `eventide.wire._sse`: one test per rule of WHATWG HTML 9.2.6 "Interpreting an
event stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html
#event-stream-interpretation, read 2026-12), then properties over generated streams.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide._errors import ProtocolError
from eventide.wire import SSEDecoder, SSEMessage
from eventide.wire._sse import MAX_RETRY
from tests.strategies import chunked, sse_streams, sseish_bytes

if TYPE_CHECKING:
    from collections.abc import Iterable

BOM = b"\xef\xbb\xbf"


def decode(*chunks: bytes, max_event_bytes: int | None = None) -> list[SSEMessage]:
    """Feed `chunks` to a fresh decoder, then end it; return every message."""
    decoder = (
        SSEDecoder() if max_event_bytes is None else SSEDecoder(max_event_bytes=max_event_bytes)
    )
    return feed_all(decoder, chunks)


def feed_all(decoder: SSEDecoder, chunks: Iterable[bytes]) -> list[SSEMessage]:
    """Feed `chunks` to `decoder`, then end it; return every message."""
    out = feed_each(decoder, chunks)
    out.extend(decoder.end())
    return out


def feed_each(decoder: SSEDecoder, chunks: Iterable[bytes]) -> list[SSEMessage]:
    """Feed `chunks` to `decoder` without ending it; return every message."""
    out: list[SSEMessage] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


def decode_or_error(
    decoder: SSEDecoder, chunks: Iterable[bytes]
) -> list[SSEMessage] | ProtocolError:
    """Like `feed_all`, but return a ProtocolError instead of raising it (nothing else)."""
    try:
        return feed_all(decoder, chunks)
    except ProtocolError as error:
        return error


def one_byte_chunks(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


# -- line endings --------------------------------------------------------------------------


def test_sse_decoder_splits_lines_on_lf() -> None:
    assert decode(b"data: a\ndata: b\n\ndata: c\n\n") == [SSEMessage("a\nb"), SSEMessage("c")]


def test_sse_decoder_splits_lines_on_cr() -> None:
    assert decode(b"data: a\rdata: b\r\rdata: c\r\r") == [SSEMessage("a\nb"), SSEMessage("c")]


def test_sse_decoder_splits_lines_on_crlf() -> None:
    assert decode(b"data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n") == [
        SSEMessage("a\nb"),
        SSEMessage("c"),
    ]


def test_sse_decoder_splits_lines_on_mixed_endings() -> None:
    assert decode(b"data: a\rdata: b\r\ndata: c\n\r\n") == [SSEMessage("a\nb\nc")]


def test_sse_decoder_joins_crlf_split_across_chunks() -> None:
    # The LF starting the second chunk ends the same line as the CR: it is not a blank line.
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [SSEMessage("a\nb")]


def test_sse_decoder_joins_crlf_split_by_empty_chunk() -> None:
    assert decode(b"data: a\r", b"", b"\ndata: b\r\n\r\n") == [SSEMessage("a\nb")]


def test_sse_decoder_reads_cr_at_chunk_end_then_cr_as_blank_line() -> None:
    assert decode(b"data: a\r", b"\rdata: b\r\r") == [SSEMessage("a"), SSEMessage("b")]


def test_sse_decoder_reads_lf_after_crlf_as_blank_line() -> None:
    assert decode(b"data: a\r\n", b"\ndata: b\n\n") == [SSEMessage("a"), SSEMessage("b")]


# -- byte order mark -----------------------------------------------------------------------


def test_sse_decoder_strips_leading_bom() -> None:
    assert decode(BOM + b"data: x\n\n") == [SSEMessage("x")]


def test_sse_decoder_strips_leading_bom_split_across_one_byte_chunks() -> None:
    assert decode(*one_byte_chunks(BOM + b"data: x\n\n")) == [SSEMessage("x")]


def test_sse_decoder_strips_leading_bom_fed_alone() -> None:
    assert decode(BOM, b"data: x\n\n") == [SSEMessage("x")]


def test_sse_decoder_keeps_second_bom() -> None:
    # Only one BOM is stripped; the second makes the first field name "\ufeffdata", unknown.
    assert decode(BOM + BOM + b"data: x\n\ndata: y\n\n") == [SSEMessage("y")]


def test_sse_decoder_keeps_bom_not_at_start() -> None:
    assert decode(b"data: " + BOM + b"x\n\n") == [SSEMessage("\ufeffx")]
    assert decode(b"data: a\n\n" + BOM + b"data: b\n\n") == [SSEMessage("a")]


def test_sse_decoder_keeps_partial_bom() -> None:
    # "\xef\xbb" is not a BOM: it decodes to U+FFFD and spoils the first field name.
    assert decode(b"\xef", b"\xbbdata: x\n\ndata: y\n\n") == [SSEMessage("y")]
    assert decode(b"\xef\xbb\n\ndata: y\n\n") == [SSEMessage("y")]


# -- comments and fields -------------------------------------------------------------------


def test_sse_decoder_ignores_comment_lines() -> None:
    stream = b": OPENROUTER PROCESSING\n\ndata: a\n: keep-alive\ndata: b\n:\n\n"
    assert decode(stream) == [SSEMessage("a\nb")]


def test_sse_decoder_joins_data_lines_with_lf() -> None:
    assert decode(b"data: a\ndata:\ndata: c\n\n") == [SSEMessage("a\n\nc")]


def test_sse_decoder_reads_data_without_colon_as_empty_line() -> None:
    assert decode(b"data\ndata: x\n\n") == [SSEMessage("\nx")]
    assert decode(b"data\n\n") == [SSEMessage("")]


def test_sse_decoder_reads_event_without_colon_as_reset_type() -> None:
    assert decode(b"event: foo\nevent\ndata: x\n\n") == [SSEMessage("x", event="message")]


def test_sse_decoder_reads_id_without_colon_as_reset_id() -> None:
    assert decode(b"id: 7\ndata: a\n\nid\ndata: b\n\n") == [
        SSEMessage("a", id="7"),
        SSEMessage("b", id=""),
    ]


def test_sse_decoder_removes_exactly_one_space_after_colon() -> None:
    assert decode(b"data:x\n\n") == [SSEMessage("x")]
    assert decode(b"data: x\n\n") == [SSEMessage("x")]
    assert decode(b"data:  x \n\n") == [SSEMessage(" x ")]
    assert decode(b"data:\tx\n\n") == [SSEMessage("\tx")]
    assert decode(b"event:  t\nid:  1\ndata\n\n") == [SSEMessage("", event=" t", id=" 1")]


def test_sse_decoder_splits_field_at_first_colon() -> None:
    assert decode(b"data: a: b:c\n\n") == [SSEMessage("a: b:c")]


def test_sse_decoder_ignores_unknown_fields() -> None:
    stream = b"foo: bar\nData: no\nevents: no\n data: no\ndata : no\nretries: 5\ndata: x\n\n"
    assert decode(stream) == [SSEMessage("x")]


# -- id ------------------------------------------------------------------------------------


def test_sse_decoder_ignores_id_containing_nul() -> None:
    decoder = SSEDecoder()
    messages = feed_all(decoder, [b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"])
    assert messages == [SSEMessage("a", id="1"), SSEMessage("b", id="1")]
    assert decoder.last_event_id == "1"


def test_sse_decoder_keeps_id_across_events() -> None:
    decoder = SSEDecoder()
    messages = decoder.feed(b"id: 42\ndata: a\n\ndata: b\n\n")
    assert messages == [SSEMessage("a", id="42"), SSEMessage("b", id="42")]
    assert decoder.last_event_id == "42"


def test_sse_decoder_resets_id_on_empty_value() -> None:
    decoder = SSEDecoder()
    messages = decoder.feed(b"id: 42\ndata: a\n\nid:\ndata: b\n\n")
    assert messages == [SSEMessage("a", id="42"), SSEMessage("b", id="")]
    assert decoder.last_event_id == ""


def test_sse_decoder_sets_id_from_event_without_data() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 5\n\ndata: a\n\n") == [SSEMessage("a", id="5")]
    assert decoder.last_event_id == "5"


# "Dispatch the event", step 1: the last event ID buffer becomes the event source's last
# event ID at the blank line, before step 2 drops an event without data; an event the stream
# never finished is discarded whole (WHATWG HTML 9.2.6, read 2026-12).


def test_sse_decoder_sets_last_event_id_at_blank_line_of_event_without_data() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 5\n") == []
    assert decoder.last_event_id == ""
    assert decoder.feed(b"\n") == []  # nothing dispatched, but step 1 ran
    assert decoder.last_event_id == "5"


def test_sse_decoder_sets_last_event_id_only_at_dispatch() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\n") == [SSEMessage("a", id="1")]
    assert decoder.last_event_id == "1"  # event 2 has not ended yet
    assert decoder.feed(b"\n") == [SSEMessage("b", id="2")]
    assert decoder.last_event_id == "2"


def test_sse_decoder_ignores_id_of_event_discarded_at_end() -> None:
    decoder = SSEDecoder()
    messages = feed_all(decoder, [b"id: 1\ndata: a\n\nid: 2\ndata: b\n"])
    assert messages == [SSEMessage("a", id="1")]
    assert decoder.last_event_id == "1"


def test_sse_decoder_ignores_id_only_event_discarded_at_end() -> None:
    decoder = SSEDecoder()
    assert feed_all(decoder, [b"data: a\n\nid: 9\n"]) == [SSEMessage("a")]
    assert decoder.last_event_id == ""


def test_sse_decoder_dispatches_last_id_of_event_with_several() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 3\ndata: a\nid: 4\n\n") == [SSEMessage("a", id="4")]
    assert decoder.last_event_id == "4"


def test_sse_decoder_resets_last_event_id_from_event_without_value_or_data() -> None:
    # An event that only resets the buffer ("id" with no value) and ends sets the last
    # event ID to "": the events after it carry none.
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 7\ndata: a\n\nid\n\ndata: b\n\n") == [
        SSEMessage("a", id="7"),
        SSEMessage("b", id=""),
    ]
    assert decoder.last_event_id == ""


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"id: 1\ndata: a\n\nid: 2\ndata: b", "1"),
        (b"id: 1\ndata: a\n\nid: 2\n\nid: 3\r\ndata: c\r\n", "2"),
        (b"id: 1\r\n\r\nid: 2\rdata: b\r\r", "2"),
    ],
)
def test_sse_decoder_last_event_id_ignores_chunk_boundaries(stream: bytes, expected: str) -> None:
    for cut in range(len(stream) + 1):
        decoder = SSEDecoder()
        feed_all(decoder, [stream[:cut], stream[cut:]])
        assert decoder.last_event_id == expected
    decoder = SSEDecoder()
    feed_all(decoder, one_byte_chunks(stream))
    assert decoder.last_event_id == expected


# -- retry ---------------------------------------------------------------------------------


def test_sse_decoder_sets_retry_from_ascii_digits() -> None:
    decoder = SSEDecoder()
    assert decoder.retry is None
    messages = decoder.feed(b"retry: 3000\ndata: a\n\ndata: b\n\nretry:0042\ndata: c\n\n")
    assert messages == [
        SSEMessage("a", retry=3000),
        SSEMessage("b", retry=3000),
        SSEMessage("c", retry=42),
    ]
    assert decoder.retry == 42


@pytest.mark.parametrize(
    "value",
    [
        b"1a",
        b"-1",
        b"+1",
        b" 5",
        b"5 ",
        b"1.5",
        b"0x10",
        b"",
        "\u0661\u0662".encode(),  # Arabic-Indic "12": digits, but not ASCII
        "\uff11".encode(),  # FULLWIDTH DIGIT ONE
        "\u00b2".encode(),  # SUPERSCRIPT TWO: str.isdigit() is True for it
    ],
)
def test_sse_decoder_ignores_retry_not_all_ascii_digits(value: bytes) -> None:
    decoder = SSEDecoder()
    messages = decoder.feed(b"retry: 1000\n\nretry: " + value + b"\ndata: x\n\n")
    assert messages == [SSEMessage("x", retry=1000)]
    assert decoder.retry == 1000


def test_sse_decoder_clamps_retry_with_many_digits() -> None:
    """All ASCII digits is a valid retry however long: clamped, never a ValueError.

    (Python refuses ``int()`` of strings over 4300 digits by default.)
    """
    decoder = SSEDecoder()
    messages = decoder.feed(b"retry: " + b"1" * 5000 + b"\ndata: x\n\n")
    assert messages == [SSEMessage("x", retry=MAX_RETRY)]
    assert decoder.retry == MAX_RETRY


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"9" * 18, 10**18 - 1),
        (b"1" + b"0" * 17, 10**17),
        (b"1" + b"0" * 18, MAX_RETRY),
        (b"0" * 30 + b"7", 7),  # leading zeros do not make a number large
        (b"0" * 5000, 0),
    ],
    ids=["18-digits", "10**17", "10**18", "leading-zeros", "5000-zeros"],
)
def test_sse_decoder_reads_retry_value_not_digit_count(value: bytes, expected: int) -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: " + value + b"\ndata: x\n\n") == [SSEMessage("x", retry=expected)]
    assert decoder.retry == expected


# -- dispatch ------------------------------------------------------------------------------


def test_sse_decoder_does_not_dispatch_empty_data_buffer() -> None:
    assert decode(b"event: ping\n\n") == []
    assert decode(b"event: ping\nid: 1\nretry: 5\n: comment\n\n\n\n") == []


def test_sse_decoder_dispatches_empty_data_value() -> None:
    assert decode(b"data:\n\n") == [SSEMessage("")]
    assert decode(b"data: \n\n") == [SSEMessage("")]


@pytest.mark.parametrize("tail", [b"data: x\n", b"data: x", b"data: a\ndata: b\r", b"event: e\n"])
def test_sse_decoder_end_discards_event_without_blank_line(tail: bytes) -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: first\n\n" + tail) == [SSEMessage("first")]
    assert decoder.pending is True
    assert decoder.end() == []
    assert decoder.pending is False


def test_sse_decoder_is_not_pending_between_events() -> None:
    decoder = SSEDecoder()
    assert decoder.pending is False
    assert decoder.feed(b"data: a\n\n") == [SSEMessage("a")]
    assert decoder.pending is False


def test_sse_decoder_resets_event_type_after_dispatch() -> None:
    assert decode(b"event: delta\ndata: a\n\ndata: b\n\n") == [
        SSEMessage("a", event="delta"),
        SSEMessage("b", event="message"),
    ]


def test_sse_decoder_resets_event_type_on_blank_line_without_data() -> None:
    assert decode(b"event: delta\n\ndata: b\n\n") == [SSEMessage("b", event="message")]


# -- decoding ------------------------------------------------------------------------------


def test_sse_decoder_replaces_invalid_utf8() -> None:
    assert decode(b"event: e\xff\nid: \xc3\ndata: a\xffb\xe2\x82\n\n") == [
        SSEMessage("a\ufffdb\ufffd", event="e\ufffd", id="\ufffd")
    ]


def test_sse_decoder_decodes_multibyte_character_split_across_chunks() -> None:
    text = "é€😀"
    stream = b"data: " + text.encode() + b"\n\n"
    assert decode(*one_byte_chunks(stream)) == [SSEMessage(text)]
    assert decode(stream[:8], stream[8:12], stream[12:]) == [SSEMessage(text)]


@pytest.mark.parametrize(
    "separator",
    ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"],
    ids=["LINE-SEPARATOR", "PARAGRAPH-SEPARATOR", "NEL", "VT", "FF", "FS", "GS", "RS"],
)
def test_sse_decoder_keeps_unicode_line_breaks_in_data(separator: str) -> None:
    # str.splitlines() breaks on these; SSE breaks only on CR, LF and CRLF.
    data = '{"text": "a' + separator + 'b"}'
    assert decode(b"data: " + data.encode() + b"\n\n") == [SSEMessage(data)]


# -- the buffer cap ------------------------------------------------------------------------


def test_sse_decoder_rejects_long_unterminated_line_in_small_pieces() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    assert decoder.feed(b"data: ") == []
    with pytest.raises(ProtocolError) as info:
        feed_each(decoder, [b"x" * 7] * 100)
    assert info.value.offset == decoder.bytes_fed
    assert decoder.bytes_fed <= 6 + 7 * 15  # raised as soon as the cap was passed


def test_sse_decoder_rejects_long_line_in_one_chunk() -> None:
    with pytest.raises(ProtocolError):
        decode(b"data: " + b"x" * 101 + b"\n\n", max_event_bytes=100)


def test_sse_decoder_rejects_many_data_lines_in_one_event() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(ProtocolError):
        feed_each(decoder, [b"data: xxxxx\n"] * 100)
    # raised by the line whose data took the event past 100 bytes (the 21st), not later
    assert decoder.bytes_fed <= 12 * 21


def test_sse_decoder_rejects_many_empty_data_lines_in_one_event() -> None:
    """Empty data lines still grow the data buffer by one LF each, so they count too."""
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(ProtocolError):
        feed_each(decoder, [b"data:\n"] * 1000)


def test_sse_decoder_accepts_stream_within_cap() -> None:
    event = b"data: " + b"x" * 40 + b"\n" + b"data: " + b"y" * 40 + b"\n\n"
    stream = event * 100  # far more than the cap in total, but each event fits
    messages = decode(*chunked(stream, list(range(0, len(stream), 7))), max_event_bytes=100)
    assert messages == [SSEMessage("x" * 40 + "\n" + "y" * 40)] * 100


@pytest.mark.parametrize("max_event_bytes", [0, -1])
def test_sse_decoder_rejects_non_positive_max_event_bytes(max_event_bytes: int) -> None:
    with pytest.raises(ValueError, match="max_event_bytes"):
        SSEDecoder(max_event_bytes=max_event_bytes)


def test_sse_decoder_counts_bytes_fed() -> None:
    decoder = SSEDecoder()
    assert decoder.bytes_fed == 0
    decoder.feed(BOM[:1])
    assert decoder.bytes_fed == 1
    decoder.feed(BOM[1:] + b"data: x\r")
    assert decoder.bytes_fed == 3 + 8
    decoder.feed(b"")
    assert decoder.bytes_fed == 11
    decoder.feed(b"\n\n")
    assert decoder.bytes_fed == 13
    decoder.end()
    assert decoder.bytes_fed == 13


def test_sse_message_defaults() -> None:
    message = SSEMessage("x")
    assert (message.data, message.event, message.id, message.retry) == ("x", "message", "", None)


# -- the test helpers ----------------------------------------------------------------------


@given(st.binary(max_size=50), st.lists(st.integers(-5, 60)))
def test_chunked_splits_at_cuts(data: bytes, cuts: list[int]) -> None:
    pieces = chunked(data, cuts)
    assert b"".join(pieces) == data
    assert all(pieces)
    positions = {min(max(cut, 0), len(data)) for cut in cuts} - {0, len(data)}
    assert len(pieces) == (len(positions) + 1 if data else 0)


def test_chunked_example() -> None:
    assert chunked(b"abcdef", [4, 2, 2, -1, 99]) == [b"ab", b"cd", b"ef"]


# -- properties ----------------------------------------------------------------------------


@given(sse_streams())
def test_sse_decoder_round_trips_encoded_events(stream: tuple[bytes, list[SSEMessage]]) -> None:
    wire, expected = stream
    assert decode(wire) == expected


@given(st.data())
def test_sse_decoder_ignores_chunk_boundaries(data: st.DataObject) -> None:
    wire, _ = data.draw(sse_streams())
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=20))
    assert decode(*chunked(wire, cuts)) == decode(wire)


@given(sse_streams())
def test_sse_decoder_ignores_one_byte_chunks(stream: tuple[bytes, list[SSEMessage]]) -> None:
    wire, _ = stream
    assert decode(*one_byte_chunks(wire)) == decode(wire)


@given(sse_streams())
def test_sse_decoder_ignores_empty_chunks(stream: tuple[bytes, list[SSEMessage]]) -> None:
    wire, _ = stream
    pieces = [piece for byte in one_byte_chunks(wire) for piece in (b"", byte)] + [b""]
    assert decode(*pieces) == decode(wire)


@given(sseish_bytes(), st.lists(st.integers(0, 200), max_size=20))
@example(b"data: a\r" + BOM + b"\n\n", [8])
@example(b"\xef\xbb\r\n\r\n", [1, 2, 3])
@example(b"data: a\r\r\n\n", [8, 9])
def test_sse_decoder_ignores_chunk_boundaries_in_arbitrary_bytes(
    wire: bytes, cuts: list[int]
) -> None:
    assert decode(*chunked(wire, cuts)) == decode(wire)
    assert decode(*one_byte_chunks(wire)) == decode(wire)


@given(st.binary() | sseish_bytes(), st.lists(st.integers(0, 200), max_size=20))
def test_sse_decoder_raises_only_protocol_error_on_garbage(wire: bytes, cuts: list[int]) -> None:
    decoder = SSEDecoder()
    result = decode_or_error(decoder, chunked(wire, cuts))
    if not isinstance(result, ProtocolError):
        assert all(isinstance(message.data, str) for message in result)
        assert decoder.bytes_fed == len(wire)
        assert decoder.pending is False


@given(
    st.binary() | sseish_bytes(),
    st.lists(st.integers(0, 200), max_size=20),
    st.integers(1, 16),
)
def test_sse_decoder_raises_only_protocol_error_on_garbage_with_small_cap(
    wire: bytes, cuts: list[int], max_event_bytes: int
) -> None:
    decoder = SSEDecoder(max_event_bytes=max_event_bytes)
    result = decode_or_error(decoder, chunked(wire, cuts))
    if isinstance(result, ProtocolError):
        assert result.offset is not None
        assert 0 < result.offset <= len(wire)
    else:
        assert all(isinstance(message.data, str) for message in result)
        assert decoder.bytes_fed == len(wire)


@given(
    sseish_bytes(),
    st.lists(st.integers(0, 200), max_size=20),
    st.integers(1, 16),
)
@example(b": " + b"x" * 20 + b"\n", [5], 10)  # a long comment line, whole or cut
@example(b"data: " + b"x" * 20 + b"\n\n", [3, 9], 10)
def test_sse_decoder_cap_ignores_chunk_boundaries(
    wire: bytes, cuts: list[int], max_event_bytes: int
) -> None:
    """Whether the cap is hit, and the messages when it is not, do not depend on chunking."""

    def outcome(chunks: list[bytes]) -> list[SSEMessage] | str:
        result = decode_or_error(SSEDecoder(max_event_bytes=max_event_bytes), chunks)
        return "ProtocolError" if isinstance(result, ProtocolError) else result

    assert outcome(chunked(wire, cuts)) == outcome([wire])
    assert outcome(one_byte_chunks(wire)) == outcome([wire])
