"""Telemetry of streams: OpenTelemetry GenAI spans and metrics, and plain `logging`.

`EventStream` calls `watch` on its first read; everything here stays unimported until then,
and OpenTelemetry itself is imported only when it is installed and not turned off with
``EVENTIDE_OTEL=off``. See docs/observability.md.
"""

from __future__ import annotations

from ._tracker import Outcome, Tracker, outcome_of, watch

__all__ = ["Outcome", "Tracker", "outcome_of", "watch"]
