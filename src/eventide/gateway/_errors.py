"""eventide errors and refused requests as OpenAI-shaped error bodies, with their status.

OpenAI's error body is ``{"error": {"message", "type", "param", "code"}}`` (API reference,
"Error codes", read 2026-12); the official SDKs pick their exception class by the HTTP
status (429 -> ``RateLimitError``...), so the status is what matters most.
"""

from __future__ import annotations

from typing import Any

from .._errors import (
    Error,
    NoProviderLeft,
    ProtocolError,
    ProviderError,
    RateLimitError,
    RequestError,
    StreamTimeout,
    TransportError,
)
from ._asgi import HTTPProblem

__all__ = ["error_body", "problem_for"]

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def _status(exc: Error) -> int:
    if isinstance(exc, NoProviderLeft):
        return _status(exc.errors[-1]) if exc.errors else 502
    if isinstance(exc, ProviderError) and exc.status_code and 400 <= exc.status_code <= 599:
        return exc.status_code
    if isinstance(exc, StreamTimeout):
        return 504
    if isinstance(exc, TransportError | ProtocolError):
        return 502
    if isinstance(exc, RequestError | ValueError):
        return 400
    return 500


def _retry_after(exc: Error) -> float | None:
    if isinstance(exc, NoProviderLeft):
        return _retry_after(exc.errors[-1]) if exc.errors else None
    return exc.retry_after if isinstance(exc, RateLimitError | ProviderError) else None


def problem_for(exc: Error) -> tuple[HTTPProblem, float | None]:
    """The response for a stream that failed before its head was sent, and its Retry-After.

    The status is the upstream's own (429 stays 429), 502 for a connection or protocol
    failure, 504 for a timeout; a router's is that of its last attempt.
    """
    status = _status(exc)
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return HTTPProblem(status, str(exc), kind=kind, code=exc.kind), _retry_after(exc)


def error_body(problem: HTTPProblem) -> dict[str, Any]:
    """``{"error": {...}}`` for `problem`."""
    return {
        "error": {
            "message": problem.message,
            "type": problem.kind,
            "param": None,
            "code": problem.code,
        }
    }
