"""What every decoder is: a small state machine you feed bytes and get events from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .._events import Event

__all__ = ["Decoder"]


class Decoder(Protocol):
    """Turns one response body into events. Does no I/O.

    `feed()` takes the next chunk of body bytes and returns the events it completes, in
    order; `end()` marks the end of the body and returns what is left, or raises
    `ProtocolError` if the body stopped before its terminal event. `done` turns True at
    the terminal event (``[DONE]``, ``message_stop``, ...): the caller may stop reading.

    A failure raised from `feed()` carries, as its `pending_events` attribute, the events that
    the same call decoded before it; the caller delivers those first, then the error.
    The result never depends on where the body was cut into chunks.
    """

    @property
    def done(self) -> bool: ...

    def feed(self, data: bytes) -> list[Event]: ...

    def end(self) -> list[Event]: ...
