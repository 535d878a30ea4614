"""Server-sent events, sans-IO: bytes in, `SSEMessage` out.

Follows the WHATWG HTML standard, section 9.2.6 "Interpreting an event stream"
(https://html.spec.whatwg.org/multipage/server-sent-events.html, read 2026-12):

- lines end in CRLF, LF or CR, and a CRLF may be split across two chunks;
- one leading U+FEFF (UTF-8 BOM) is stripped, at the start of the stream only;
- lines starting with ":" are comments (keep-alives such as ": OPENROUTER PROCESSING");
- a line without ":" is a field name with an empty value; one space after ":" is removed;
- ``data`` lines append to the data buffer, joined by LF;
- ``id`` sets the last event ID *buffer* unless the value contains NUL; the buffer persists
  across events, and becomes the event source's last event ID (`SSEDecoder.last_event_id`) when
  a blank line dispatches the event ("dispatch the event", step 1), which happens before the
  empty-data check (step 2): an event with an ``id`` but no data still sets it, while an event
  discarded at the end of the stream never does;
- ``retry`` sets the reconnection time only if the value is all ASCII digits (clamped to
  `MAX_RETRY`);
- a blank line dispatches the event; one whose data buffer is empty yields no message;
- at end of stream an event without its blank line is discarded.

Lines are split on bytes and decoded as UTF-8 (invalid bytes become U+FFFD) one complete
line at a time, so a multi-byte character split across chunks is never damaged, and the
result does not depend on where the chunks were cut. Work is O(bytes fed). Memory is
bounded by `max_event_bytes`: no line, and no event's data (its data lines joined by LF),
may be longer, whatever the chunking. A fault is held (h11's rule): the `feed()` that meets
it returns the events completed before it, and the next `feed()` or `end()` raises it.
"""

from __future__ import annotations

from typing import TypeVar, final

import attrs

from .._errors import ProtocolError
from ._base import Framer

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "SSEFields", "SSEFieldsDecoder", "SSEMessage"]

DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024
MAX_RETRY = 10**18 - 1
"""The largest reconnection time kept, in milliseconds; longer ``retry`` values are clamped."""
_BOM = b"\xef\xbb\xbf"

SSEFields = tuple[str, str, str, "int | None"]
"""An `SSEMessage`'s fields as a tuple: data, event, id, retry."""
_M = TypeVar("_M")


@final
@attrs.frozen
class SSEMessage:
    """One dispatched server-sent event.

    Attributes:
        data: The data lines joined by LF.
        event: The event type (``"message"`` when the stream named none).
        id: The last event id in effect when it was dispatched ("" when none).
        retry: The reconnection time in milliseconds in effect, or None.
    """

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None


