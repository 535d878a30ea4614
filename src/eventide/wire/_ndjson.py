"""Newline-delimited JSON framing, sans-IO: bytes in, complete lines out.

NDJSON (also served as JSON Lines, ``application/x-ndjson``) puts one JSON text on each
line. This layer only frames: it splits the body into lines and leaves parsing to the
format on top (Ollama's chat stream, say).

- lines end in LF; a CR just before the LF is part of the line ending (CRLF), anywhere
  else it is kept (JSON counts it as whitespace);
- blank lines (empty, or only spaces, tabs and CRs) are skipped;
- lines are split on bytes and decoded as UTF-8 (invalid bytes become U+FFFD) one complete
  line at a time, so a character split across chunks is never damaged, and the result
  does not depend on where the chunks were cut;
- a last line without its LF is a line too, returned by `end()`.

Work is O(bytes fed): the start of an unterminated line is kept as a list of pieces and
joined once, when its LF arrives. Memory is bounded by `max_line_bytes`: no line (its
ending not counted) may be longer, whatever the chunking. A fault is held (h11's rule): the
`feed()` that meets it returns the lines completed before it; the next call raises it.
"""

from __future__ import annotations

from typing import final

from .._errors import ProtocolError
from ._base import Framer

__all__ = ["DEFAULT_MAX_LINE_BYTES", "NDJSONDecoder"]

DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
_BLANK = b" \t\r"  # a line of nothing but these is blank (JSON whitespace, less LF)


@final
class NDJSONDecoder(Framer[str]):
    """Turn a newline-delimited body into its lines (as text). Does no I/O.

    Feed it the body's bytes in chunks of any size; call `end()` once the body is over.

    Args:
        max_line_bytes: The longest line accepted (its CRLF or LF not counted) before
            `feed()` raises `ProtocolError`, so a hostile body cannot grow memory unbounded.
    """

    __slots__ = ("_max", "_tail", "_tail_size")

    def __init__(self, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be positive")
        self._max = max_line_bytes
        self._tail: list[bytes] = []  # pieces of the current, unterminated line
        self._tail_size = 0
        super().__init__()

    @property
    def pending(self) -> bool:
        """Whether the start of an unterminated line is held."""
        return self._tail_size > 0

    def _feed(self, data: bytes, out: list[str]) -> None:
        if not data:
            return
        newline = data.find(b"\n")
        if newline < 0:
            self._hold(data)
            return
        pieces = data.split(b"\n")
        if self._tail:
            self._tail.append(pieces[0])
            pieces[0] = b"".join(self._tail)
            self._tail = []
            self._tail_size = 0
        rest = pieces.pop()  # what follows the last LF: the start of the next line
        limit = self._max
        for line in pieces:
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > limit:
                self._too_big(line)
            if line and (line[0] not in _BLANK or line.strip(_BLANK)):
                out.append(line.decode("utf-8", "replace"))
        if rest:
            self._hold(rest)

    def end(self) -> list[str]:
        """Mark the end of the body; return its last line if it had no LF and is not blank.

        Raises:
            ProtocolError: The fault the last `feed()` held.
        """
        self._raise_held()
        line = b"".join(self._tail)
        self._tail = []
        self._tail_size = 0
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip(_BLANK):
            return []
        return [line.decode("utf-8", "replace")]

    def _hold(self, piece: bytes) -> None:
        """Keep the start of an unterminated line, which may not outgrow the cap either."""
        self._tail.append(piece)
        size = self._tail_size = self._tail_size + len(piece)
        # One byte over the cap may still be the CR of a CRLF; two bytes over never is.
        if size > self._max + 1 or (size == self._max + 1 and not piece.endswith(b"\r")):
            self._too_big(b"".join(self._tail))

    def _too_big(self, line: bytes) -> None:
        self._tail = []
        self._tail_size = 0
        raise ProtocolError(
            f"NDJSON line longer than {self._max} bytes",
            offset=self._bytes_fed,
            excerpt=line[:80].decode("utf-8", "replace"),
        )
