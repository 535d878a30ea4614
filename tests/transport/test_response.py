"""ResponseReader: an HTTP/1.1 response head and body framing, sans-IO, at any chunking."""

from __future__ import annotations

from contextlib import nullcontext, suppress

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide import ProtocolError
from eventide._transport._response import MAX_FRAMING, MAX_HEAD, ResponseReader
from tests.strategies import chunked

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def encode_chunked(pieces: list[bytes], *, extension: bool = False, trailers: bytes = b"") -> bytes:
    out = b"".join(
        b"%x%s\r\n%s\r\n" % (len(piece), b";name=value" if extension else b"", piece)
        for piece in pieces
        if piece
    )
    return out + b"0\r\n" + trailers + b"\r\n"


def reader_after(head: bytes = CHUNKED, method: str = "GET") -> ResponseReader:
    """A reader that has read `head`, and nothing after it."""
    reader = ResponseReader(method)
    assert reader.feed_head(head)
    assert reader.take() == b""
    return reader


def decode(reader: ResponseReader, parts: list[bytes]) -> bytes:
    return b"".join(reader.feed(part) for part in parts)


def decode_to_end(reader: ResponseReader, parts: list[bytes]) -> bytes:
    data = decode(reader, parts)
    reader.end()
    return data


def read_head(reader: ResponseReader, parts: list[bytes]) -> list[bytes]:
    """Feed `parts` until the head is in; the parts not fed."""
    for index, part in enumerate(parts):
        if reader.feed_head(part):
            return parts[index + 1 :]
    return []


def read(wire: bytes, cuts: list[int], method: str = "GET") -> tuple[ResponseReader, bytes]:
    """Read a whole response cut at `cuts`: the reader and the body."""
    reader = ResponseReader(method)
    rest = read_head(reader, chunked(wire, cuts))
    return reader, reader.take() + decode(reader, rest)


def test_response_head_status_fields_and_reuse() -> None:
    reader = ResponseReader("POST")
    wire = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A:  1 \t\r\nx-a: 2\r\n"
    assert not reader.feed_head(wire)
    assert reader.feed_head(b"Content-Length: 2\r\n\r\nhi")
    assert reader.status == 200
    assert reader.fields == [
        (b"content-type", b"text/plain"),
        (b"x-a", b"1"),  # white space around a value is not part of it
        (b"x-a", b"2"),
        (b"content-length", b"2"),
    ]
    assert reader.take() == b"hi"
    assert reader.done
    assert reader.reusable
    assert not reader.leftover


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",  # until close
    ],
)
def test_response_that_does_not_let_its_connection_be_reused(head: bytes) -> None:
    reader = ResponseReader("GET")
    assert reader.feed_head(head)
    assert not reader.reusable


def test_response_informational_heads_are_skipped() -> None:
    wire = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\na"
    )
    for cuts in ([], [10], [26], [27], [60], [len(wire) - 1]):
        reader, body = read(wire, cuts)
        assert (reader.status, reader.fields, body) == (201, [(b"content-length", b"1")], b"a")
        assert reader.done


@pytest.mark.parametrize("status", [b"204 No Content", b"304 Not Modified"])
def test_response_204_and_304_have_no_body(status: bytes) -> None:
    reader = ResponseReader("GET")
    assert reader.feed_head(b"HTTP/1.1 %s\r\nContent-Length: 5\r\n\r\n" % status)
    assert reader.done
    assert reader.take() == b""


@pytest.mark.parametrize("cut", [0, 5, 38, 40])
def test_response_to_head_has_no_body_and_bytes_after_it_are_too_many(cut: int) -> None:
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    reader, body = read(wire, [cut], method="HEAD")
    assert (reader.done, body, reader.leftover) == (True, b"", False)
    reader, body = read(wire + b"hello", [cut], method="HEAD")
    assert (reader.done, body, reader.leftover) == (True, b"", True)


