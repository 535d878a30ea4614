"""CORS, off unless origins are listed: a listed origin's preflight is answered, and every
response to it carries ``Access-Control-Allow-Origin``; any other origin gets no CORS
header at all (the browser then refuses it), as the Fetch standard's CORS protocol has it
(fetch.spec.whatwg.org, "CORS protocol", read 2026-12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._asgi import header

if TYPE_CHECKING:
    from ._asgi import Message, Scope, Send

__all__ = ["allowed_origin", "preflight", "with_cors"]

_ALLOW_HEADERS = (
    b"authorization, content-type, x-api-key, anthropic-version, openai-beta, x-eventide-include"
)


def allowed_origin(scope: Scope, origins: frozenset[str]) -> bytes | None:
    """The request's ``Origin`` when it is one of `origins` (``"*"``: any), else None."""
    origin = header(scope, b"origin")
    if origin is None or not origins or ("*" not in origins and origin not in origins):
        return None
    return origin.encode("latin-1")


async def preflight(send: Send, origin: bytes) -> None:
    """Answer an ``OPTIONS`` preflight from an allowed origin: 204 with the CORS headers."""
    headers = [
        (b"access-control-allow-origin", origin),
        (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
        (b"access-control-allow-headers", _ALLOW_HEADERS),
        (b"access-control-max-age", b"600"),
        (b"vary", b"origin"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def with_cors(send: Send, origin: bytes) -> Send:
    """`send`, adding ``Access-Control-Allow-Origin: origin`` to the response head."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            cors = [
                (b"access-control-allow-origin", origin),
                (
                    b"access-control-expose-headers",
                    b"x-request-id, x-eventide-provider, x-eventide-model, x-eventide-attempts",
                ),
                (b"vary", b"origin"),
            ]
            message = {**message, "headers": [*message["headers"], *cors]}
        await send(message)

    return sending
