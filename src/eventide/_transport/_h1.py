"""HTTP/1.1, sans-IO: the bytes of a request, and the three framings of a response body
(RFC 9112 section 6).

`request_bytes()` writes a request as h11 writes it (the request line, Host first, then the
other fields in order, a blank line, the body), checking what h11 checks: the method is a
token, the target visible ASCII, every field name a token and every value field-content
(RFC 9110 section 5.5: no CR, LF or NUL, no leading or trailing white space). It does not
go through h11's event machinery: that costs more than the rest of a short stream's setup.

`BodyDecoder.chunked()` follows section 7.1 (chunk-size in hex, optional extensions, CRLF,
data, CRLF; a last chunk of size 0; optional trailer fields; a blank line).
`BodyDecoder.length(n)` reads exactly n bytes; `BodyDecoder.until_close()` reads until the
server closes the connection. The response head itself is parsed by h11.

Feed it the bytes read after the head, in chunks of any size: `feed()` returns the body
data they complete and never depends on where the chunks were cut (a hypothesis test
checks it). Chunk-size lines and trailers are bounded, so a server that never ends a line
cannot grow memory. Malformed framing is held, as h11 holds its errors: `feed()` returns the
body data completed before the fault and raises it on the next `feed()` or `end()` (at once
when it completed nothing); `failed` says that a fault is held.
"""

from __future__ import annotations

import re
from typing import Final, final

from .._errors import ProtocolError

__all__ = ["MAX_CHUNK_LINE", "MAX_TRAILERS", "BodyDecoder", "Unsendable", "request_bytes"]

MAX_CHUNK_LINE: Final = 4096
"""The longest chunk-size line (with its extensions) accepted."""
MAX_TRAILERS: Final = 64 * 1024
"""The most bytes of trailer fields accepted."""

_HEX_DIGITS = b"0123456789abcdefABCDEF"
_HEX = frozenset(_HEX_DIGITS)

# RFC 9110 section 5.6.2 (token) and 5.5 (field-content), as h11's _abnf writes them.
_TOKEN: Final = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_FIELD_VALUE: Final = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
_TARGET: Final = re.compile(rb"[\x21-\x7e]+")


class Unsendable(ValueError):
    """A request HTTP/1.1 cannot carry; the message never quotes a header's value."""


