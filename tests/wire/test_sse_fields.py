"""The SSE decoder's fast path (blocks of LF-terminated lines, split on blank lines) and
`SSEFieldsDecoder` (tuples instead of `SSEMessage` objects) read exactly what the WHATWG
line loop reads, with the same faults, whatever the chunking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import example, given
from hypothesis import strategies as st

from eventide._errors import ProtocolError
from eventide.wire._sse import SSEDecoder, SSEFields, SSEFieldsDecoder, _EventStreamReader
from tests.strategies import chunked, sse_streams, sseish_bytes

if TYPE_CHECKING:
    from collections.abc import Iterable


class LineLoop(_EventStreamReader[SSEFields]):
    """The reference: the decoder with its fast path turned off, every block read line by
    line."""

    __slots__ = ()

    def _feed(self, data: bytes, out: list[SSEFields]) -> None:
        self._scan(data, out)

    def _events(self, block: bytes, out: list[SSEFields]) -> None:
        self._lines(block.splitlines(), len(block) > self._max, out)


def run(decoder: _EventStreamReader[Any], chunks: Iterable[bytes]) -> tuple[Any, ...]:
    """Everything observable: the events, the fault (if any), the id and retry at the end."""
    out: list[Any] = []
    fault = None
    try:
        for chunk in chunks:
            out.extend(decoder.feed(chunk))
        out.extend(decoder.end())
    except ProtocolError as exc:
        fault = (str(exc), exc.offset, exc.excerpt)
    fields = [(m.data, m.event, m.id, m.retry) if not isinstance(m, tuple) else m for m in out]
    return fields, fault, decoder.last_event_id, decoder.retry


def lf_only(wire: bytes) -> bytes:
    """`wire` with its CRLF and CR line endings made LF (the same lines: the fast path's)."""
    return wire.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def agree(wire: bytes, cuts: list[int], max_event_bytes: int) -> None:
    chunks = chunked(wire, cuts)
    expected = run(LineLoop(max_event_bytes=max_event_bytes), chunks)
    assert run(SSEFieldsDecoder(max_event_bytes=max_event_bytes), chunks) == expected
    assert run(SSEDecoder(max_event_bytes=max_event_bytes), chunks) == expected


@given(sseish_bytes(), st.lists(st.integers(0, 200), max_size=20), st.sampled_from([8, 64, 2**20]))
@example(b"data: a\n\n\n\ndata: b\n\n", [], 64)
@example(b"event: x\ndata: a\n\n", [9], 64)  # an event begun in an earlier feed
@example(b"data: a\ndata: b\n\ndata: c\n\n", [8], 64)
@example(b"id: 7\n\ndata: a\n\n", [], 64)
@example(b"id: 7\ndata: a\n\n", [6], 64)  # the id of an earlier feed, read at dispatch
@example(b"data:\n\ndata\n\n", [], 64)
def test_sse_fast_path_reads_what_the_line_loop_reads(
    wire: bytes, cuts: list[int], max_event_bytes: int
) -> None:
    agree(lf_only(wire), cuts, max_event_bytes)
    agree(wire, cuts, max_event_bytes)


data_events = st.lists(
    st.one_of(
        st.binary(max_size=6)
        .filter(lambda b: b"\r" not in b and b"\n" not in b)
        .map(lambda value: b"data: " + value + b"\n\n"),
        st.sampled_from(
            [b"\n", b"data: a\n", b"data:b\n\n", b"id: 1\n", b"event: e\n", b": c\n", b"retry: 5\n"]
        ),
        st.binary(max_size=3),
    ),
    max_size=12,
).map(b"".join)
"""Mostly events of one "data: " line (the block-at-once path), some with invalid UTF-8,
among lines that must send a block down the line loop."""


@given(data_events, st.lists(st.integers(0, 100), max_size=6), st.sampled_from([8, 2**20]))
@example(b"data: a\n\n\n", [], 2**20)
@example(b"data: \xe2\x82\n\ndata: \x82b\n\n", [], 2**20)  # U+FFFD per line, as the loop
@example(b"data: a\n\ndata: b\n", [], 2**20)  # a data line still waiting for its blank line
@example(b"data: a\ndata: b\n\n", [], 2**20)
@example(b"data: a\n\nid: 1\n\n", [], 2**20)
@example(b"data: a\nid: 1\n\ndata: b\n\n", [], 2**20)  # an LF left in a part: not such a block
def test_sse_data_line_blocks_are_read_as_the_line_loop_reads_them(
    wire: bytes, cuts: list[int], max_event_bytes: int
) -> None:
    agree(lf_only(wire), cuts, max_event_bytes)


@given(st.data())
def test_sse_fast_path_reads_generated_streams(data: st.DataObject) -> None:
    wire, expected = data.draw(sse_streams())
    wire = lf_only(wire)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=20))
    agree(wire, cuts, 2**20)
    fields, fault, _, _ = run(SSEFieldsDecoder(), chunked(wire, cuts))
    assert fault is None
    assert fields == [(m.data, m.event, m.id, m.retry) for m in expected]


