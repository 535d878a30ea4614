"""HTTP/1.1, sans-IO: one response read with llhttp (through httptools), head and body.

Why llhttp: it is the parser of Node.js and of uvicorn, written in C. It reads a response
head in about 2 µs where h11 took about 29, and frames a chunk of a chunked body in about
0.07 µs where Python took about 0.6 (measured on one machine; see docs/performance.md).

`ResponseReader` is fed the bytes read after the request was sent: `feed_head()` until the
final head is in (1xx informational heads are skipped), then `feed()` for the body, and
`end()` when the connection closes. It runs llhttp in its strict mode (no "dangerous
leniencies") and refuses on its own what llhttp would let through yet h11, eventide's
earlier parser, refused as a framing risk (tests/transport/test_response_vs_h11.py holds
every difference and the decision taken):

- a Transfer-Encoding other than exactly ``chunked`` (one field, any case), which llhttp
  reads as "until close" or, for ``gzip, chunked``, as chunked data still gzip-coded;
- a status below 100, and 101 Switching Protocols (eventide never asks for an upgrade).

What llhttp refuses and h11 accepted stays refused (harmless: no server in use sends it):
bare LF line ends, obs-fold, control characters in a field value, a repeated Content-Length
even when equal, ``Content-Length: 3, 3``, Content-Length with Transfer-Encoding (a framing
risk either way), an HTTP version other than 0.9, 1.0, 1.1 or 2.0, white space after a
chunk size. llhttp accepts empty lines before a status line (h11 does not), so empty lines
after a complete body are not counted as bytes too many.

Bounded memory: llhttp itself buffers nothing; httptools joins a field name and value cut
across reads. A head (1xx heads included) longer than `MAX_HEAD` bytes is refused, at the
same byte whatever the reads are. Chunk-size lines with extensions and trailer fields are
bounded by `MAX_FRAMING` bytes read in a row with no body data (within one read's length).

Faults are held as h11 holds them: a `feed()` that meets one returns the body data before
it and raises it on the next `feed()` or `end()` (at once when it completed nothing).
"""

from __future__ import annotations

from typing import Final, final

import httptools

from .._errors import ProtocolError

__all__ = ["MAX_FRAMING", "MAX_HEAD", "ResponseReader"]

MAX_HEAD: Final = 64 * 1024
"""The most bytes of a response head (its 1xx heads included)."""
MAX_FRAMING: Final = 64 * 1024
"""The most bytes of chunk framing (size lines, extensions, trailers) read with no data."""

_HEAD_END: Final = b"\r\n\r\n"  # llhttp (strict) ends every line with CRLF


# HttpParserUpgrade is not an HttpParserError; on_headers_complete refuses a 101 before it
_PARSER_ERRORS: Final = (httptools.HttpParserError, httptools.HttpParserUpgrade)


class _Stop(Exception):
    """Raised in a callback to stop llhttp at the end of what belongs to this response."""


