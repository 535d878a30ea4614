"""`Tracker`: what one stream reports, from its first read to its one end.

A stream makes its tracker on its first read (`watch`), hands it each batch it delivers and
ends it exactly once, from its one close path, with an `Outcome`. Nesting is read from a
context variable that a stream sets while its first read runs (that is when a router opens
its attempts):

- a stream opened outside any tracked stream is a request: it gets a span;
- a stream opened by a router while it chooses is an attempt: it gets a span, a child of
  the router's (a failed attempt ends with its error);
- a stream opened inside any other stream (a stage over its provider) is the same request
  seen from inside: it reports nothing, but a router there still parents its attempts under
  the outer span.

Per batch the tracker counts it, notes the first one's time and `Metadata`, and looks at
the batch's trailing non-content events only (where `Usage` and `Finish` come); per event it
does nothing unless the ``eventide`` logger is enabled for DEBUG.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import time
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Final, final
from urllib.parse import urlsplit

import trio

from .._errors import Error
from .._events import CONTENT_EVENTS, Finish, Metadata, TextDelta, ToolCall, Usage
from ._sinks import LOGGER, instruments

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.trace import Span

    from .._events import Event
    from ._otel import Instruments

__all__ = ["Outcome", "Tracker", "outcome_of", "watch"]

_CONTENT: Final = frozenset(CONTENT_EVENTS)
_CAPTURED: Final = frozenset({TextDelta, ToolCall})
_CAPTURE_ENV: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_INFO: Final = logging.INFO
_DEBUG: Final = logging.DEBUG


class Outcome(enum.Enum):
    """How a stream ended (the span's ``eventide.outcome``)."""

    COMPLETE = "complete"
    """The provider's terminal event was read."""
    ERROR = "error"
    """A failure ended it (an `eventide.Error`)."""
    CANCELLED = "cancelled"
    """A read was cancelled (a cancel scope, a timeout of the caller's, a task group)."""
    ABANDONED = "abandoned"
    """The consumer closed it (or dropped it) before the end of the response."""


def outcome_of(exc: BaseException) -> Outcome:
    """CANCELLED for trio's or asyncio's cancellation, else ERROR."""
    if isinstance(exc, (trio.Cancelled, asyncio.CancelledError)):
        return Outcome.CANCELLED
    return Outcome.ERROR


# The stream whose first read is running: the parent of the streams that read opens.
_SCOPE: ContextVar[Tracker | None] = ContextVar("eventide_telemetry_scope", default=None)


def watch(source: Any) -> Tracker | None:
    """The tracker of a stream over ``source``, on its first read; None when nothing reports
    (telemetry off and logging below INFO, or a stream inside a stream that reports)."""
    otel = instruments()
    log = LOGGER.isEnabledFor(_INFO)
    if otel is None and not log:
        return None
    routes: bool = getattr(source, "routes", False)
    scope = _SCOPE.get()
    if scope is None:
        return Tracker(source, otel, log, parent=None, attempt=False, routes=routes)
    if scope._routes:  # a router's attempt
        return Tracker(source, otel, log, parent=scope, attempt=True, routes=routes)
    if routes:  # a router inside a stage: its attempts go under the outer request
        return Tracker.relay(scope)
    return None


@final
class Tracker:
    """The report of one stream: a span (when OpenTelemetry is on), metrics, a log record.

    Made by `watch`; `EventStream` calls `enter`/`leave` around its first read, `batch` for
    each batch it delivers and `end` from its close path (only the first call counts).
    """

    __slots__ = (
        "_attempt",
        "_batches",
        "_debug",
        "_ended",
        "_finish",
        "_first",
        "_log",
        "_meta",
        "_otel",
        "_output",
        "_parent",
        "_provider",
        "_relay",
        "_routes",
        "_server",
        "_span",
        "_start",
        "_usage",
        "model",
    )

    def __init__(
        self,
        source: Any,
        otel: Instruments | None,
        log: bool,
        *,
        parent: Tracker | None,
        attempt: bool,
        routes: bool,
    ) -> None:
        self._start = time.perf_counter()
        self._otel = otel
        self._log = log
        self._debug = log and LOGGER.isEnabledFor(_DEBUG)
        self._parent = parent
        self._attempt = attempt
        self._routes = routes
        self._relay = False
        self._provider: str = source.provider
        self.model: str = source.model
        self._server = _server(source)
        self._meta: Metadata | None = None
        self._usage: Usage | None = None
        self._finish: Finish | None = None
        self._first: float | None = None
        self._batches = 0
        self._ended = False
        self._span: Span | None = None
        self._output: list[Event] | None = None
        if otel is not None:
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": self._provider,
                "gen_ai.request.model": self.model,
                "gen_ai.request.stream": True,
            }
            if self._server is not None:
                attributes["server.address"], attributes["server.port"] = self._server
            if attempt:
                attributes["eventide.attempt"] = True
            under = parent._span if parent is not None else None
            self._span = otel.start(f"chat {self.model}".rstrip(), attributes, under)
            if self._span.is_recording() and _capturing():
                self._output = []

    @classmethod
    def relay(cls, outer: Tracker) -> Tracker:
        """A tracker that reports nothing and parents a router's attempts under ``outer``."""
        relay = cls.__new__(cls)
        relay._relay = True
        relay._routes = True
        relay._span = outer._span
        relay._otel = outer._otel
        relay._log = outer._log
        relay._ended = True  # nothing to end
        return relay

    @property
    def span(self) -> Span | None:
        """The stream's span (None when OpenTelemetry is off)."""
        return self._span

    def enter(self) -> Token[Tracker | None]:
        """Make this stream the parent of the streams its first read opens."""
        return _SCOPE.set(self)

    @staticmethod
    def leave(token: Token[Tracker | None]) -> None:
        """Undo `enter`."""
        _SCOPE.reset(token)

    def batch(self, events: Sequence[Event]) -> None:
        """Note a delivered batch: its time if first, `Metadata`, a trailing Usage/Finish."""
        if self._relay:
            return
        self._batches += 1
        if self._first is None:
            self._first = time.perf_counter()
            head = events[0]
            if type(head) is Metadata:
                self._meta = head
        for i in range(len(events) - 1, -1, -1):
            kind = type(events[i])
            if kind is Usage:
                self._usage = events[i]  # type: ignore[assignment]
            elif kind is Finish:
                self._finish = events[i]  # type: ignore[assignment]
            elif kind in _CONTENT:
                break
        output = self._output
        if output is not None:  # content capture was opted in
            output.extend(event for event in events if type(event) in _CAPTURED)
        if self._debug:
            for event in events:
                LOGGER.debug("%s %s event %r", self._provider, self.model, event)

    def end(self, outcome: Outcome, error: BaseException | None = None) -> None:
        """End the report (the first call only): the span, the metrics, the log record."""
        if self._ended:
            return
        self._ended = True
        end = time.perf_counter()
        meta = self._meta
        provider = meta.provider if meta is not None else self._provider
        response_model = _response_model(meta, self._finish)
        kind = _error_type(outcome, error)
        if self._otel is not None:
            self._report(self._otel, outcome, error, kind, provider, response_model, end)
        if self._log:
            self._log_record(outcome, kind, provider, response_model, end)

    # -- reporting ---------------------------------------------------------------------

    def _report(
        self,
        otel: Instruments,
        outcome: Outcome,
        error: BaseException | None,
        kind: str | None,
        provider: str,
        response_model: str | None,
        end: float,
    ) -> None:
        common: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": self.model,
        }
        if response_model is not None:
            common["gen_ai.response.model"] = response_model
        if self._server is not None:
            common["server.address"], common["server.port"] = self._server
        if kind is not None:
            common["error.type"] = kind
        span = self._span
        if span is not None and span.is_recording():
            self._finish_span(span, outcome, error, common)
        if self._attempt:
            return  # the request's own span and metrics count the operation once
        otel.duration.record(end - self._start, common)
        usage = self._usage
        if usage is not None:
            if usage.input_tokens is not None:
                otel.tokens.record(usage.input_tokens, {**common, "gen_ai.token.type": "input"})
            if usage.output_tokens is not None:
                otel.tokens.record(usage.output_tokens, {**common, "gen_ai.token.type": "output"})
        first = self._first
        if otel.latest and first is not None and kind is None:
            otel.first_chunk.record(first - self._start, common)
            if self._batches > 1:
                otel.per_chunk.record((end - first) / (self._batches - 1), common)

    def _finish_span(
        self, span: Span, outcome: Outcome, error: BaseException | None, common: dict[str, Any]
    ) -> None:
        attributes = dict(common)
        attributes["eventide.outcome"] = outcome.value
        meta = self._meta
        if meta is not None:
            if meta.response_id is not None:
                attributes["gen_ai.response.id"] = meta.response_id
            if meta.attempts:
                attributes["eventide.failed_attempts"] = len(meta.attempts)
        if self._first is not None:
            attributes["gen_ai.response.time_to_first_chunk"] = self._first - self._start
        usage = self._usage
        if usage is not None:
            if usage.input_tokens is not None:
                attributes["gen_ai.usage.input_tokens"] = usage.input_tokens
            if usage.output_tokens is not None:
                attributes["gen_ai.usage.output_tokens"] = usage.output_tokens
        if self._finish is not None:
            attributes["gen_ai.response.finish_reasons"] = (self._finish.reason,)
        if self._output is not None:
            attributes["gen_ai.output.messages"] = _output_messages(self._output, self._finish)
        span.set_attributes(attributes)
        if outcome is Outcome.ERROR or outcome is Outcome.CANCELLED:
            from ._otel import error_status

            description = _describe(error) if outcome is Outcome.ERROR else "cancelled"
            span.set_status(error_status(description))
        span.end()

    def _log_record(
        self,
        outcome: Outcome,
        kind: str | None,
        provider: str,
        response_model: str | None,
        end: float,
    ) -> None:
        usage = self._usage
        first = self._first
        LOGGER.log(
            _DEBUG if self._attempt else _INFO,
            "%s %s provider=%s model=%s response_model=%s outcome=%s error=%s "
            "input_tokens=%s output_tokens=%s finish=%s first_chunk_s=%s duration_s=%.6f",
            "attempt" if self._attempt else "request",
            "chat",
            provider,
            self.model,
            response_model,
            outcome.value,
            kind,
            usage.input_tokens if usage is not None else None,
            usage.output_tokens if usage is not None else None,
            self._finish.reason if self._finish is not None else None,
            f"{first - self._start:.6f}" if first is not None else None,
            end - self._start,
            extra={
                "eventide_provider": provider,
                "eventide_model": self.model,
                "eventide_outcome": outcome.value,
            },
        )


