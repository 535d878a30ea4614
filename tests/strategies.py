"""Hypothesis strategies and helpers shared by the test suite.

`sse_streams()` is a test-only SSE encoder: it draws events, writes them as an event
stream with a random line ending per line, and returns the bytes together with the
`SSEMessage` list the WHATWG algorithm must produce for them.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

from eventide.wire import SSEMessage

__all__ = ["chunked", "json_values", "or_junk", "sse_line_text", "sse_streams", "sseish_bytes"]

_BOM = b"\xef\xbb\xbf"
_LINE_ENDINGS = (b"\n", b"\r", b"\r\n")
# Characters that are line breaks for str.splitlines() but not for SSE, and other
# characters with a special meaning somewhere in the parser.
_TRICKY = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e\ufeff\ufffd\x00: \t"
# Field names the decoder must ignore: near misses of the four it knows.
_UNKNOWN_FIELDS = ("Data", "EVENT", "ids", "retry2", "foo", "data ", " data", "\ufeffdata")


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """Split `data` at the positions in `cuts`.

    Positions are clamped to ``0..len(data)``, sorted and deduplicated, so any list of
    integers is valid. No piece is empty, and ``b"".join(chunked(data, cuts)) == data``.
    """
    bounds = sorted({0, len(data), *(min(max(cut, 0), len(data)) for cut in cuts)})
    return [data[start:stop] for start, stop in itertools.pairwise(bounds)]


def sse_line_text(*, max_size: int = 20) -> st.SearchStrategy[str]:
    """Text for one line of an event stream: anything but CR and LF (and surrogates)."""
    return st.text(
        st.one_of(
            st.characters(codec="utf-8", exclude_characters="\r\n"),
            st.sampled_from(_TRICKY),
        ),
        max_size=max_size,
    )


def sseish_bytes() -> st.SearchStrategy[bytes]:
    """Bytes that look like an event stream often enough to reach every parser branch."""
    tokens = st.sampled_from(
        [
            b"data:",
            b"data",
            b"event:",
            b"id:",
            b"retry:",
            b":",
            b" ",
            b"\r",
            b"\n",
            b"\r\n",
            b"1",
            b"x",
            b"\x00",
            _BOM,
            b"\xef",
            b"\xbb",
            b"\xff",
            "\u2028".encode(),
        ]
    )
    return st.lists(st.one_of(tokens, st.binary(max_size=4)), max_size=40).map(b"".join)


@st.composite
def _data_line(draw: st.DrawFn, text: str) -> str:
    if not text:
        # all three spellings give an empty data line
        return draw(st.sampled_from(["data", "data:", "data: "]))
    if text.startswith(" "):
        return "data: " + text  # "data:" would lose the text's own leading space
    return draw(st.sampled_from(["data:", "data: "])) + text


@st.composite
def sse_streams(draw: st.DrawFn) -> tuple[bytes, list[SSEMessage]]:
    """An event stream as bytes, and the messages a conforming decoder yields for it.

    Each event has an optional event type, id and retry, zero or more data lines (zero:
    nothing is dispatched, but id and retry still take effect), maybe an unknown field, in
    any order, with comment lines interspersed. Ids may contain NUL (then ignored) and
    retry values may be invalid (then ignored). The stream may start with a BOM and may end
    with an event cut short (no blank line, maybe no final line ending), which is discarded.
    """
    lines: list[str] = []
    expected: list[SSEMessage] = []
    last_id = ""
    retry: int | None = None
    comment = sse_line_text().map(lambda text: ":" + text)

    for _ in range(draw(st.integers(0, 6))):
        data_lines = draw(st.lists(sse_line_text(), max_size=4))
        fields = [draw(_data_line(text)) for text in data_lines]
        others: list[str] = []

        event_type = draw(st.none() | sse_line_text())
        if event_type is not None:
            others.append("event: " + event_type)  # exactly one space is removed

        event_id = draw(st.none() | sse_line_text(max_size=8))
        if event_id is not None:
            others.append("id: " + event_id)
            if "\x00" not in event_id:
                last_id = event_id

        retry_value = draw(st.none() | st.integers(0, 2**40).map(str) | sse_line_text(max_size=4))
        if retry_value is not None:
            others.append("retry: " + retry_value)
            if retry_value.isascii() and retry_value.isdigit():
                retry = int(retry_value)

        if draw(st.booleans()):
            others.append(draw(st.sampled_from(_UNKNOWN_FIELDS)) + ":" + draw(sse_line_text()))

        # the other fields go anywhere, in any order; data lines keep their order
        for other in draw(st.permutations(others)):
            fields.insert(draw(st.integers(0, len(fields))), other)
        for field in fields:
            lines.extend(draw(st.lists(comment, max_size=1)))
            lines.append(field)
        lines.append("")  # the blank line that dispatches
        lines.extend(draw(st.lists(comment, max_size=1)))

        if data_lines:
            expected.append(
                SSEMessage("\n".join(data_lines), event_type or "message", last_id, retry)
            )

    # An event the body cut short: end() must discard it.
    cut_short = [draw(_data_line(text)) for text in draw(st.lists(sse_line_text(), max_size=2))]
    lines.extend(cut_short)
    terminate_last = not cut_short or draw(st.booleans())

    # A first line starting with U+FEFF (an unknown field "\ufeffdata") needs a BOM before
    # it, or the decoder rightly strips its U+FEFF as the stream's leading BOM.
    bom = draw(st.booleans()) or bool(lines and lines[0].startswith("\ufeff"))
    out = bytearray(_BOM if bom else b"")
    previous = b""
    for number, line in enumerate(lines):
        if number == len(lines) - 1 and not terminate_last:
            out += line.encode()
            break
        ending = draw(st.sampled_from(_LINE_ENDINGS))
        if not line and previous == b"\r" and ending == b"\n":
            # "...\r" then "\n" reads as one CRLF, which would swallow this blank line
            ending = b"\r\n"
        out += line.encode() + ending
        previous = ending
    return bytes(out), expected


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
"""Small JSON values of any type: what a wrongly shaped chunk may hold where a field goes."""


def or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`strategy`, or any JSON value instead (for misshapen-chunk tests)."""
    return st.one_of(strategy, json_values)
