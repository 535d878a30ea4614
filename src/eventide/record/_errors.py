"""A failure as record data, and back: enough to raise the same typed error again.

The form keeps the error's class (by its ``kind``), message, provider and the fields its
class carries (status, code, retry_after, body excerpt, timeout phase, ...). Messages and
body excerpts are already free of the API key (`eventide._secrets.Redactor`).
"""

from __future__ import annotations

from typing import Any, Final

from .. import _errors
from .._errors import Error
from .._transport import TransportClosed

__all__ = ["RecordFormatError", "error_data", "error_from_data"]


class RecordFormatError(ValueError):
    """A record (or wire cassette) file that cannot be read: a truncated or corrupted line,
    an unknown format version. The message names the file and the line.

    Attributes:
        path: The file.
        line: The line number (from 1), or None for the file as a whole.
    """

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


def _error_classes() -> tuple[dict[str, type[Error]], dict[str, type[Error]]]:
    """eventide's error classes by name, and by kind (the class that names the kind: a
    subclass sharing its parent's kind is found by name)."""
    classes = [getattr(_errors, name) for name in _errors.__all__] + [TransportClosed]
    errors = [cls for cls in classes if isinstance(cls, type) and issubclass(cls, Error)]
    by_kind = {cls.kind: cls for cls in errors if "kind" in vars(cls)}
    return {cls.__name__: cls for cls in errors}, by_kind


_BY_NAME, _BY_KIND = _error_classes()
_FIELDS: Final = (
    "status_code",
    "body",
    "code",
    "retry_after",
    "phase",
    "timeout",
    "offset",
    "excerpt",
)


def error_data(error: Error) -> dict[str, Any]:
    """`error` as JSON-ready data: its kind, class name, message, provider, retryability,
    and each class-specific field it has."""
    data: dict[str, Any] = {
        "kind": error.kind,
        "class": type(error).__name__,
        "message": error.message,
        "provider": error.provider,
        "retryable": error.retryable,
    }
    for field in _FIELDS:
        if hasattr(error, field):
            data[field] = getattr(error, field)
    return data


def error_from_data(data: Any) -> Error:
    """The typed error `error_data` made `data` from: its class by name, else the class of
    its kind (a record from a version with other classes), else a plain `Error` keeping
    the kind.

    Raises:
        ValueError: `data` is not an error's data.
    """
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        raise ValueError(f"not an error: {data!r}")
    cls = _BY_NAME.get(data.get("class", "")) or _BY_KIND.get(data.get("kind", ""), Error)
    fields = {field: data[field] for field in _FIELDS if field in data}
    message, provider = data["message"], data.get("provider")
    error: Error
    if cls is _errors.NoProviderLeft:
        error = _errors.NoProviderLeft(message, ())
        error.provider = provider
    elif issubclass(cls, _errors.ProviderError):
        keys = ("status_code", "body", "code", "retry_after")
        error = cls(message, provider=provider, **{k: v for k, v in fields.items() if k in keys})
    elif issubclass(cls, _errors.StreamTimeout):
        phase = fields.get("phase", "total")
        error = cls(message, phase=phase, timeout=fields.get("timeout"), provider=provider)
    elif issubclass(cls, _errors.ProtocolError):
        error = cls(
            message,
            provider=provider,
            offset=fields.get("offset"),
            excerpt=fields.get("excerpt", ""),
        )
    else:
        error = cls(message, provider=provider)
        if cls is Error and data.get("kind"):
            error.kind = str(data["kind"])
    if isinstance(data.get("retryable"), bool) and data["retryable"] != error.retryable:
        error.retryable = data["retryable"]
    return error
