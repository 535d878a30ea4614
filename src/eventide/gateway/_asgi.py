"""The little of ASGI 3 the gateway needs: its types, reading a request body within limits,
and writing a whole JSON response. No framework: the handlers speak ASGI themselves."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias, final

import anyio

__all__ = [
    "ASGIApp",
    "ClientGone",
    "HTTPProblem",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "header",
    "read_body",
    "send_json",
]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]


@final
class ClientGone(Exception):
    """The client disconnected before its request body was read."""


@final
class HTTPProblem(Exception):
    """A request the gateway refuses before any upstream request: its status and error body.

    Args:
        status: The HTTP status.
        message: What is wrong, for the client.
        kind: The error ``type`` (``"invalid_request_error"``...).
        code: The error ``code``, or None.
    """

    def __init__(self, status: int, message: str, *, kind: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.code = code


def header(scope: Scope, name: bytes) -> str | None:
    """The value of request header `name` (lower case), or None."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def read_body(receive: Receive, *, limit: int, timeout: float) -> bytes:
    """The whole request body, read within `limit` bytes and `timeout` seconds.

    Raises:
        HTTPProblem: 413 past `limit`; 408 when the body does not arrive within `timeout`.
        ClientGone: The client disconnected first.
    """
    parts: list[bytes] = []
    size = 0
    with anyio.move_on_after(timeout) as scope:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HTTPProblem(
                    413,
                    f"the request body is larger than {limit} bytes",
                    kind="invalid_request_error",
                    code="request_too_large",
                )
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)
    assert scope.cancelled_caught
    raise HTTPProblem(
        408, f"the request body did not arrive within {timeout} s", kind="invalid_request_error"
    )


async def send_json(
    send: Send, status: int, body: Any, *, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a whole JSON response: `body` encoded compactly, with its status and headers."""
    data = json.dumps(body, separators=(",", ":")).encode()
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": data, "more_body": False})
