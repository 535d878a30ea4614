"""The exception tree. Every failure of a stream ends in one of these:

```text
Error                       base: provider, kind, retryable, content_emitted, partial
├── ProtocolError           bytes we cannot parse, or a body cut before its terminal event
├── ProviderError           the provider said no: HTTP status or an API error payload
│   ├── BadRequestError         400, 413, other 4xx: fix the request, do not retry
│   │   └── UnprocessableEntityError    422
│   ├── AuthenticationError     401: key missing or wrong
│   │   └── PermissionDeniedError       403: the key may not do this
│   ├── NotFoundError           404: unknown model or endpoint
│   ├── RateLimitError          429: retry after `retry_after`
│   └── ServerSideError         the provider failed on its side: retry
│       ├── OverloadedError         503, 529, "overloaded": retry later
│       └── ServerError             other 5xx, 408: retry
│           └── ConflictError           409
├── RequestError            the request cannot be sent to this provider as it is; also a
│                           ValueError (found before any I/O)
├── ConfigurationError      no provider configured, a key for another provider, an unknown
│                           provider name...; also a ValueError (found before any I/O)
├── TransportError          the connection failed (chained from the HTTP library)
│   └── StreamTimeout           a time budget ran out; `phase` says which
├── NoProviderLeft          every candidate failed (routers)
└── StageError              a stage between the provider and the consumer raised
```

An error raised by a stream comes after every event received before it was delivered.
Collectors attach `partial`, the `Completion` of everything received, before re-raising.
Messages and body excerpts never contain the API key.

What an error keeps of its HTTP exchange (`request`, and `response` for a refusal) is a
read-only record with every secret redacted (see `eventide._exchange`); it has the attribute
names of the openai SDK's ``e.request`` and ``e.response``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ._completion import Completion
    from ._events import Attempt
    from ._exchange import ErrorRequest, ErrorResponse

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "Error",
    "NoProviderLeft",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "ProtocolError",
    "ProviderError",
    "RateLimitError",
    "RequestError",
    "ServerError",
    "ServerSideError",
    "StageError",
    "StreamTimeout",
    "TimeoutPhase",
    "TransportError",
    "UnprocessableEntityError",
    "provider_error_for_status",
]

TimeoutPhase: TypeAlias = Literal[
    "connect", "read", "write", "pool", "first_event", "idle", "total"
]


class Error(Exception):
    """Base class of every error eventide raises.

    Attributes:
        message: What went wrong, in one line.
        provider: The provider that failed, when known.
        kind: A short stable name for the failure (``"rate_limit"``, ``"timeout"``, ...).
        retryable: Whether trying again (later, or elsewhere) may succeed.
        content_emitted: Whether content events had already been delivered when it failed.
        partial: The `Completion` of everything received before the failure (set by
            collectors; None when the stream was iterated by hand).
        request: The HTTP request that failed, secrets redacted (``method``, ``url``,
            ``headers``); None when nothing was sent or the error did not come from one.
        response: The HTTP response that refused the request, secrets redacted
            (``status_code``, ``headers``, ``text``, ``json()``, ``request``); None when
            there was none (a connection failure, an error inside the stream).
        code: The provider's error code, when it gave one (see `ProviderError`).
    """

    kind: str = "error"
    retryable: bool = False
    request: ErrorRequest | None = None
    response: ErrorResponse | None = None
    code: str | None = None
    _error_json: str | None = None  # the payload's error object, as JSON text (see `type`)

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.content_emitted = False
        self.partial: Completion | None = None

    def __str__(self) -> str:
        return f"{self.provider}: {self.message}" if self.provider else self.message

    @property
    def type(self) -> str | None:
        """The error's ``type`` in an OpenAI-style error object (``"invalid_request_error"``),
        of a refused response's body or of an error inside the stream; or None."""
        return self._error_field("type")

    @property
    def param(self) -> str | None:
        """The request parameter an OpenAI-style error object names (``"messages"``), of a
        refused response's body or of an error inside the stream; or None."""
        return self._error_field("param")

    def _error_field(self, name: str) -> str | None:
        """A text field of the error object the payload carried, else of the response's."""
        try:
            if self._error_json is not None:
                found = json.loads(self._error_json)
            elif self.response is not None:  # {"error": {...}}, or the body itself
                body = self.response.json()
                found = body.get("error", body) if isinstance(body, dict) else None
            else:
                return None
        except (ValueError, RecursionError):
            return None
        value = found.get(name) if isinstance(found, dict) else None
        return value if isinstance(value, str) else None


class ProtocolError(Error):
    """The provider sent bytes we cannot parse, or cut the body before its terminal event.

    Attributes:
        offset: How many body bytes had been read when the problem was found, if known.
        excerpt: A short excerpt of the offending input.
    """

    kind = "protocol"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        offset: int | None = None,
        excerpt: str = "",
    ) -> None:
        super().__init__(message, provider=provider)
        self.offset = offset
        self.excerpt = excerpt


