"""The one log line of each request: who served, how, and how it ended (never content)."""

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


@final
class RequestLog:
    """What one request's log line says, filled in as its events pass.

    Args:
        api: The API the client spoke (``"chat"``, ``"messages"``).
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
            self.api,
            metadata.provider if metadata else "-",
            metadata.model if metadata else "-",
            len(metadata.attempts) if metadata else "-",
            usage.input_tokens if usage else "-",
            usage.output_tokens if usage else "-",
            ttft,
            (time.monotonic() - self.start) * 1000,
            self.status,
            self.outcome,
        )
