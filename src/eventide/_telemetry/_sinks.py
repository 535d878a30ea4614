"""Which sinks are on: OpenTelemetry (imported lazily, once) and the ``eventide`` logger."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._otel import Instruments

__all__ = ["LOGGER", "instruments"]

LOGGER = logging.getLogger("eventide")

_OFF = frozenset({"off", "0", "false", "no", "none"})
_otel: Any = None  # the `_otel` module once imported; False when it cannot be


def instruments() -> Instruments | None:
    """The tracer and metric instruments of the global providers, or None when telemetry is
    off (``EVENTIDE_OTEL=off``), ``opentelemetry-api`` is not installed, or no SDK has set
    the global providers yet."""
    global _otel
    if os.environ.get("EVENTIDE_OTEL", "").strip().lower() in _OFF:
        return None
    if _otel is None:
        module: Any
        try:
            from . import _otel as module
        except ImportError:  # opentelemetry-api is not installed: nothing to report to
            module = False
        _otel = module
    if _otel is False:
        return None
    found: Instruments | None = _otel.current()
    return found
