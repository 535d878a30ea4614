"""`StageBase`: a stage that hands everything on unchanged; the built-ins override what they
change."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._errors import Error
    from .._events import Event
    from .._request import Request

__all__ = ["StageBase"]


class StageBase:
    """A `Stage` that changes nothing: the request goes out as it is, every batch and
    error comes back as it is. Subclasses override only what they change."""

    __slots__ = ()

    def start(self, request: Request) -> Request:
        """Send `request` unchanged."""
        return request

    def feed(self, events: list[Event]) -> list[Event]:
        """Hand `events` on unchanged (the same list: no copy)."""
        return events

    def end(self) -> list[Event]:
        """Nothing is held back: no more events."""
        return []

    def fail(self, error: Error) -> Error:
        """Raise `error` unchanged."""
        return error

    def close(self) -> None:
        """Nothing to release."""
