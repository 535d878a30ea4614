"""Every eventide error survives the record: the same class, message and fields."""

from __future__ import annotations

import pytest

from eventide import _errors
from eventide._errors import Error, NoProviderLeft, StreamTimeout
from eventide._transport import TransportClosed
from eventide.record._errors import error_data, error_from_data

CLASSES = [getattr(_errors, name) for name in _errors.__all__]
ERRORS = [cls for cls in CLASSES if isinstance(cls, type) and issubclass(cls, Error)]


def _make(cls: type[Error]) -> Error:
    if cls is NoProviderLeft:
        return NoProviderLeft("all failed", ())
    if issubclass(cls, StreamTimeout):
        return cls("slow", phase="idle", timeout=2.5, provider="p")
    if issubclass(cls, _errors.ProviderError):
        return cls("no", provider="p", status_code=429, body="{}", code="c", retry_after=1.5)
    if issubclass(cls, _errors.ProtocolError):
        return cls("bad", provider="p", offset=12, excerpt="data: {")
    return cls("failed", provider="p")


@pytest.mark.parametrize("cls", [*ERRORS, TransportClosed], ids=lambda cls: cls.__name__)
def test_error_round_trip(cls: type[Error]) -> None:
    error = _make(cls)
    again = error_from_data(error_data(error))
    assert type(again) is cls
    assert error_data(again) == error_data(error)
    assert str(again) == str(error)


def test_unknown_class_falls_back_to_its_kind_then_to_error() -> None:
    data = error_data(_errors.RateLimitError("slow down", provider="p", retry_after=3.0))
    later = {**data, "class": "SomeNewRateLimitError"}
    assert type(error_from_data(later)) is _errors.RateLimitError
    unknown = error_from_data({**data, "class": "X", "kind": "novel", "retryable": True})
    assert type(unknown) is Error
    assert unknown.kind == "novel"
    assert unknown.retryable is True
    with pytest.raises(ValueError, match="not an error"):
        error_from_data({"kind": "server"})
