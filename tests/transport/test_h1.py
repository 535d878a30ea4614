"""BodyDecoder: HTTP/1.1 body framing, sans-IO, at any chunking."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide import ProtocolError
from eventide._transport._h1 import MAX_CHUNK_LINE, MAX_TRAILERS, BodyDecoder
from tests.strategies import chunked


def encode_chunked(pieces: list[bytes], *, extension: bool = False, trailers: bytes = b"") -> bytes:
    out = b"".join(
        b"%x%s\r\n%s\r\n" % (len(piece), b";name=value" if extension else b"", piece)
        for piece in pieces
        if piece
    )
    return out + b"0\r\n" + trailers + b"\r\n"


def decode(decoder: BodyDecoder, parts: list[bytes]) -> bytes:
    return b"".join(piece for part in parts for piece in decoder.feed(part))


def decode_to_end(decoder: BodyDecoder, parts: list[bytes]) -> bytes:
    data = decode(decoder, parts)
    decoder.end()
    return data


def test_h1_chunked_body() -> None:
    decoder = BodyDecoder.chunked()
    wire = b"5\r\nhello\r\n1A\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n"
    assert decode(decoder, [wire]) == b"hello" + b"x" * 26
    assert decoder.done
    assert decoder.leftover == b""


def test_h1_chunked_extensions_and_trailers_are_skipped() -> None:
    decoder = BodyDecoder.chunked()
    wire = b"3 ;a=b;c\r\nabc\r\n0\r\nExpires: never\r\nX-Trace: 1\r\n\r\n"
    assert decode(decoder, [wire]) == b"abc"
    assert decoder.done


def test_h1_bytes_after_the_body_are_leftover() -> None:
    decoder = BodyDecoder.chunked()
    assert decode(decoder, [b"1\r\na\r\n0\r\n\r\nHTTP/1.1 200 OK"]) == b"a"
    assert decoder.leftover == b"HTTP/1.1 200 OK"


@given(
    st.lists(st.binary(max_size=40), max_size=8),
    st.booleans(),
    st.sampled_from([b"", b"T: 1\r\n"]),
    st.data(),
)
def test_h1_chunked_ignores_chunk_boundaries(
    pieces: list[bytes], extension: bool, trailers: bytes, data: st.DataObject
) -> None:
    wire = encode_chunked(pieces, extension=extension, trailers=trailers)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=30))
    whole, cut, bytewise = BodyDecoder.chunked(), BodyDecoder.chunked(), BodyDecoder.chunked()
    assert decode(whole, [wire]) == b"".join(pieces)
    assert decode(cut, chunked(wire, cuts)) == b"".join(pieces)
    assert decode(bytewise, [wire[i : i + 1] for i in range(len(wire))]) == b"".join(pieces)
    assert whole.done
    assert cut.done
    assert bytewise.done


def test_h1_content_length_body() -> None:
    decoder = BodyDecoder.length(5)
    assert decode(decoder, [b"he", b"llo!!"]) == b"hello"
    assert decoder.done
    assert decoder.leftover == b"!!"
    empty = BodyDecoder.length(0)
    assert empty.done


def test_h1_content_length_cut_short_is_an_error() -> None:
    decoder = BodyDecoder.length(10)
    assert decode(decoder, [b"abc"]) == b"abc"
    with pytest.raises(ProtocolError, match="in the middle of the body"):
        decoder.end()


def test_h1_until_close_body_ends_with_the_connection() -> None:
    decoder = BodyDecoder.until_close()
    assert not decoder.delimited
    assert decode(decoder, [b"abc", b"", b"def"]) == b"abcdef"
    decoder.end()
    assert decoder.done


def test_h1_chunked_cut_short_is_an_error() -> None:
    decoder = BodyDecoder.chunked()
    decode(decoder, [b"5\r\nhel"])
    with pytest.raises(ProtocolError):
        decoder.end()


@pytest.mark.parametrize(
    "wire",
    [
        b"zz\r\nab\r\n",  # not hex
        b"-1\r\n",  # signed
        b"0x10\r\n",  # prefixed
        b" 5\r\nhello\r\n",  # leading space
        b"\r\n",  # empty size
        b"5\r\nhelloXX0\r\n\r\n",  # data not followed by CRLF
        b"1" * 17 + b"\r\n",  # more than 64 bits
    ],
)
def test_h1_malformed_chunked_framing_is_a_protocol_error(wire: bytes) -> None:
    decoder = BodyDecoder.chunked()
    with pytest.raises(ProtocolError):  # at once, or held after the data before the fault
        decode_to_end(decoder, [wire])
    assert decoder.failed


def test_h1_data_before_a_framing_fault_comes_first_and_the_fault_is_held() -> None:
    decoder = BodyDecoder.chunked()
    assert decoder.feed(b"5\r\nhello\r\nzz\r\n") == [b"hello"]
    assert decoder.failed
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        decoder.feed(b"5\r\nworld\r\n")
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        decoder.end()


def test_h1_a_fault_with_no_data_before_it_is_raised_at_once() -> None:
    decoder = BodyDecoder.chunked()
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        decoder.feed(b"zz\r\n")
    assert decoder.failed
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        decoder.end()


@pytest.mark.parametrize("step", [1, 7, 10_000])
def test_h1_endless_chunk_size_line_is_bounded(step: int) -> None:
    wire = b"1" + b"0" * (MAX_CHUNK_LINE + 10)
    with pytest.raises(ProtocolError, match="too long"):
        decode(BodyDecoder.chunked(), [wire[i : i + step] for i in range(0, len(wire), step)])


def test_h1_endless_trailers_are_bounded() -> None:
    trailers = [b"X-Pad: " + b"p" * 91 + b"\r\n"] * (MAX_TRAILERS // 100 + 2)
    with pytest.raises(ProtocolError, match="trailer fields too long"):
        decode(BodyDecoder.chunked(), [b"0\r\n", *trailers])


@given(st.binary(max_size=200), st.data())
@example(b"\r", None)
def test_h1_garbage_only_raises_protocol_error(wire: bytes, data: st.DataObject | None) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=10)) if data else []
    decoder = BodyDecoder.chunked()
    try:
        for part in chunked(wire, cuts):
            decoder.feed(part)
        decoder.end()
    except ProtocolError:
        pass
