"""Tests for `eventide.wire._ndjson`: newline-delimited JSON framing, one test per rule, then
properties over generated bodies (chunk independence, the size cap, garbage in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide import ProtocolError
from eventide.wire._ndjson import DEFAULT_MAX_LINE_BYTES, NDJSONDecoder
from tests.strategies import chunked
from tests.wire.harness import drive

if TYPE_CHECKING:
    from collections.abc import Iterable


def feed_all(decoder: NDJSONDecoder, chunks: Iterable[bytes]) -> list[str]:
    """Feed `chunks` to `decoder`, then end it; return every line."""
    out: list[str] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.end())
    return out


def decode(*chunks: bytes, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> list[str]:
    return feed_all(NDJSONDecoder(max_line_bytes=max_line_bytes), chunks)


def one_byte_chunks(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def outcome(decoder: NDJSONDecoder, chunks: Iterable[bytes]) -> tuple[list[str], bool]:
    """The lines delivered before any failure, and whether it failed."""
    lines, error = drive(decoder, chunks)
    return lines, error is not None


# -- line endings and blank lines ----------------------------------------------------------


def test_ndjson_decoder_splits_lines_on_lf() -> None:
    assert decode(b'{"a":1}\n{"b":2}\n') == ['{"a":1}', '{"b":2}']


def test_ndjson_decoder_splits_lines_on_crlf() -> None:
    assert decode(b'{"a":1}\r\n{"b":2}\r\n') == ['{"a":1}', '{"b":2}']


def test_ndjson_decoder_joins_crlf_split_across_chunks() -> None:
    assert decode(b'{"a":1}\r', b'\n{"b":2}\r', b"\n") == ['{"a":1}', '{"b":2}']


def test_ndjson_decoder_keeps_a_cr_that_is_not_before_lf() -> None:
    """A bare CR is no line break in NDJSON (JSON reads it as whitespace)."""
    assert decode(b'{"a":\r1}\n') == ['{"a":\r1}']
    assert decode(b'{"a":1}\r\r\n') == ['{"a":1}\r']


def test_ndjson_decoder_does_not_split_on_unicode_line_separators() -> None:
    """U+2028, U+2029 and U+0085 are line breaks to str.splitlines(), not to NDJSON."""
    line = '{"t":"a\u2028b\u2029c\x85d"}'
    assert decode(line.encode() + b"\n") == [line]


def test_ndjson_decoder_skips_blank_lines() -> None:
    assert decode(b'\n\r\n  \t\n{"a":1}\n\n \r\n{"b":2}\n\t\n') == ['{"a":1}', '{"b":2}']


def test_ndjson_decoder_keeps_surrounding_spaces_of_a_line() -> None:
    assert decode(b'  {"a":1} \n') == ['  {"a":1} ']


def test_ndjson_decoder_end_returns_an_unterminated_last_line() -> None:
    assert decode(b'{"a":1}\n{"b":2}') == ['{"a":1}', '{"b":2}']
    assert decode(b'{"a":1}\n{"b":2}\r') == ['{"a":1}', '{"b":2}']


def test_ndjson_decoder_end_drops_a_blank_last_line() -> None:
    assert decode(b'{"a":1}\n  \t') == ['{"a":1}']
    assert decode(b"\r") == []
    assert decode() == []


def test_ndjson_decoder_end_resets_the_buffer() -> None:
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a":') == []
    assert [decoder.pending, decoder.end(), decoder.pending] == [True, ['{"a":'], False]
    assert decoder.end() == []


def test_ndjson_decoder_holds_an_unterminated_line_until_its_lf() -> None:
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a"') == []
    assert decoder.feed(b":1}") == []
    assert decoder.feed(b'\n{"b"') == ['{"a":1}']
    assert decoder.bytes_fed == 12


# -- UTF-8 ----------------------------------------------------------------------------------


def test_ndjson_decoder_decodes_a_character_split_across_chunks() -> None:
    wire = '{"t":"\u00e9\u2014\U0001f44b"}\n'.encode()
    assert feed_all(NDJSONDecoder(), one_byte_chunks(wire)) == ['{"t":"\u00e9\u2014\U0001f44b"}']


def test_ndjson_decoder_replaces_invalid_utf8() -> None:
    assert decode(b'{"t":"\xff\xc3"}\n') == ['{"t":"\ufffd\ufffd"}']


# -- the size cap ---------------------------------------------------------------------------


def test_ndjson_decoder_rejects_a_line_over_max_line_bytes() -> None:
    with pytest.raises(ProtocolError, match="longer than 8 bytes") as info:
        decode(b"123456789\n", max_line_bytes=8)
    assert info.value.excerpt == "123456789"


def test_ndjson_decoder_rejects_an_unterminated_line_over_max_line_bytes() -> None:
    """A line without its LF may not grow past the cap either: the buffer stays bounded."""
    decoder = NDJSONDecoder(max_line_bytes=8)
    assert decoder.feed(b"12345678") == []
    with pytest.raises(ProtocolError):
        decoder.feed(b"9")
    assert not decoder.pending


def test_ndjson_decoder_accepts_a_line_of_exactly_max_line_bytes() -> None:
    """The line ending is not counted, CRLF or LF, however the bytes were cut."""
    for wire in (b"12345678\n", b"12345678\r\n", b"12345678\r"):
        assert decode(wire, max_line_bytes=8) == ["12345678"]
        assert feed_all(NDJSONDecoder(max_line_bytes=8), one_byte_chunks(wire)) == ["12345678"]


def test_ndjson_decoder_keeps_lines_before_an_oversized_line() -> None:
    decoder = NDJSONDecoder(max_line_bytes=8)
    assert decoder.feed(b"a\nb\n" + b"x" * 20 + b"\nc\n") == ["a", "b"]
    assert decoder.failed
    with pytest.raises(ProtocolError):
        decoder.end()


def test_ndjson_decoder_rejects_a_non_positive_cap() -> None:
    with pytest.raises(ValueError, match="positive"):
        NDJSONDecoder(max_line_bytes=0)


# -- properties -----------------------------------------------------------------------------

_LINE_TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_characters="\n"),
        st.sampled_from("\r\u2028\u2029\x85 \t"),
    ),
    max_size=20,
)


@st.composite
def ndjson_bodies(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A body with random line endings and blank lines, and the lines a decoder must give."""
    out = bytearray()
    expected: list[str] = []
    lines = draw(st.lists(_LINE_TEXT, max_size=8))
    for number, line in enumerate(lines):
        raw = line.encode()
        last = number == len(lines) - 1
        ending = draw(st.sampled_from([b"\n", b"\r\n"] + ([b""] if last else [])))
        if ending == b"\n" and raw.endswith(b"\r"):
            ending = b"\r\n"  # or the line's own CR would be read as the CRLF's
        out += raw + ending
        kept = raw[:-1] if not ending and raw.endswith(b"\r") else raw
        if kept.strip(b" \t\r"):
            expected.append(kept.decode())
    return bytes(out), expected