def _capturing() -> bool:
    """Whether message content may be recorded: only when the application opts in."""
    return os.environ.get(_CAPTURE_ENV, "").strip().lower() == "true"


def _output_messages(output: Sequence[Event], finish: Finish | None) -> str:
    """``gen_ai.output.messages`` as the conventions shape it (JSON): one assistant message
    with its text and tool calls, in the order they came."""
    parts: list[dict[str, Any]] = []
    text: list[str] = []
    for event in output:
        if type(event) is TextDelta:
            text.append(event.text)
            continue
        if text:
            parts.append({"type": "text", "content": "".join(text)})
            text = []
        if type(event) is ToolCall:
            parts.append(
                {"type": "tool_call", "id": event.id, "name": event.name, "arguments": _json(event)}
            )
    if text:
        parts.append({"type": "text", "content": "".join(text)})
    message: dict[str, Any] = {"role": "assistant", "parts": parts}
    if finish is not None:
        message["finish_reason"] = finish.reason
    return json.dumps([message], ensure_ascii=False)


def _json(call: ToolCall) -> Any:
    """A tool call's arguments as JSON, or as their text when they are not JSON."""
    try:
        return json.loads(call.arguments)
    except ValueError:
        return call.arguments


def _server(source: Any) -> tuple[str, int] | None:
    """The host and port a source's HTTP request goes to (never its path or query)."""
    request = getattr(source, "_request", None)
    url = getattr(request, "url", None)
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname else None


def _response_model(meta: Metadata | None, finish: Finish | None) -> str | None:
    if finish is not None and finish.model:
        return finish.model
    return meta.model if meta is not None else None


def _error_type(outcome: Outcome, error: BaseException | None) -> str | None:
    """``error.type``: the eventide error's kind, ``cancelled``, or the exception's class."""
    if outcome is Outcome.CANCELLED:
        return "cancelled"
    if outcome is not Outcome.ERROR:
        return None
    if isinstance(error, Error):
        return error.kind
    return type(error).__qualname__ if error is not None else "error"


def _describe(error: BaseException | None) -> str:
    """The span status description: the error's class and message (errors carry no
    secrets: providers' redactors have already hidden them)."""
    if error is None:
        return "error"
    return f"{type(error).__name__}: {error}"[:500]