values = st.one_of(
    st.binary(max_size=6).filter(lambda b: b"\r" not in b and b"\n" not in b),
    st.sampled_from([b"", b" ", b" x", b"\xe2\x82", b"\xff", b"event: ", b"data: ", b":"]),
)
named_events = st.lists(
    st.one_of(
        st.tuples(values, values).map(
            lambda nv: b"event: " + nv[0] + b"\ndata: " + nv[1] + b"\n\n"
        ),
        st.sampled_from(
            [
                b"\n",
                b"event:e\n",
                b"event: \n",
                b"event\n",
                b"event:\xff\n",
                b"data: a\n",
                b"data:b\n\n",
                b"event: e\ndata: a\ndata: b\n\n",
                b"event: e\n\n",
                b"id: 1\n",
                b": c\n",
                b"retry: 5\n",
                b"x: y\n",
                b"\r\n",
                b"\r",
                b"\xef\xbb\xbf",
            ]
        ),
        st.binary(max_size=3),
    ),
    max_size=12,
).map(b"".join)
"""Mostly events of an ``event: `` line and one ``data: `` line (the named block-at-once
path), with names and values that are empty, spaced, invalid UTF-8 or look like fields, among
lines that must send a block, or the first event of a feed, down the line loop."""


@given(named_events, st.lists(st.integers(0, 100), max_size=6), st.sampled_from([8, 64, 2**20]))
@example(b"event: a\ndata: b\n\nevent: \ndata: \n\n", [], 2**20)  # no name: "message"
@example(b"event:  a\ndata:  b\n\n", [], 2**20)  # only one space is removed
@example(b"event: \xe2\x82\ndata: \x82b\n\n", [], 2**20)  # U+FFFD per line, as the loop
@example(b"event: a\n\nevent: b\ndata: x\ndata: y\n\n", [], 2**20)  # 3 LFs an event, not one each
@example(b"event: a\ndata: b\n\nevent: c\ndata: d\n\n", [10], 2**20)  # the first begun earlier
@example(b"event: a\ndata: b\n\nid: 1\n\nevent: c\ndata: d\n\n", [], 2**20)
@example(b"event: a\ndata: b\n\nevent: c\ndata: d\n", [], 2**20)  # waiting for its blank line
@example(b"event: a\nid: 1\ndata: b\n\n", [], 2**20)  # an LF left in a name
@example(b"event: a\ndata: b\nid: 1\n\n", [], 2**20)  # an LF left in a value
@example(b"event: a\ndata: bcdefgh\n\n", [], 8)  # longer than the cap: the line loop's fault
def test_sse_named_event_blocks_are_read_as_the_line_loop_reads_them(
    wire: bytes, cuts: list[int], max_event_bytes: int
) -> None:
    agree(lf_only(wire), cuts, max_event_bytes)
    agree(wire, cuts, max_event_bytes)


@given(named_events)
def test_sse_named_event_blocks_cut_anywhere_are_read_as_the_line_loop_reads_them(
    wire: bytes,
) -> None:
    for cut in range(len(wire) + 1):
        agree(lf_only(wire), [cut], 2**20)


def test_sse_named_events_block_at_once() -> None:
    wire = b'event: ping\ndata: {}\n\nevent: delta\ndata: {"a":1}\n\nevent: \ndata: x\n\n'
    fields, fault, _, _ = run(SSEFieldsDecoder(), [wire])
    assert fault is None
    assert fields == [
        ("{}", "ping", "", None),
        ('{"a":1}', "delta", "", None),
        ("x", "message", "", None),
    ]