def test_response_to_head_after_a_1xx_and_empty_lines_is_whole_wherever_cut() -> None:
    """The empty lines llhttp skips before a status line end no head: the HEAD's response
    is found where it ends, however the reads were cut."""
    final = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    wire = b"HTTP/1.1 100 Continue\r\n\r\n\r\n\r\n" + final
    for cut in range(len(wire) + 1):
        reader, body = read(wire, [cut], method="HEAD")
        assert (reader.status, body, reader.leftover) == (200, b"", False), cut
        reader, _ = read(wire + b"hello", [cut], method="HEAD")
        assert reader.leftover, cut


def test_response_chunked_body() -> None:
    reader = reader_after()
    wire = b"5\r\nhello\r\n1A\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n"
    assert decode(reader, [wire]) == b"hello" + b"x" * 26
    assert reader.done
    assert not reader.leftover


def test_response_chunked_extensions_and_trailers_are_skipped() -> None:
    reader = reader_after()
    wire = b'3;a=b;c="d e"\r\nabc\r\n0\r\nExpires: never\r\nX-Trace: 1\r\n\r\n'
    assert decode(reader, [wire]) == b"abc"
    assert reader.done
    assert reader.fields == [(b"transfer-encoding", b"chunked")]  # trailers are not fields


@pytest.mark.parametrize(
    ("after", "leftover"),
    [(b"HTTP/1.1 200 OK", True), (b"garbage", True), (b"", False), (b"\r\n", False)],
)
def test_response_bytes_after_the_body_are_leftover(after: bytes, leftover: bool) -> None:
    # empty lines before a status line are allowed (and skipped), so they are not too many
    reader = reader_after()
    assert decode(reader, [b"1\r\na\r\n0\r\n\r\n" + after]) == b"a"
    assert reader.leftover is leftover
    sized = reader_after(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n")
    assert decode(sized, [b"a" + after, b""]) == b"a"
    assert sized.leftover is leftover
    assert sized.feed(b"late") == b""
    assert sized.leftover


@given(
    st.lists(st.binary(max_size=40), max_size=8),
    st.booleans(),
    st.sampled_from([b"", b"T: 1\r\n"]),
    st.data(),
)
def test_response_chunked_ignores_chunk_boundaries(
    pieces: list[bytes], extension: bool, trailers: bytes, data: st.DataObject
) -> None:
    wire = CHUNKED + encode_chunked(pieces, extension=extension, trailers=trailers)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=30))
    for parts in ([], cuts, list(range(len(wire)))):
        reader, body = read(wire, parts)
        assert body == b"".join(pieces)
        assert reader.done
        assert not reader.leftover


def test_response_content_length_body() -> None:
    reader = reader_after(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    assert decode(reader, [b"he", b"llo!!"]) == b"hello"
    assert reader.done
    assert reader.leftover
    empty = reader_after(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert empty.done


def test_response_content_length_cut_short_is_an_error() -> None:
    reader = reader_after(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    assert decode(reader, [b"abc"]) == b"abc"
    with pytest.raises(ProtocolError, match="in the middle of the body"):
        reader.end()


def test_response_until_close_body_ends_with_the_connection() -> None:
    reader = reader_after(b"HTTP/1.1 200 OK\r\n\r\n")
    assert not reader.reusable
    assert decode(reader, [b"abc", b"", b"def"]) == b"abcdef"
    reader.end()
    assert reader.done


def test_response_chunked_cut_short_is_an_error() -> None:
    reader = reader_after()
    decode(reader, [b"5\r\nhel"])
    with pytest.raises(ProtocolError, match="in the middle of the body"):
        reader.end()


def test_response_head_cut_short_is_an_error() -> None:
    reader = ResponseReader("GET")
    assert not reader.feed_head(b"HTTP/1.1 200 O")
    with pytest.raises(ProtocolError, match="malformed response head"):
        reader.end()


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"zz\r\nab\r\n", "malformed chunk-size line"),  # not hex
        (b"-1\r\n", "malformed chunk-size line"),  # signed
        (b"0x10\r\n", "malformed chunk-size line"),  # prefixed
        (b" 5\r\nhello\r\n", "malformed chunk-size line"),  # leading space
        (b"5 \r\nhello\r\n", "malformed chunk-size line"),  # trailing space (h11 allows it)
        (b"\r\n", "malformed chunk-size line"),  # empty size
        (b"5\r\nhelloXX0\r\n\r\n", "chunk data is not followed by CRLF"),
        (b"1" * 17 + b"\r\n", "chunk-size line too long"),  # more than 64 bits
        (b"5\nhello\n0\n\n", "malformed chunk-size line"),  # bare LF
        (b"0\r\nX : y\r\n\r\n", "malformed chunked body"),  # a broken trailer
    ],
)
def test_response_malformed_chunked_framing_is_a_protocol_error(wire: bytes, message: str) -> None:
    reader = reader_after()
    with pytest.raises(ProtocolError, match=message):  # at once, or held after the data before
        decode_to_end(reader, [wire])
    assert reader.failed