def request_bytes(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The bytes of one request; `headers` start with Host and frame `body` themselves
    (Content-Length).

    Raises:
        Unsendable: The method, the target, or a field name or value is not what HTTP/1.1
            allows (a line break in a value, ...).
    """
    if not _TOKEN.fullmatch(method):
        raise Unsendable("the method is not an HTTP token")
    if not _TARGET.fullmatch(target):
        raise Unsendable("the request target has characters HTTP does not allow")
    lines = [b"%s %s HTTP/1.1\r\n" % (method, target)]
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise Unsendable(f"header name {name.decode('latin-1')!r} is not an HTTP token")
        if not _FIELD_VALUE.fullmatch(value):
            raise Unsendable(
                f"header {name.decode('latin-1')!r} has a value HTTP cannot carry "
                "(a line break, a NUL, or white space at either end)"
            )
        lines.append(b"%s: %s\r\n" % (name, value))
    lines += (b"\r\n", body)
    return b"".join(lines)


# states
_SIZE, _DATA, _DATA_END, _TRAILERS, _DONE, _LENGTH, _CLOSE = range(7)


@final
class BodyDecoder:
    """Decode one response body. Make it with `chunked()`, `length()` or `until_close()`."""

    __slots__ = ("_buffer", "_fault", "_remaining", "_state", "_trailer_bytes", "leftover")

    def __init__(self, state: int, remaining: int = 0) -> None:
        self._state = state
        self._remaining = remaining
        self._buffer = b""  # an incomplete chunk-size line, data CRLF or trailer line
        self._trailer_bytes = 0
        self._fault: ProtocolError | None = None
        self.leftover = b""
        """Bytes received after the end of the body (a server that sent too much)."""

    @classmethod
    def chunked(cls) -> BodyDecoder:
        """A ``Transfer-Encoding: chunked`` body."""
        return cls(_SIZE)

    @classmethod
    def length(cls, length: int) -> BodyDecoder:
        """A ``Content-Length: length`` body."""
        return cls(_LENGTH if length > 0 else _DONE, length)

    @classmethod
    def until_close(cls) -> BodyDecoder:
        """A body that ends when the server closes the connection."""
        return cls(_CLOSE)

    @property
    def done(self) -> bool:
        """Whether the body is complete."""
        return self._state == _DONE

    @property
    def delimited(self) -> bool:
        """Whether the body knows its own end (chunked or sized): only such a connection
        can be reused."""
        return self._state != _CLOSE

    @property
    def failed(self) -> bool:
        """Whether a framing fault is held, to be raised by the next `feed()` or `end()`."""
        return self._fault is not None

    def feed(self, data: bytes) -> list[bytes]:
        """Take bytes read from the connection; return the body data they complete.

        Raises:
            ProtocolError: Malformed chunked framing, or a chunk-size line or trailers too long,
                found in an earlier call (held), or in this one before any data completed.
        """
        if self._fault is not None:
            raise self._fault
        state = self._state
        if state == _CLOSE:
            return [data] if data else []
        if state == _LENGTH:
            remaining = self._remaining
            if len(data) < remaining:
                self._remaining = remaining - len(data)
                return [data] if data else []
            self._state = _DONE
            self._remaining = 0
            self.leftover += data[remaining:]
            return [data[:remaining]] if remaining else []
        if state == _DONE:
            self.leftover += data
            return []
        return self._chunked(data)

    def end(self) -> None:
        """The connection closed: fine after a complete body or for `until_close()`.

        Raises:
            ProtocolError: The body was cut short, or a fault is held.
        """
        if self._fault is not None:
            raise self._fault
        if self._state == _CLOSE:
            self._state = _DONE
        elif self._state != _DONE:
            raise ProtocolError("the server closed the connection in the middle of the body")

    def _chunked(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        try:
            self._frames(data, out)
        except ProtocolError as exc:
            self._fault = exc
            if not out:
                raise
        return out

    def _frames(self, data: bytes, out: list[bytes]) -> None:
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        pos = 0
        size = len(data)
        state = self._state
        find = data.find
        while pos < size:
            if state == _SIZE:  # first: it is where a whole chunk is read at once
                end = find(b"\r\n", pos, pos + MAX_CHUNK_LINE + 2)
                if end < 0:
                    if size - pos > MAX_CHUNK_LINE + 1:  # + 1: a CR may wait for its LF
                        raise ProtocolError("chunk-size line too long")
                    self._buffer = data[pos:]
                    break
                line = data[pos:end]
                if 0 < len(line) <= 16 and not line.translate(None, _HEX_DIGITS):
                    length = int(line, 16)  # bare hex digits: the usual chunk-size line
                else:
                    length = _chunk_size(line)
                pos = end + 2
                if length:
                    stop = pos + length
                    if data[stop : stop + 2] == b"\r\n":  # the whole chunk is here: take it
                        out.append(data[pos:stop])
                        pos = stop + 2
                        continue
                    self._remaining = length
                    state = _DATA
                else:
                    state = _TRAILERS
            elif state == _DATA:
                take = min(self._remaining, size - pos)
                out.append(data[pos : pos + take])
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    state = _DATA_END
            elif state == _DATA_END:
                if size - pos < 2:
                    if data[pos:] != b"\r"[: size - pos]:
                        raise ProtocolError("chunk data is not followed by CRLF")
                    self._buffer = data[pos:]
                    break
                if data[pos : pos + 2] != b"\r\n":
                    raise ProtocolError("chunk data is not followed by CRLF")
                pos += 2
                state = _SIZE
            elif state == _TRAILERS:
                end = data.find(b"\r\n", pos)
                if end < 0:
                    if self._trailer_bytes + size - pos > MAX_TRAILERS:
                        raise ProtocolError("trailer fields too long")
                    self._buffer = data[pos:]
                    break
                self._trailer_bytes += end + 2 - pos
                if self._trailer_bytes > MAX_TRAILERS:
                    raise ProtocolError("trailer fields too long")
                blank = end == pos
                pos = end + 2
                if blank:
                    state = _DONE
            else:  # _DONE
                self.leftover += data[pos:]
                break
        self._state = state


def _chunk_size(line: bytes) -> int:
    digits = line.split(b";", 1)[0].rstrip(b" \t")
    if not digits or len(digits) > 16 or not _HEX.issuperset(digits):
        raise ProtocolError("malformed chunk-size line", excerpt=line[:40].decode("latin-1"))
    return int(digits, 16)
