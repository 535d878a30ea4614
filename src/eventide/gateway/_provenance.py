"""Provenance on the wire: who served and what failed first, as response headers and, when
the client asks, as an ``attempts`` list beside ``provider``.

A client asks for the failed attempts with the request header ``x-eventide-include:
attempts`` (what the official SDKs send unchanged with ``extra_headers=``); the first chunk
of a stream, or a whole answer, then carries them. Each attempt's message is the error's
own, which providers have already stripped of their keys.

A header value is visible ASCII: anything else in a provider's or a model's name (a space,
a letter beyond ASCII, a control character an upstream put in its model) is
percent-encoded as UTF-8, as RFC 3986 does in a URL, so no name can break the response head.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from ._asgi import HTTPProblem, header

if TYPE_CHECKING:
    from .._events import Metadata
    from ._asgi import Scope

__all__ = ["INCLUDE_HEADER", "attempt_list", "include_attempts", "provenance"]

INCLUDE_HEADER: Final = "x-eventide-include"
"""The request header that asks for more provenance: ``attempts``."""

_KNOWN: Final = frozenset({"attempts"})
_VISIBLE: Final = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) != "%")


def _header_value(text: str) -> bytes:
    """`text` as a header value: visible ASCII as it is, every other character (and ``%``)
    percent-encoded as UTF-8."""
    return quote(text, safe=_VISIBLE, errors="surrogatepass").encode("ascii")


def include_attempts(scope: Scope) -> bool:
    """Whether the request asks for the failed attempts (``x-eventide-include: attempts``).

    Raises:
        HTTPProblem: 400 for a value the gateway does not know (before any upstream request).
    """
    value = header(scope, INCLUDE_HEADER.encode())
    if value is None:
        return False
    asked = {part.strip().lower() for part in value.split(",")} - {""}
    unknown = sorted(asked - _KNOWN)
    if unknown:
        raise HTTPProblem(
            400,
            f"{INCLUDE_HEADER}: unknown value {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(_KNOWN))})",
            kind="invalid_request_error",
        )
    return "attempts" in asked


def attempt_list(metadata: Metadata | None) -> list[dict[str, Any]]:
    """The failed attempts before the one that served, as JSON objects: ``provider``,
    ``model``, ``error`` (the error kind), ``status_code`` and ``message``."""
    if metadata is None:
        return []
    return [
        {
            "provider": attempt.provider,
            "model": attempt.model,
            "error": attempt.error,
            "status_code": attempt.status_code,
            "message": attempt.message,
        }
        for attempt in metadata.attempts
    ]


def provenance(metadata: Metadata | None, request_id: str) -> list[tuple[bytes, bytes]]:
    """The ``x-request-id`` and ``x-eventide-*`` headers."""
    headers = [(b"x-request-id", request_id.encode())]
    if metadata is not None:
        headers += [
            (b"x-eventide-provider", _header_value(metadata.provider)),
            (b"x-eventide-model", _header_value(metadata.model)),
            (b"x-eventide-attempts", str(len(metadata.attempts)).encode()),
        ]
    return headers
