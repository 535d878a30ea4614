"""The chat page at ``/``: one static HTML file (``page.html``, beside this module), read
once on its first request.

It holds no secret, so it is served without a key; the key it asks for goes only to the API.
Its Content-Security-Policy allows nothing but its own inline script and style, named by
their SHA-256 hashes (computed from the file itself, so an edit cannot leave them stale),
and requests to this origin; no other script, style, frame, form target or page may load,
and Trusted Types refuse every HTML string sink (``innerHTML``), so server text can only
ever be text.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from importlib import resources
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._asgi import Send

__all__ = ["send_page"]

_INLINE: Final = re.compile(rb"<(script|style)>(.*?)</\1>", re.DOTALL)


def _source_hash(source: bytes) -> bytes:
    # The browser hashes the element's text as parsed, and HTML parsing turns CRLF and CR
    # into LF (HTML, "Preprocessing the input stream"; CSP 3, "script-src" hashes).
    text = source.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return b"'sha256-" + base64.b64encode(hashlib.sha256(text).digest()) + b"'"


def policy(html: bytes) -> bytes:
    """The Content-Security-Policy for `html`: its inline scripts and styles, by hash."""
    hashes: dict[bytes, list[bytes]] = {b"script": [], b"style": []}
    for match in _INLINE.finditer(html):
        hashes[match[1]].append(_source_hash(match[2]))
    return b"; ".join(
        [
            b"default-src 'none'",
            b"script-src " + (b" ".join(hashes[b"script"]) or b"'none'"),
            b"style-src " + (b" ".join(hashes[b"style"]) or b"'none'"),
            b"connect-src 'self'",
            b"img-src data:",
            b"base-uri 'none'",
            b"form-action 'none'",
            b"frame-ancestors 'none'",
            b"require-trusted-types-for 'script'",
        ]
    )


@functools.cache
def _page() -> tuple[bytes, list[tuple[bytes, bytes]]]:
    html = resources.files("eventide.gateway").joinpath("page.html").read_bytes()
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(html)).encode()),
        (b"cache-control", b"no-cache"),
        (b"content-security-policy", policy(html)),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]
    return html, headers


async def send_page(send: Send, *, head: bool) -> None:
    """Send the page (only its headers for a ``HEAD`` request)."""
    html, headers = _page()
    await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
    await send({"type": "http.response.body", "body": b"" if head else html, "more_body": False})
