"""HTTP/1.1, sans-IO: the bytes of a request (the response is read by `_response`).

`request_bytes()` writes a request as h11 writes it (the request line, Host first, then the
other fields in order, a blank line, the body), checking what h11 checks: the method is a
token, the target visible ASCII, every field name a token and every value field-content
(RFC 9110 section 5.5: no CR, LF or NUL, no leading or trailing white space). It does not
go through h11's event machinery: that costs more than the rest of a short stream's setup.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["Unsendable", "request_bytes"]

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
