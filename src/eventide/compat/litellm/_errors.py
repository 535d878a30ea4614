"""litellm's exception names, on eventide's one tree, and what litellm raises for an
eventide error (the last attempt's, a context-window error under its own name)."""

from __future__ import annotations

from typing import NoReturn, final

from ..._errors import (
    BadRequestError,
    Error,
    NoProviderLeft,
    OverloadedError,
    ProviderError,
    ServerError,
    StreamTimeout,
    TransportError,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "ContextWindowExceededError",
    "InternalServerError",
    "ServiceUnavailableError",
    "Timeout",
    "raise_as_litellm",
]

# litellm's exception names, on eventide's one tree
APIError = ProviderError
APIConnectionError = TransportError
Timeout = StreamTimeout
ServiceUnavailableError = OverloadedError
InternalServerError = ServerError


@final
class ContextWindowExceededError(BadRequestError):
    """The prompt does not fit the model's context window: the `BadRequestError` a provider
    answers with OpenAI's ``context_length_exceeded`` code or Anthropic's "prompt is too
    long", as litellm raises it."""

    kind = "context_window_exceeded"


def _context_window(error: Error) -> Error:
    """`error`, as a `ContextWindowExceededError` when it says the prompt is too long."""
    if not isinstance(error, BadRequestError) or isinstance(error, ContextWindowExceededError):
        return error
    if error.code != "context_length_exceeded" and "prompt is too long" not in error.message:
        return error
    moved = ContextWindowExceededError(
        error.message,
        provider=error.provider,
        status_code=error.status_code,
        body=error.body,
        code=error.code,
        retry_after=error.retry_after,
    )
    moved.partial, moved.content_emitted = error.partial, error.content_emitted
    return moved


def raise_as_litellm(error: Error) -> NoReturn:
    """Raise what litellm raises for `error` (see `_litellm_error`), chained to it."""
    mapped = _litellm_error(error)
    if mapped is error:
        raise error
    raise mapped from error


def _litellm_error(error: Error) -> Error:
    """What litellm raises for `error`: the last attempt's error when fallbacks ran out (as
    litellm re-raises the last one), a context-window error under its own name."""
    if isinstance(error, NoProviderLeft) and error.errors:
        return _litellm_error(error.errors[-1])
    return _context_window(error)
