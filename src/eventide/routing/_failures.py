"""What a router makes of an exception that is not an `eventide.Error`.

A provider should raise nothing but `eventide.Error`; a router still meets other exceptions:
a ``ValueError`` or ``UnicodeEncodeError`` raised while a provider builds its request, an
``OSError`` (``ssl.SSLError`` among them) or an ``anyio`` stream error from a transport that
let one through, or an ``ExceptionGroup`` around one of these. None of them escapes raw:

- an ``OSError`` or an ``anyio`` stream error is the connection failing: a `TransportError`
  (retryable, like every connection failure);
- anything else is an `Error` of kind ``"error"``, not retryable (nothing says that trying
  the same candidate again would help), naming the exception's type and what was being done;
- a group of exactly one exception is that exception; a bigger group is an `Error`.

Each keeps the original as its ``__cause__``. A router treats the result as the attempt's
failure: before the commit point it moves on to the next candidate, after it the answer
fails with it. Cancellation and ``KeyboardInterrupt`` are not failures and are never wrapped.
"""

from __future__ import annotations

from typing import Final

import anyio

from .._errors import Error, TransportError

__all__ = ["as_error"]

_CONNECTION_FAILURES: Final = (
    OSError,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
)


def as_error(exc: Exception, *, doing: str, provider: str) -> Error:
    """`exc` as an `eventide.Error` (itself, if it is one), chained from it.

    Args:
        exc: What a provider, its transport or its stream raised.
        doing: What was being done, for the message (``"building the request"``).
        provider: The provider's name, set on the error when it names none.
    """
    inner: BaseException = exc
    while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
        inner = inner.exceptions[0]
    if isinstance(inner, Error):
        error = inner
    else:
        what = f"{type(inner).__name__}: {inner}" if str(inner) else type(inner).__name__
        if isinstance(inner, _CONNECTION_FAILURES):
            error = TransportError(f"connection failed while {doing}: {what}")
        else:
            error = Error(f"unexpected {what} while {doing}")
        error.__cause__ = inner
    if error.provider is None:
        error.provider = provider
    return error