class ProviderError(Error):
    """The provider refused or failed the request: an HTTP error status or an error payload.

    Attributes:
        status_code: The HTTP status (or the status an in-stream error payload names), if any.
        body: A short excerpt of the error body, whitespace folded, the key redacted.
        code: The provider's own error code or type, such as ``"rate_limit_exceeded"``.
        retry_after: Seconds the provider asked us to wait, or None.

    Args:
        error_object: The error object of the payload (``{"message": ..., "type": ...,
            "param": ...}``), if any: kept for `type` and `param`, as JSON text, so that the
            redactor that clears every text of an error clears it too.
    """

    kind = "provider"

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        body: str = "",
        code: str | None = None,
        retry_after: float | None = None,
        error_object: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.status_code = status_code
        self.body = body
        self.code = code
        self.retry_after = retry_after
        if error_object is not None:
            self._error_json = json.dumps(error_object, ensure_ascii=False, default=str)

    @property
    def headers(self) -> Mapping[str, str] | None:
        """The response's headers (secrets redacted; a name is found in any case), or None
        without a `response`."""
        return None if self.response is None else self.response.headers

    @property
    def request_id(self) -> str | None:
        """The request id the response names (``x-request-id``, else ``request-id``), or None."""
        headers = self.headers
        if headers is None:
            return None
        return headers.get("x-request-id") or headers.get("request-id")


class BadRequestError(ProviderError):
    """The request was rejected as invalid (400, 413, 422)."""

    kind = "bad_request"


class UnprocessableEntityError(BadRequestError):
    """The request was well formed but could not be processed (422)."""


class AuthenticationError(ProviderError):
    """The API key is missing, wrong, or not allowed to do this (401, 403)."""

    kind = "authentication"


class PermissionDeniedError(AuthenticationError):
    """The key is valid but not allowed to do this (403): a model, region or project it may
    not use."""


class NotFoundError(ProviderError):
    """The model or the endpoint does not exist (404)."""

    kind = "not_found"


class RateLimitError(ProviderError):
    """Too many requests (429); `retry_after` says how long to wait when the provider says."""

    kind = "rate_limit"
    retryable = True


class ServerSideError(ProviderError):
    """The provider failed on its side (5xx, overloaded, an in-stream server error): the
    request may succeed later or elsewhere. Raised as one of its subclasses."""

    kind = "server"
    retryable = True


class OverloadedError(ServerSideError):
    """The provider is overloaded (503, 529, or an "overloaded" error payload)."""

    kind = "overloaded"


class ServerError(ServerSideError):
    """The provider failed (5xx, or an in-stream server error payload)."""


class ConflictError(ServerError):
    """The request conflicted with another one in flight (409); retried as a server error."""


class RequestError(Error, ValueError):
    """The request cannot be sent to this provider as it is (a tool call whose arguments the
    API needs as an object, a tool result without the id of its call, text that cannot be
    encoded, ...). Raised before any I/O; another provider may still take the request."""

    kind = "request"


class ConfigurationError(Error, ValueError):
    """The client or provider is not configured to send anything: no provider configured, a
    key that belongs to another provider, a ``provider:model`` prefix whose provider has no
    key, options that would be ignored. Raised before any I/O; the message names what to set
    and never contains a key."""

    kind = "configuration"


class TransportError(Error):
    """The connection failed: refused, reset, closed early, or a TLS problem."""

    kind = "transport"
    retryable = True


class StreamTimeout(TransportError):
    """A time budget ran out.

    Attributes:
        phase: Which one: ``"connect"``, ``"read"``, ``"write"``, ``"pool"`` (HTTP-level),
            or ``"first_event"``, ``"idle"``, ``"total"`` (the stream's own budgets).
        timeout: The budget in seconds, when known.
    """

    kind = "timeout"

    def __init__(
        self,
        message: str,
        *,
        phase: TimeoutPhase,
        timeout: float | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.phase: TimeoutPhase = phase
        self.timeout = timeout


class NoProviderLeft(Error):
    """Every candidate failed, or none could be tried: `errors` and `attempts` say how."""

    kind = "no_provider_left"

    def __init__(
        self, message: str, errors: Sequence[Error], attempts: Sequence[Attempt] = ()
    ) -> None:
        super().__init__(message)
        self.errors = tuple(errors)
        """Each failed attempt's error, in order."""
        self.attempts = tuple(attempts)
        """Each attempt's record (provider, model, error kind, status, ...), in order."""
        self.retryable = any(error.retryable for error in self.errors)


class StageError(Error):
    """A stage (`eventide.stages`) raised: the stream ends with this error, chained from
    what the stage raised, after the events handed on before it."""

    kind = "stage"


_STATUS_CLASSES: dict[int, type[ProviderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: BadRequestError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: OverloadedError,
    529: OverloadedError,
}


def provider_error_for_status(status_code: int | None) -> type[ProviderError]:
    """The `ProviderError` class for an HTTP status (408, 409 and 5xx are retryable)."""
    if status_code is None:
        return ProviderError
    cls = _STATUS_CLASSES.get(status_code)
    if cls is not None:
        return cls
    if status_code >= 500 or status_code == 408:
        return ServerError
    if status_code >= 400:
        return BadRequestError
    return ProviderError