@given(body=ndjson_bodies(), cuts=st.lists(st.integers(0, 400), max_size=20))
@example(body=(b"a\r\r\n", ["a\r"]), cuts=[2, 3])
def test_ndjson_decoder_ignores_chunk_boundaries(
    body: tuple[bytes, list[str]], cuts: list[int]
) -> None:
    wire, expected = body
    assert decode(wire) == expected
    assert feed_all(NDJSONDecoder(), chunked(wire, cuts)) == expected
    assert feed_all(NDJSONDecoder(), one_byte_chunks(wire)) == expected


@given(
    wire=st.binary(max_size=300),
    cap=st.integers(1, 40),
    cuts=st.lists(st.integers(0, 300), max_size=20),
)
@example(wire=b"12345678\r\r", cap=8, cuts=[])
@example(wire=b"1234567\r\n\r\n", cap=7, cuts=[8])
def test_ndjson_decoder_outcome_under_a_cap_ignores_chunk_boundaries(
    wire: bytes, cap: int, cuts: list[int]
) -> None:
    whole = outcome(NDJSONDecoder(max_line_bytes=cap), [wire])
    assert outcome(NDJSONDecoder(max_line_bytes=cap), chunked(wire, cuts)) == whole
    assert outcome(NDJSONDecoder(max_line_bytes=cap), one_byte_chunks(wire)) == whole


_TOKENS = st.sampled_from(
    [b"\n", b"\r", b"\r\n", b" ", b"\t", b"{", b"}", b'"', b"\xff", b"\xe2\x80\xa8", b"\xc3"]
)


@given(
    wire=st.lists(st.one_of(_TOKENS, st.binary(max_size=6)), max_size=60).map(b"".join),
    cuts=st.lists(st.integers(0, 400), max_size=10),
    cap=st.integers(1, 64),
)
def test_ndjson_decoder_raises_only_protocol_error_on_garbage(
    wire: bytes, cuts: list[int], cap: int
) -> None:
    lines, _ = outcome(NDJSONDecoder(max_line_bytes=cap), chunked(wire, cuts))
    if not wire.translate(None, b" \t\r\n"):
        assert lines == []  # only blanks in, nothing out
    for line in lines:
        assert "\n" not in line
        assert line.strip(" \t\r")
        assert len(line.encode()) <= 3 * cap  # at most 3 UTF-8 bytes per replaced byte