def test_response_data_before_a_framing_fault_comes_first_and_the_fault_is_held() -> None:
    reader = reader_after()
    assert reader.feed(b"5\r\nhello\r\nzz\r\n") == b"hello"
    assert reader.failed
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        reader.feed(b"5\r\nworld\r\n")
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        reader.end()


def test_response_a_fault_in_the_read_that_ends_the_head_is_held_after_its_data() -> None:
    reader = ResponseReader("GET")
    assert reader.feed_head(CHUNKED + b"5\r\nhello\r\nzz\r\n")
    assert reader.take() == b"hello"
    assert reader.failed
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        reader.end()
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        ResponseReader("GET").feed_head(CHUNKED + b"zz\r\n")  # no data before it: at once


def test_response_a_fault_with_no_data_before_it_is_raised_at_once() -> None:
    reader = reader_after()
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        reader.feed(b"zz\r\n")
    assert reader.failed
    with pytest.raises(ProtocolError, match="malformed chunk-size line"):
        reader.end()


@pytest.mark.parametrize("step", [1, 7, 10_000])
def test_response_endless_chunk_size_line_is_bounded(step: int) -> None:
    wire = b"1" + b"0" * 20
    with pytest.raises(ProtocolError, match="too long"):
        decode(reader_after(), [wire[i : i + step] for i in range(0, len(wire), step)])


@pytest.mark.parametrize("step", [1, 1000, 70_000])
def test_response_endless_chunk_extensions_and_trailers_are_bounded(step: int) -> None:
    for wire in (b"1;" + b"e" * MAX_FRAMING * 2, b"0\r\nX-Pad: " + b"p" * MAX_FRAMING * 2):
        with pytest.raises(ProtocolError, match="extensions or trailer fields too long"):
            decode(reader_after(), [wire[i : i + step] for i in range(0, len(wire), step)])


HEAD_AT_LIMIT = b"HTTP/1.1 200 OK\r\nX: %s\r\nContent-Length: 1\r\n\r\n"


@pytest.mark.parametrize("extra", [0, 1])
@pytest.mark.parametrize("step", [1000, 4096, MAX_HEAD, MAX_HEAD + 10, 1 << 20])
def test_response_head_limit_is_the_same_whatever_the_reads(extra: int, step: int) -> None:
    pad = MAX_HEAD - len(HEAD_AT_LIMIT % b"") + extra
    wire = HEAD_AT_LIMIT % (b"v" * pad) + b"a" * 100_000
    assert len(wire) - 100_000 == MAX_HEAD + extra
    reader = ResponseReader("GET")
    expected = pytest.raises(ProtocolError, match="longer than") if extra else nullcontext()
    with expected:
        read_head(reader, [wire[start : start + step] for start in range(0, len(wire), step)])
    assert extra or reader.status == 200


def test_response_never_ending_head_is_bounded() -> None:
    parts = [b"HTTP/1.1 200 OK\r\nX-Endless: ", *[b"a" * 1000] * 100]
    with pytest.raises(ProtocolError, match=f"longer than {MAX_HEAD} bytes"):
        read_head(ResponseReader("GET"), parts)


@given(st.binary(max_size=200), st.data())
@example(b"\r", None)
@example(b"HTTP/1.1 200 OK\r\n\r\n", None)
def test_response_garbage_only_raises_protocol_error(
    wire: bytes, data: st.DataObject | None
) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=10)) if data else []
    for head in (b"", CHUNKED):
        reader = ResponseReader("GET")
        with suppress(ProtocolError):
            decode_to_end(reader, read_head(reader, chunked(head + wire, cuts)))
