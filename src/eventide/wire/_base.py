"""What every decoder is: a small state machine you feed bytes and get events from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .._errors import Error, ProtocolError
from .._events import Finish

if TYPE_CHECKING:
    from .._events import Event
    from ._sse import SSEDecoder

__all__ = ["Decoder", "FramedDecoder", "SSEFramedDecoder"]


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

    @property
    def failed(self) -> bool:
        """Whether a fault is held, to be raised by the next `feed()` or `end()`."""

    def feed(self, data: bytes) -> list[Event]: ...

    def end(self) -> list[Event]: ...


class FramedDecoder:
    """The half every decoder shares: framing in, events out, failures that keep what came
    before them. A subclass splits bytes into frames (`_frames`: SSE messages, NDJSON
    lines) and turns frames into events (`_decode`); `feed()` is here, once."""

    __slots__ = ()

    _provider: str
    done: bool

    @property
    def failed(self) -> bool:
        """Whether a fault is held (never: a fault is raised by the call that meets it)."""
        return False

    def _frames(self, data: bytes) -> list[Any]:
        raise NotImplementedError

    def _decode(self, frames: list[Any], out: list[Event]) -> None:
        raise NotImplementedError

    def feed(self, data: bytes) -> list[Event]:
        """Take the next chunk of the body; return the events it completes.

        Raises:
            ProtocolError: Bytes that are not a valid stream of this format.
            ProviderError: The stream carried an error payload.
            Either names the provider and carries ``pending_events``: the events decoded
            before it in this call.
        """
        if self.done:
            return []  # whatever follows the terminal event is not part of the response
        out: list[Event] = []
        try:
            try:
                frames = self._frames(data)
            except ProtocolError as exc:  # the frames completed before the bad one come first
                self._decode(exc.pending_events, out)
                if out and type(out[-1]) is Finish:
                    return out  # the terminal event came first: what follows does not matter
                raise
            if frames:
                self._decode(frames, out)
        except Error as exc:
            self._claim(exc, out)
            raise
        return out

    def _claim(self, exc: Error, out: list[Event]) -> None:
        """Name the provider on a failure and attach the events decoded before it."""
        if exc.provider is None:
            exc.provider = self._provider
        exc.pending_events = out


class SSEFramedDecoder(FramedDecoder):
    """A `FramedDecoder` over server-sent events whose stream ends at a terminal event
    (`_terminal_name` names it in the truncation error)."""

    __slots__ = ()

    _sse: SSEDecoder
    _terminal_name: ClassVar[str]

    def _frames(self, data: bytes) -> list[Any]:
        return self._sse.feed(data)

    def end(self) -> list[Event]:
        """Mark the end of the body.

        Raises:
            ProtocolError: The body ended before the terminal event (it was truncated).
        """
        if self.done:
            return []
        cut_mid_event = self._sse.pending
        self._sse.end()
        where = "in the middle of an event" if cut_mid_event else "between events"
        raise ProtocolError(
            f"stream ended before {self._terminal_name}, {where}: the response is truncated",
            provider=self._provider,
            offset=self._sse.bytes_fed,
        )