@final
class ResponseReader:
    """Read one response to a request made with ``method``; one reader per response.

    Attributes:
        status: The status code of the final (non-1xx) response.
        fields: Its header fields, names lower-cased, values without surrounding white space.
        reusable: Whether the response lets its connection be kept (HTTP/1.1, no
            ``Connection: close``, a body that knows its own end).
        leftover: Whether bytes came after the end of the body (a server that sent too
            much): the connection must not be reused.
    """

    __slots__ = (
        "_body",
        "_chunked",
        "_done",
        "_fault",
        "_framing",
        "_head_bytes",
        "_head_done",
        "_heads",
        "_no_body",
        "_parser",
        "_problem",
        "_sized",
        "_stopped",
        "_tail",
        "fields",
        "leftover",
        "on_body",
        "reusable",
        "status",
    )

    def __init__(self, method: str) -> None:
        self._no_body = method == "HEAD"
        self._body: list[bytes] = []
        self.on_body = self._body.append  # llhttp's body callback: a list's append, per chunk
        self.fields: list[tuple[bytes, bytes]] = []
        self.status = 0
        self.reusable = False
        self.leftover = False
        self._head_done = self._done = self._stopped = False
        self._chunked = self._sized = False
        self._heads = 0  # heads complete, 1xx included
        self._head_bytes = 0  # bytes of heads fed while the final head was incomplete
        self._tail = b""  # the last 4 bytes of those: a head end may start there
        self._framing = 0  # bytes fed in a row without body data
        self._problem: ProtocolError | None = None  # raised by a callback
        self._fault: ProtocolError | None = None  # held, for the next feed() or end()
        self._parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)

    @property
    def done(self) -> bool:
        """Whether the body is complete."""
        return self._done

    @property
    def failed(self) -> bool:
        """Whether a framing fault is held, to be raised by the next `feed()` or `end()`."""
        return self._fault is not None

    def feed_head(self, data: bytes) -> bool:
        """Take bytes read before the final head was complete; True once it is. Body bytes
        that came with it are then ready in `take()`.

        Raises:
            ProtocolError: A malformed or too long head, or a body fault with no data before it.
        """
        heads = self._heads
        self._parse(data)
        if not self._head_done:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD:
                raise ProtocolError(f"malformed response head: longer than {MAX_HEAD} bytes")
            self._tail = (self._tail + data)[-4:]
            return False
        if self._head_bytes + len(data) > MAX_HEAD or self._no_body:
            # where the final head ends in `data`: after the head ends completed in this call
            window = self._tail + data
            end = 0
            for _ in range(self._heads - heads):
                end = _head_end(window, end)
            end -= len(self._tail)
            if self._head_bytes + end > MAX_HEAD:
                raise ProtocolError(f"malformed response head: longer than {MAX_HEAD} bytes")
            if self._no_body and end < len(data):
                self.leftover = True
        return True

    def take(self) -> bytes:
        """The body data parsed so far and not yet taken (with the head: what came with it)."""
        body = self._body
        if not body:
            return b""
        data = body[0] if len(body) == 1 else b"".join(body)
        body.clear()
        return data

    def feed(self, data: bytes) -> bytes:
        """Take bytes of the body read from the connection; return the body data they complete.

        Raises:
            ProtocolError: Malformed framing, or chunk framing too long, found in an earlier
                call (held), or in this one before any data completed.
        """
        if self._fault is not None:
            raise self._fault
        if self._done:
            self.leftover = self.leftover or bool(data)
            return b""
        self._parse(data)
        if self._body:
            self._framing = 0
            return self.take()
        if not self._done:
            self._framing += len(data)
            if self._framing > MAX_FRAMING:
                self._fault = ProtocolError("chunk extensions or trailer fields too long")
                self._parser = None
                raise self._fault
        return b""

    def end(self) -> None:
        """The connection closed: fine after a complete body or for a body that ends so.

        Raises:
            ProtocolError: The head or the body was cut short, or a fault is held.
        """
        if self._fault is not None:
            raise self._fault
        if self._done:
            return
        self._parser = None
        if not self._head_done:
            raise ProtocolError(
                "malformed response head: the server closed the connection in the middle of it"
            )
        if self._chunked or self._sized:
            raise ProtocolError("the server closed the connection in the middle of the body")
        self._done = True  # a body delimited by the close

    def _parse(self, data: bytes) -> None:
        parser = self._parser
        assert parser is not None  # set to None only when done or failed
        try:
            parser.feed_data(data)
        except _PARSER_ERRORS as exc:
            self._failure(exc)

    def _failure(self, exc: Exception) -> None:
        """llhttp stopped: at our request, at bytes after the body, or at a fault (raised at
        once, or held when body data came before it)."""
        if self._stopped:
            return
        if self._problem is None:
            if self._done:  # bytes after the body that are not a response: too many
                self.leftover = True
                return
            reason = str(exc)
            self._problem = (
                _body_fault(reason)
                if self._head_done
                else ProtocolError(f"malformed response head: {reason}")
            )
        self._parser = None
        self._fault = problem = self._problem
        if not self._head_done or not self._body:
            raise problem

    # llhttp's callbacks (httptools looks them up by name)

    def on_message_begin(self) -> None:
        if self._done:  # the start of another response: bytes too many
            self.leftover = self._stopped = True
            raise _Stop

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._head_done:
            return  # a trailer field
        name = name.lower()
        value = value.rstrip(b" \t")  # llhttp strips leading white space only
        if name == b"transfer-encoding":
            if self._chunked or value.lower() != b"chunked":
                self._problem = ProtocolError(
                    "malformed response head: Transfer-Encoding other than chunked"
                )
                raise self._problem
            self._chunked = True
        elif name == b"content-length":
            self._sized = True  # llhttp checks its value
        self.fields.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self._parser
        assert parser is not None
        self._heads += 1
        status = parser.get_status_code()
        if status < 200:
            if status == 101 or status < 100:
                self._problem = ProtocolError(
                    f"malformed response head: status {status}"
                    + (" (an upgrade eventide never asks for)" if status == 101 else "")
                )
                raise self._problem
            self.fields = []  # an informational response: the final one comes next
            self._chunked = self._sized = False
            return
        self.status = status
        self._head_done = True
        self.reusable = parser.should_keep_alive() and parser.get_http_version() == "1.1"
        if self._no_body:  # llhttp cannot be told that a HEAD's response has no body
            self._done = self._stopped = True
            self._parser = None
            raise _Stop

    def on_message_complete(self) -> None:
        if self._head_done:
            self._done = True
            self._parser = None  # no cycle left (feed_data holds it until it returns)


def _head_end(window: bytes, after: int) -> int:
    """Where the first head that ends in `window` after index `after` ends (the index past
    its blank line). A head's blank line follows a byte of the head, never a line feed: the
    empty lines llhttp skips before a status line are no head's end. The match starts at
    index 1 or later, so that it has a byte before it and is not made of old bytes only."""
    at = window.find(_HEAD_END, max(after, 1))
    while at > 0 and window[at - 1] == 0x0A:
        at = window.find(_HEAD_END, at + 1)
    return at + len(_HEAD_END)


def _body_fault(reason: str) -> ProtocolError:
    lower = reason.lower()
    if "overflow" in lower:
        what = "chunk-size line too long"
    elif "chunk size" in lower:
        what = "malformed chunk-size line"
    elif "after chunk data" in lower:
        what = "chunk data is not followed by CRLF"
    else:
        what = "malformed chunked body"
    return ProtocolError(f"{what} ({reason})")
