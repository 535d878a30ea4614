"""The one decoder driver: framing, JSON, `Metadata` first, the terminal event and the end of
the body, for every API; each API adds only a `Mapper` (what its payloads mean).

Rules it keeps for every API:

- the body is split into payloads by its framing (WHATWG server-sent events, or NDJSON);
  SSE events whose name the mapper does not read are skipped unread;
- each payload is one JSON object, or the mapper's sentinel (``[DONE]``, white space after
  it allowed): anything else is a `ProtocolError` ("not valid JSON", "not a JSON object"),
  and so is a payload whose fields do not have the API's shape;
- `Metadata` comes first, once: the one a payload names, else a default one, before the
  first other event;
- reading stops at the terminal event; whatever follows it is not part of the response,
  not even a fault;
- a body that ends before its terminal event is truncated (`ProtocolError`), unless it
  ended on an event boundary and the mapper's `on_end` completes it (Gemini, whose stream
  ends at EOF; OpenAI chat and Anthropic after their finish reason: see docs/providers.md,
  "When a stream is complete"); `end()` is called only when the HTTP body ended cleanly;
- a fault is held (h11's rule, see `Decoder`): the call that meets it returns what came
  before it, the next call raises it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from .._errors import Error, ProtocolError
from .._events import Metadata
from ._base import ErrorPayload
from ._json import decode, loads
from ._ndjson import NDJSONDecoder
from ._sse import DEFAULT_MAX_EVENT_BYTES, SSEFieldsDecoder
from ._text import excerpt

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._events import Event
    from ._base import Mapper

__all__ = ["MapperBase", "StreamDecoder", "served"]

# What a mapper raises when a payload's fields are not what the API documents.
_SHAPE_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError, RecursionError)
_UNNAMED = frozenset({"message"})  # the SSE events a mapper's `on_data` reads by default


class MapperBase:
    """A `Mapper`'s defaults: server-sent events, of which unnamed and ``error`` events are
    read; no sentinel; a body that ends before the terminal event is truncated."""

    __slots__ = ("_base", "done")

    framing = "sse"
    events: frozenset[str] = frozenset({"message", "error"})
    prefixes: tuple[str, ...] = ()
    sentinel: str | None = None

    def __init__(self, metadata: Metadata) -> None:
        self._base = metadata
        self.done = False

    def on_end(self, out: list[Event]) -> None:
        """The stream ends at its terminal event: an end before it is a truncation."""


class StreamDecoder:
    """Turn one streaming response body into events, with the `Mapper` of its API. Does no
    I/O. A subclass names its mapper class in `mapper_type`.

    Args:
        provider: The provider name to put in `Metadata` and in errors.
        requested_model: The model that was asked for.
        extra: Provider details for `Metadata.extra` (request id from headers, ...).
        max_event_bytes: The largest server-sent event (or NDJSON line) accepted.
    """

    __slots__ = ("_base", "_frames", "_held", "_mapper", "_metadata_sent", "_sse")

    mapper_type: ClassVar[type[Mapper]]

    def __init__(
        self,
        *,
        provider: str,
        requested_model: str,
        extra: Mapping[str, Any] | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        base = self._base = Metadata(
            provider=provider,
            model=requested_model,
            requested_model=requested_model,
            extra=dict(extra or {}),
        )
        mapper = self._mapper = self.mapper_type(base)
        self._sse = mapper.framing == "sse"
        self._frames: SSEFieldsDecoder | NDJSONDecoder = (
            SSEFieldsDecoder(max_event_bytes=max_event_bytes)
            if self._sse
            else NDJSONDecoder(max_line_bytes=max_event_bytes)
        )
        self._metadata_sent = False
        self._held: Error | None = None

    @property
    def done(self) -> bool:
        """True once the terminal event was read (and its failure, if any, raised)."""
        return self._mapper.done and self._held is None

    @property
    def failed(self) -> bool:
        """Whether a fault is held: the next `feed()` or `end()` raises it."""
        return self._held is not None

    def feed(self, data: bytes) -> list[Event]:
        """Take the next chunk of the body; return the events it completes.

        Raises:
            ProtocolError: Bytes that are not a valid stream of this API.
            ProviderError: The stream carried an error payload.
                Either names the provider; it is raised at once if this call completed no
                event, else held for the next call (`failed` turns True).
        """
        if self._held is not None:
            self._raise_held()
        mapper = self._mapper
        if mapper.done:
            return []  # whatever follows the terminal event is not part of the response
        out: list[Event] = []
        frames = self._frames
        try:
            payloads = frames.feed(data)
            if payloads:
                self._decode(payloads, out)
            if frames.failed and not mapper.done:
                frames.end()  # raises the framing fault held there
        except Error as exc:
            self._hold(exc, out)
        return out

    def end(self) -> list[Event]:
        """Mark the end of the body; return the last events.

        Raises:
            ProtocolError: The body ended before the terminal event (it was truncated).
            ProviderError: A held error payload. Like `feed()`, a fault met after events
                (in an NDJSON body's last line) is held for the next call.
        """
        if self._held is not None:
            self._raise_held()
        if self._mapper.done:
            return []
        mapper = self._mapper
        out: list[Event] = []
        frames = self._frames
        try:
            cut = self._sse and frames.pending
            last = frames.end()  # NDJSON: a last line without its LF is a line too
            if last:
                self._decode(last, out, final=True)
            if not mapper.done and not cut:
                mapper.on_end(out)
            if not mapper.done:
                where = ""
                if cut:
                    where = ", in the middle of an event"
                raise ProtocolError(
                    f"stream ended before {mapper.terminal}{where}: the response is truncated",
                    offset=frames.bytes_fed,
                )
            if not self._metadata_sent and out:
                out.insert(0, self._base)
        except Error as exc:
            self._hold(exc, out)
        return out

    def _hold(self, exc: Error, out: list[Event]) -> None:
        """Keep a fault for the next call, or raise it now if nothing came before it."""
        if exc.provider is None:
            exc.provider = self._base.provider
        self._held = exc
        if not out:
            self._raise_held()

    def _raise_held(self) -> None:
        exc = self._held
        assert exc is not None
        if self._mapper.done:  # a terminal error event: raised once, then the stream is over
            self._held = None
        raise exc

    def _decode(self, payloads: list[Any], out: list[Event], *, final: bool = False) -> None:
        mapper = self._mapper
        on_payload = mapper.on_payload
        events, prefixes, sentinel = mapper.events, mapper.prefixes, mapper.sentinel
        sse = self._sse
        # A mapper's typed path (`on_data`), once `Metadata` is out: it reads the payload's
        # text straight into typed structs, or does nothing and lets the loop go on below.
        typed = getattr(mapper, "on_data", None)
        typed_kinds = getattr(mapper, "data_events", _UNNAMED)
        kind = "message"
        for payload in payloads:
            if sse:
                data, kind, _, _ = payload
                if kind not in events and not kind.startswith(prefixes):
                    continue  # an event type the API does not define: skipped unread
            else:
                data = payload
            if typed is not None and kind in typed_kinds and self._metadata_sent:
                try:
                    handled = typed(data, out)
                except _SHAPE_ERRORS as exc:
                    raise self._shape_error(kind, loads(data), data, exc) from exc
                if handled:
                    if mapper.done:
                        return
                    continue
            if data == sentinel:
                kind, chunk = data, {}
            else:  # inline, not a method: this loop runs once per event
                try:
                    chunk = decode(data)
                except (ValueError, RecursionError):  # what json.loads may still accept
                    # "[DONE] ": openai-python stops at any data that starts with "[DONE]"
                    if sentinel is not None and data.rstrip() == sentinel:
                        kind, chunk = sentinel, {}
                    else:
                        chunk = self._loads(data, final)
                if type(chunk) is not dict:
                    what = "data line" if sse else "line"
                    raise self._protocol_error(f"{what} is not a JSON object", data)
            start = len(out)
            try:
                on_payload(kind, chunk, out)
            except ErrorPayload as signal:
                raise mapper.error(signal.payload, raw=data) from None
            except Error:
                self._first(chunk, out, start)
                raise
            except _SHAPE_ERRORS as exc:
                self._first(chunk, out, start)
                raise self._shape_error(kind, chunk, data, exc) from exc
            if not self._metadata_sent:
                self._first(chunk, out, start)
            if mapper.done:
                return

    def _loads(self, data: str, final: bool) -> Any:
        """`loads(data)`, its errors (deeply nested JSON too) made a `ProtocolError`."""
        try:
            return loads(data)
        except (ValueError, RecursionError):
            raise self._not_json(data, final) from None

    def _not_json(self, data: str, final: bool) -> ProtocolError:
        if final:  # the body's last line, without its LF
            message = (
                f"stream ended before {self._mapper.terminal}, in the middle of a line: "
                "the response is truncated"
            )
        else:
            message = f"{'data line' if self._sse else 'line'} is not valid JSON"
        return self._protocol_error(message, data)

    def _first(self, chunk: dict[str, Any], out: list[Event], start: int) -> None:
        """Put `Metadata` before the first other event, once."""
        if self._metadata_sent:
            return
        needed = len(out) > start
        metadata = self._mapper.metadata(chunk, needed=needed)
        if metadata is not None or needed:
            self._metadata_sent = True
            out.insert(start, metadata or self._base)

    def _shape_error(
        self, kind: str, chunk: dict[str, Any], data: str, exc: Exception
    ) -> ProtocolError:
        name = chunk.get("type")
        if type(name) is not str:
            name = kind if kind != "message" else None
        what = f"{name} event" if name else "chunk"
        return self._protocol_error(
            f"{what} does not have the {self._mapper.shape} shape ({exc})", data
        )

    def _protocol_error(self, message: str, data: str) -> ProtocolError:
        return ProtocolError(message, offset=self._frames.bytes_fed, excerpt=excerpt(data, 120))


def served(base: Metadata, model: Any, response_id: Any = None, **extra: Any) -> Metadata:
    """`base` with what a payload names: the served model and the response id (each only
    if it is a non-empty string), and `extra` added to `Metadata.extra`."""
    return attrs.evolve(
        base,
        model=model if isinstance(model, str) and model else base.model,
        response_id=response_id if isinstance(response_id, str) and response_id else None,
        extra={**base.extra, **extra} if extra else base.extra,
    )
