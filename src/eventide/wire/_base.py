"""What every decoder is (a small state machine you feed bytes), and what each API adds to the
one driver that implements it (a `Mapper`: payloads in, events out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .._errors import ProtocolError

if TYPE_CHECKING:
    from .._errors import ProviderError
    from .._events import Event, Metadata

__all__ = ["Decoder", "ErrorPayload", "Framer", "Mapper"]

_T = TypeVar("_T")


class ErrorPayload(Exception):  # a signal from mapper to driver, not an eventide error
    """Raised by a mapper: this payload is the API's error. The driver raises the typed error
    (`Mapper.error`) with the payload's text."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self.payload = payload


class Decoder(Protocol):
    """Turns one response body into events. Does no I/O.

    `feed()` takes the next chunk of body bytes and returns the events it completes, in
    order; `end()` marks the end of the body and returns what is left, or raises
    `ProtocolError` if the body stopped before its terminal event. `done` turns True at
    the terminal event (``[DONE]``, ``message_stop``, ...): the caller may stop reading.
    The result never depends on where the body was cut into chunks.

    A decoder holds its failure (h11's rule): a `feed()` that meets a fault returns the
    events it completed before it, and the next `feed()` or `end()` raises the fault; when
    it completed none, it raises at once. `failed` says a fault is held, so that a reader
    calls `end()` (which raises it) rather than wait for more bytes. A fault after the
    terminal event is no fault: the response was already complete.
    """

    @property
    def done(self) -> bool: ...

    @property
    def failed(self) -> bool: ...

    def feed(self, data: bytes) -> list[Event]: ...

    def end(self) -> list[Event]: ...


class Mapper(Protocol):
    """One API's half of a decoder: what its JSON payloads mean. The driver
    (`eventide.wire.StreamDecoder`) frames the body, parses each payload as a JSON object,
    puts `Metadata` first, wraps shape errors in `ProtocolError` and applies the end-of-body
    rule; the mapper only maps.

    Read-only attributes (class attributes, usually) configure the driver: `framing`
    (``"sse"`` or ``"ndjson"``); `events` and `prefixes`, the SSE event names whose data is
    read (any other event is skipped unread); `sentinel`, a data line that is not JSON and
    reaches `on_payload` as its kind with an empty payload (``[DONE]``); `shape`, the API's
    name in shape errors; `terminal`, what the body must reach before it ends, named in the
    truncation error.

    A mapper may also have ``on_data(data: str, out: list[Event]) -> bool``, a typed path
    for its usual payload: the driver calls it, once `Metadata` was sent, with the text of
    each unnamed (``message``) payload, or of each event named in its ``data_events`` if it
    has one; it either appends exactly the events `on_payload` would for that text (raising
    what it would) and returns True, or, for a text it does not read, does nothing and
    returns False (the driver then parses it as a dict).
    """

    @property
    def framing(self) -> str: ...
    @property
    def events(self) -> frozenset[str]: ...
    @property
    def prefixes(self) -> tuple[str, ...]: ...
    @property
    def sentinel(self) -> str | None: ...
    @property
    def shape(self) -> str: ...
    @property
    def terminal(self) -> str: ...
    @property
    def done(self) -> bool:
        """True at the terminal event: the driver stops reading."""
        ...

    def __init__(self, metadata: Metadata) -> None:
        """Start a response whose default `Metadata` (provider, requested model) is given."""

    def metadata(self, payload: dict[str, Any], *, needed: bool) -> Metadata | None:
        """The `Metadata` to send now, or None to wait for a payload that names the model.

        The driver asks while no `Metadata` was sent. `needed`: the payload made events,
        so `Metadata` goes before them: from what this payload says (response id, ...),
        else None for the default one."""
        ...

    def on_payload(self, kind: str, payload: dict[str, Any], out: list[Event]) -> None:
        """Append the events one payload means to `out`. `kind` is the SSE event name
        (``"message"`` when unnamed or for NDJSON), or the sentinel.

        Raises:
            ErrorPayload: The payload (or the one it carries) is the API's error.
            ProtocolError: The payload makes no sense here.
            TypeError, KeyError, ValueError...: The payload does not have the API's shape
                (the driver makes it a `ProtocolError`).
        """
        ...

    def error(self, payload: Any, *, raw: str) -> ProviderError:
        """The typed error for an error payload (the API's ``*_error`` function)."""
        ...

    def on_end(self, out: list[Event]) -> None:
        """The body ended cleanly, on an event boundary, before `done`: append the final
        events and set `done` if what came is a complete response (the API's stream ends at
        EOF, or its finish reason came); leaving `done` False makes the body truncated."""
        ...


class Framer(Generic[_T]):
    """The half of a framing layer (`SSEDecoder`, `NDJSONDecoder`) that holds its failure:
    `feed()` returns what `_feed()` completed before a `ProtocolError` and raises it on the
    next call; `end()` in a subclass calls `_raise_held()` first."""

    __slots__ = ("_bytes_fed", "_failure")

    def __init__(self) -> None:
        self._failure: ProtocolError | None = None
        self._bytes_fed = 0

    @property
    def bytes_fed(self) -> int:
        """How many bytes have been fed so far."""
        return self._bytes_fed

    @property
    def failed(self) -> bool:
        """Whether a fault is held: the next `feed()` or `end()` raises it."""
        return self._failure is not None

    def feed(self, data: bytes) -> list[_T]:
        """Take the next chunk of the body; return the frames it completes.

        Raises:
            ProtocolError: Bytes this framing cannot take: at once if this call completed
                no frame, else on the next call.
        """
        self._raise_held()
        self._bytes_fed += len(data)
        out: list[_T] = []
        try:
            self._feed(data, out)
        except ProtocolError as exc:
            self._failure = exc
            if not out:
                raise
        return out

    def _feed(self, data: bytes, out: list[_T]) -> None:
        raise NotImplementedError

    def _raise_held(self) -> None:
        if self._failure is not None:
            raise self._failure
