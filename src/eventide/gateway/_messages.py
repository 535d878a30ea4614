"""Anthropic's Messages dialect: ``POST /v1/messages`` in, named events or a ``message`` out.

A stream is Anthropic's named events (`AnthropicStreamEncoder`), with an ``event: ping``
after ``message_start`` and as the keep-alive; errors are Anthropic's
``{"type": "error", "error": {"type", "message"}}``, in the body before the head and as an
``event: error`` after it (the anthropic SDK raises both as its own errors).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, final

from .._events import Metadata
from ._anthropic_encode import AnthropicStreamEncoder, anthropic_message

if TYPE_CHECKING:
    from .._completion import Completion
    from .._events import Event
    from ._asgi import HTTPProblem

__all__ = ["AnthropicDialect", "anthropic_error_body"]

_PING: Final = b'event: ping\ndata: {"type":"ping"}\n\n'
_TYPES: Final = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def anthropic_error_body(problem: HTTPProblem) -> dict[str, Any]:
    """Anthropic's error body for `problem`."""
    status = problem.status
    kind = _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": problem.message}}


@final
class AnthropicDialect:
    """Anthropic's Messages API on the wire.

    Args:
        attempts: Put the failed attempts (``attempts``) on the ``message_start`` message.
    """

    __slots__ = ("_encoder", "attempts")

    api = "messages"
    ping = _PING

    def __init__(self, *, attempts: bool = False) -> None:
        self.attempts = attempts
        self._encoder = AnthropicStreamEncoder(attempts=attempts)

    def encode(self, event: Event) -> bytes:
        """The named events for one event; a ping follows ``message_start``, as Anthropic's."""
        data = self._encoder.encode(event)
        return data + _PING if type(event) is Metadata else data

    def error_frame(self, problem: HTTPProblem) -> bytes:
        """``event: error`` with Anthropic's error body."""
        body = json.dumps(anthropic_error_body(problem), separators=(",", ":"))
        return f"event: error\ndata: {body}\n\n".encode()

    def error_body(self, problem: HTTPProblem) -> dict[str, Any]:
        """Anthropic's error body."""
        return anthropic_error_body(problem)

    def whole(self, completion: Completion) -> dict[str, Any]:
        """The ``message`` object, with ``provider``."""
        return anthropic_message(completion)
