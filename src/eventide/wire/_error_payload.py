"""`error_from_payload`: the typed error for an API's error body or in-stream error payload.

Every API says the same things in its own words: a message, its own error code, sometimes the
HTTP status it stands for. Each API's ``*_error`` function reads its words and passes them
here; the rules they share are written once:

- the message is the error object's ``message``, an error given as a string, or a top-level
  ``message``; else a readable excerpt of the body; else "no error message";
- the class is the one the API's code means, else the HTTP status's (`provider_error_for_status`),
  else the API's fallback; HTTP 200 (an error after the status line) says nothing;
- the message starts with ``HTTP <status>:`` when a real HTTP error status came with it;
- the error keeps the payload's error object (``{"error": {...}}``) for its ``type`` and
  ``param``: an error inside the stream has no response to read them from.
"""

from __future__ import annotations

from typing import Any

from .._errors import ProviderError, provider_error_for_status
from ._text import excerpt, readable

__all__ = ["error_from_payload", "error_message"]


def error_message(payload: Any) -> str:
    """The message an error payload carries ("" when it carries none)."""
    if not isinstance(payload, dict):
        return ""
    error = payload.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    if isinstance(error, str):
        return error
    message = payload.get("message")
    return message if isinstance(message, str) else ""


def error_from_payload(
    payload: Any,
    *,
    status_code: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
    code: str | None = None,
    named_status: Any = None,
    by_code: type[ProviderError] | None = None,
    fallback: type[ProviderError] = ProviderError,
    message: str | None = None,
    suffix: str = "",
    retryable: bool | None = None,
) -> ProviderError:
    """Build the typed error for an error payload.

    Args:
        payload: The decoded JSON, or None when the body was not JSON.
        status_code: The HTTP status, if the payload came with one (None mid-stream).
        retry_after: Seconds the provider asked to wait, if known.
        raw: The body or event text, for the excerpt (and the message, if none is given).
        code: The API's own error code or type, kept on the error.
        named_status: A status the payload itself names: used when the HTTP status is
            absent or 200, if it is an int between 400 and 599.
        by_code: The class the API's code means; it wins over the status.
        fallback: The class when neither the code nor a status says.
        message: The message, when the API keeps it elsewhere (default: `error_message`).
        suffix: Text appended to the message (a request id).
        retryable: Overrides the class's `retryable` (out of credit: False).
    """
    status = None if status_code == 200 else status_code
    if status is None and type(named_status) is int and 400 <= named_status <= 599:
        status = named_status  # an in-stream error: the status it stands for
    cls = by_code or provider_error_for_status(status)
    if cls is ProviderError:
        cls = fallback
    text = (message if message is not None else error_message(payload)) or (
        readable(raw) or "no error message"
    )
    where = f"HTTP {status_code}: " if status_code not in (None, 200) else ""
    nested = payload.get("error") if isinstance(payload, dict) else None
    exc = cls(
        f"{where}{text}{suffix}",
        status_code=status,
        body=excerpt(raw),
        code=code,
        retry_after=retry_after,
        error_object=nested if isinstance(nested, dict) else None,
    )
    if retryable is not None:
        exc.retryable = retryable
    return exc