class _EventStreamReader(Framer[_M]):
    """The WHATWG algorithm, shared by `SSEDecoder` and `SSEFieldsDecoder`: `_scan` appends
    each dispatched event's `SSEFields`; a subclass's `_feed` hands them out as its `_M`.

    Args:
        max_event_bytes: The longest line, and the longest event data, accepted before
            `feed()` raises `ProtocolError`, so a hostile stream cannot grow memory unbounded.
    """

    __slots__ = (
        "_data",
        "_data_size",
        "_event_type",
        "_id_buffer",
        "_max",
        "_skip_lf",
        "_start",
        "_tail",
        "_tail_size",
        "last_event_id",
        "retry",
    )

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes < 1:
            raise ValueError("max_event_bytes must be positive")
        self._max = max_event_bytes
        self._start: bytes | None = b""  # bytes seen before the BOM check; None once done
        self._tail: list[bytes] = []  # pieces of the current, unterminated line
        self._tail_size = 0
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
        self._data: list[str] = []
        self._data_size = 0
        self._event_type = ""
        self._id_buffer = ""  # the spec's "last event ID buffer": what the next dispatch sets
        super().__init__()
        self.last_event_id = ""
        """The event source's last event ID: the ``id`` in effect at the last blank line that
        ended an event (with or without data), "" when none was set. An ``id`` in an event the
        stream never finished does not count."""
        self.retry: int | None = None
        """The reconnection time in milliseconds the stream asked for, or None."""

    def _scan(self, data: bytes, out: list[SSEFields]) -> None:
        if self._start is not None:
            data = self._start + data
            if len(data) < len(_BOM) and _BOM.startswith(data):
                self._start = data  # could still be a BOM: wait for more
                return
            self._start = None
            data = data.removeprefix(_BOM)
        if self._skip_lf and data:
            self._skip_lf = False
            if data[0] == 0x0A:
                data = data[1:]
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0:
            if data:
                self._hold(data)
            return
        if self._tail:
            self._tail.append(data[: end + 1])
            block = b"".join(self._tail)
            self._tail = []
            self._tail_size = 0
        else:
            block = data[: end + 1]
        if len(block) > self._max or b"\r" in block:
            self._lines(block.splitlines(), len(block) > self._max, out)
        else:
            self._events(block, out)
        if end + 1 < len(data):
            self._hold(data[end + 1 :])
        elif data[end] == 0x0D:
            self._skip_lf = True

    def end(self) -> list[_M]:
        """Mark the end of the body. An event without its closing blank line is discarded.

        Raises:
            ProtocolError: The fault the last `feed()` held.
        """
        self._raise_held()
        self._reset()
        return []

    @property
    def pending(self) -> bool:
        """Whether bytes of an undispatched event are held (the body stopped mid-event)."""
        return bool(self._tail or self._data or self._event_type)

    def _reset(self) -> None:
        self._tail = []
        self._tail_size = 0
        self._data = []
        self._data_size = 0
        self._event_type = ""

    def _hold(self, piece: bytes) -> None:
        """Keep the start of an unterminated line (a line may not outgrow the cap either)."""
        self._tail.append(piece)
        self._tail_size += len(piece)
        if self._tail_size > self._max:
            self._too_big(b"".join(self._tail))

    def _too_big(self, line: bytes) -> None:
        # The cap is checked on each line and on each event's data, never on how the bytes
        # were chunked, so the outcome does not depend on the chunk boundaries.
        self._reset()
        raise ProtocolError(
            f"server-sent event line or data larger than {self._max} bytes",
            offset=self._bytes_fed,
            excerpt=line[:80].decode("utf-8", "replace"),
        )

    def _events(self, block: bytes, out: list[SSEFields]) -> None:
        """`_lines` for a block of whole lines that ends in LF, has no CR and is no longer
        than the cap, with exactly its result (tests/wire/test_sse_fields.py checks it).

        An event begun in an earlier feed is finished by the line loop; the block's complete
        events after it go to `_whole_events`, and the lines of an event whose blank line has
        not come yet to the line loop."""
        whole = block.rfind(b"\n\n") + 2  # the end of the last complete event, if any
        if whole > 1:
            start = 0
            if self._data or self._event_type:  # the first event began in an earlier feed
                start = block.find(b"\n\n") + 2
                self._lines([*block[: start - 2].split(b"\n"), b""], False, out)
            if start < whole:
                self._whole_events(block, start, whole, out)
            block = block[whole:]
        if block:  # lines of an event whose blank line has not come yet (block ends in LF)
            self._lines(block[:-1].split(b"\n"), False, out)

    def _whole_events(self, block: bytes, start: int, whole: int, out: list[SSEFields]) -> None:
        """Read the complete events in ``block[start:whole]`` (it ends in a blank line), none
        begun in an earlier feed.

        The usual blocks, of events of one ``data: `` line each, or of an ``event: `` line and
        one ``data: `` line each, are decoded and split at once: LF is ASCII, no invalid UTF-8
        sequence runs across it, so U+FFFD lands where the line loop puts it. Any other block is
        split on blank lines, and an event of one ``data`` line is still read without the line
        loop."""
        id_buffer, retry = self._id_buffer, self.retry
        # The block is split on its event separators first, then checked: it is such a block
        # when no LF is left but the one before each "data: " (found with memchr over the
        # joined parts; counting LFs over the block costs several times more).
        if block.startswith(b"data: ", start):
            # Events of one "data: " line each: split on "\n\ndata: ", no part holds an LF.
            text = block[start + 6 : whole - 2].decode("utf-8", "replace")
            datas = text.split("\n\ndata: ")
            if "\n" not in "".join(datas):
                out += [(data, "message", id_buffer, retry) for data in datas]
                self.last_event_id = id_buffer
                return
        elif block.startswith(b"event: ", start):
            # Events of an "event: " line and a "data: " line each: split on "\n\nevent: ",
            # each part is a name, "\ndata: " and a value, and neither holds an LF.
            text = block[start + 7 : whole - 2].decode("utf-8", "replace")
            named = [event.partition("\ndata: ") for event in text.split("\n\nevent: ")]
            fields = [
                (data, name or "message", id_buffer, retry) for name, sep, data in named if sep
            ]
            if (
                len(fields) == len(named)
                and "\n" not in "".join([name for name, _, _ in named])
                and "\n" not in "".join([data for data, _, _, _ in fields])
            ):
                out += fields
                self.last_event_id = id_buffer
                return
        for event in block[start : whole - 2].split(b"\n\n"):
            if event.startswith(b"data:") and b"\n" not in event:
                value = event[6:] if event[5:6] == b" " else event[5:]
                out.append((value.decode("utf-8", "replace"), "message", id_buffer, retry))
            else:  # its lines, then the blank line that dispatches it
                self._lines([*event.split(b"\n"), b""], False, out)
                id_buffer, retry = self._id_buffer, self.retry
        self.last_event_id = id_buffer

    def _lines(self, lines: list[bytes], check_length: bool, out: list[SSEFields]) -> None:
        data = self._data
        for line in lines:
            if not line:  # dispatch the event
                self.last_event_id = self._id_buffer  # step 1, before the empty-data check
                if data:
                    out.append(
                        (
                            "\n".join(data),
                            self._event_type or "message",
                            self._id_buffer,
                            self.retry,
                        )
                    )
                    data = self._data = []
                    self._data_size = 0
                self._event_type = ""
                continue
            if check_length and len(line) > self._max:
                self._too_big(line)
            if line.startswith(b"data:"):  # the hot path: one data line per event
                value = line[6:] if line[5:6] == b" " else line[5:]
            else:
                if line[0] == 0x3A:  # ":" comment
                    continue
                colon = line.find(b":")
                if colon < 0:
                    field, value = line, b""
                else:
                    field = line[:colon]
                    space = line[colon + 1 : colon + 2] == b" "
                    value = line[colon + 2 :] if space else line[colon + 1 :]
                if field != b"data":
                    self._field(field, value)
                    continue
            self._data_size += len(value) + 1  # the value and its LF in the data buffer
            if self._data_size > self._max + 1:
                self._too_big(line)
            data.append(value.decode("utf-8", "replace"))

    def _field(self, field: bytes, value: bytes) -> None:
        if field == b"event":
            self._event_type = value.decode("utf-8", "replace")
        elif field == b"id":
            if b"\x00" not in value:
                self._id_buffer = value.decode("utf-8", "replace")
        elif field == b"retry" and value.isdigit():  # bytes.isdigit() is ASCII-only
            # Clamped: parsing an unbounded digit string is quadratic (Python caps int() at
            # 4300 digits for that reason), and no reconnection time needs 19 digits.
            digits = value.lstrip(b"0") or b"0"
            self.retry = int(digits) if len(digits) <= 18 else MAX_RETRY
        # any other field is ignored


@final
class SSEDecoder(_EventStreamReader[SSEMessage]):
    """Turn an event-stream body into `SSEMessage` objects. Does no I/O.

    Feed it the body's bytes in chunks of any size; call `end()` once the body is over.

    Args:
        max_event_bytes: The longest line, and the longest event data, accepted before
            `feed()` raises `ProtocolError`, so a hostile stream cannot grow memory unbounded.
    """

    __slots__ = ()

    def _feed(self, data: bytes, out: list[SSEMessage]) -> None:
        fields: list[SSEFields] = []
        try:
            self._scan(data, fields)
        finally:  # the events completed before a fault too
            out += [SSEMessage(*message) for message in fields]


@final
class SSEFieldsDecoder(_EventStreamReader[SSEFields]):
    """`SSEDecoder` handing out `SSEFields` tuples instead of `SSEMessage` objects: the same
    events, without building an object per event (the decoder driver's hot path)."""

    __slots__ = ()

    def _feed(self, data: bytes, out: list[SSEFields]) -> None:
        self._scan(data, out)
