"""The one log line of each request: who served, how, and how it ended (never content).

Each value is one token of the line: plain printable text without spaces as it is, any
other (a model name with a space or a line break, an empty one) as its Python repr, quoted
and escaped, so no value can end the line or pass for another field.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, final

from .._events import CONTENT_EVENTS, Metadata, Usage

if TYPE_CHECKING:
    from .._events import Event

__all__ = ["RequestLog"]

log = logging.getLogger("eventide.gateway")

_CONTENT = frozenset(CONTENT_EVENTS)


def _token(value: object) -> str:
    """`value` as one token of the line (module docstring)."""
    text = str(value)
    return text if text.isprintable() and text and " " not in text else repr(text)


@final
class RequestLog:
    """What one request's log line says, filled in as its events pass.

    Args:
        api: The API the client spoke (``"chat"``, ``"messages"``), or the path of a
            refused request to no API.
    """

    __slots__ = ("api", "first", "metadata", "outcome", "start", "status", "usage", "written")

    def __init__(self, api: str) -> None:
        self.api = api
        self.start = time.monotonic()
        self.first: float | None = None
        self.metadata: Metadata | None = None
        self.usage: Usage | None = None
        self.outcome = "client_gone"
        self.status = 200
        self.written = False

    def see(self, events: list[Event]) -> None:
        """Note the metadata, the usage and the time of the first content in `events`."""
        for event in events:
            if type(event) is Metadata:
                self.metadata = event
            elif type(event) is Usage:
                self.usage = event
            elif self.first is None and type(event) in _CONTENT:
                self.first = time.monotonic()

    def write(self) -> None:
        """Log the line (once)."""
        if self.written:
            return
        self.written = True
        metadata, usage = self.metadata, self.usage
        ttft = "-" if self.first is None else f"{(self.first - self.start) * 1000:.0f}ms"
        log.info(
            "%s provider=%s model=%s attempts=%s tokens_in=%s tokens_out=%s ttft=%s "
            "time=%.0fms status=%s outcome=%s",
            _token(self.api),
            _token(metadata.provider) if metadata else "-",
            _token(metadata.model) if metadata else "-",
            len(metadata.attempts) if metadata else "-",
            usage.input_tokens if usage else "-",
            usage.output_tokens if usage else "-",
            ttft,
            (time.monotonic() - self.start) * 1000,
            self.status,
            _token(self.outcome),
        )
