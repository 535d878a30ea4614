"""litellm's exception names, on eventide's one tree, and what litellm raises for an
eventide error (the last attempt's, a context-window error under its own name).

The names are eventide's classes, so ``except litellm.RateLimitError`` catches eventide's
errors. What `raise_as_litellm` raises is a copy of the error, every attribute kept, whose
class is a subclass of the error's own (a `ContextWindowExceededError` for a prompt too long)
with what litellm's exceptions have beyond eventide's: ``llm_provider`` (the `provider`),
``model``, and the ``status_code`` litellm gives a connection failure (500) or a timeout (408).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, NoReturn, final

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

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "APIConnectionError",
    "APIError",
    "ContextWindowExceededError",
    "InternalServerError",
    "LitellmFields",
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

CONNECTION_STATUS: Final = 500
"""The ``status_code`` litellm gives an `APIConnectionError`."""
TIMEOUT_STATUS: Final = 408
"""The ``status_code`` litellm gives a `Timeout`."""


class LitellmFields:
    """What litellm's exceptions carry beyond eventide's errors; mixed into the class of
    every error `raise_as_litellm` raises.

    Attributes:
        model: The model the failed request asked for, when known.
        status_code: The HTTP status: a `ProviderError`'s own; 500 for a connection failure
            and 408 for a timeout, as litellm says; else None.
    """

    args: tuple[Any, ...]
    provider: str | None
    model: str | None = None
    status_code: int | None = None

    @property
    def llm_provider(self) -> str | None:
        """The provider that failed: `Error.provider`, by litellm's name."""
        return self.provider

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the litellm form of its eventide class, made again when loaded (a
        task's error crosses processes so: Dask, Ray, ``ProcessPoolExecutor``)."""
        cls = getattr(type(self), "_eventide_class", type(self))
        return (_litellm_error, (cls, self.args, vars(self)))


class _ConnectionFields(LitellmFields):
    status_code: int = CONNECTION_STATUS


class _TimeoutFields(LitellmFields):
    status_code: int = TIMEOUT_STATUS


@final
class ContextWindowExceededError(LitellmFields, BadRequestError):
    """The prompt does not fit the model's context window: the `BadRequestError` a provider
    answers with OpenAI's ``context_length_exceeded`` code or Anthropic's "prompt is too
    long", as litellm raises it."""

    kind = "context_window_exceeded"


_CLASSES: dict[type[Error], type[Error]] = {}


def _litellm_class(cls: type[Error]) -> type[Error]:
    """`cls` with `LitellmFields`: `cls` itself when it has them, else a subclass named as
    `cls` is, made once."""
    if issubclass(cls, LitellmFields):
        return cls
    made = _CLASSES.get(cls)
    if made is None:
        fields: type[LitellmFields] = LitellmFields
        if issubclass(cls, TransportError):
            fields = _TimeoutFields if issubclass(cls, StreamTimeout) else _ConnectionFields
        namespace = {
            "__module__": __name__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "_eventide_class": cls,
        }
        made = _CLASSES[cls] = type(cls.__name__, (fields, cls), namespace)
    return made


def _litellm_error(cls: type[Error], args: tuple[Any, ...], state: Mapping[str, Any]) -> Error:
    """An error of `cls`'s litellm form with `args` and the attributes `state`, not built
    by ``__init__`` (error classes differ in what theirs needs)."""
    made = _litellm_class(cls)
    error = made.__new__(made, *args)
    error.args = args
    vars(error).update(state)
    return error


def _says_context_window(error: Error) -> bool:
    return isinstance(error, BadRequestError) and (
        error.code == "context_length_exceeded" or "prompt is too long" in error.message
    )


def raise_as_litellm(
    error: Error, *, model: str | None = None, asked: str | None = None
) -> NoReturn:
    """Raise what litellm raises for `error`, chained to it: the last attempt's error when
    fallbacks ran out (as litellm re-raises the last one), as a `ContextWindowExceededError`
    when it says the prompt is too long, with `LitellmFields` (``llm_provider``, ``model``).

    Args:
        error: What eventide raised.
        model: The model the request asked for; default: the last attempt's, when a router
            recorded it, else the partial answer's (a failure after the stream began), else
            `asked`.
        asked: The model the call asked for first, when nothing else names one.
    """
    last = error
    while isinstance(last, NoProviderLeft) and last.errors:
        last = last.errors[-1]
    cls = ContextWindowExceededError if _says_context_window(last) else type(last)
    state = {**vars(last), "model": model or _known_model(error, last) or asked}
    raise _litellm_error(cls, last.args, state) from error


def _known_model(error: Error, last: Error) -> str | None:
    """The model the failed request asked for, when eventide knows it: the last attempt's
    (a router records each), the partial answer's, or a litellm error's own."""
    attempts = error if isinstance(error, NoProviderLeft) else error.__cause__
    if isinstance(attempts, NoProviderLeft) and attempts.attempts:
        return attempts.attempts[-1].model
    if last.partial is not None and last.partial.metadata is not None:
        return last.partial.metadata.requested_model
    return last.model if isinstance(last, LitellmFields) else None
