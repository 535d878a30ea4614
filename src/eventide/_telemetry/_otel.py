"""OpenTelemetry GenAI spans and metrics over the global tracer and meter providers.

Imported only on a stream's first read, and only when ``opentelemetry-api`` is installed.
The names follow the OpenTelemetry GenAI semantic conventions (docs/gen-ai/gen-ai-spans.md
and gen-ai-metrics.md of open-telemetry/semantic-conventions, read 2026-12): an inference span
named ``"chat {gen_ai.request.model}"`` of kind CLIENT, and the client histograms
``gen_ai.client.operation.duration`` (s) and ``gen_ai.client.token.usage`` ({token}). The
streaming histograms ``gen_ai.client.operation.time_to_first_chunk`` and
``gen_ai.client.operation.time_per_output_chunk`` are newer: they are recorded only when
``OTEL_SEMCONV_STABILITY_OPT_IN`` lists ``gen_ai_latest_experimental``, the opt-in the
conventions define for their experimental additions.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, final

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .._version import __version__

if TYPE_CHECKING:
    from collections.abc import Mapping

    from opentelemetry.trace import Span

__all__ = ["Instruments", "current"]

SCOPE: Final = "eventide"
# The bucket boundaries the conventions give: operation durations (0.01 s doubling to
# 81.92 s), token counts, and per-chunk times (those of gen_ai.server.time_per_output_token).
_SECONDS: Final = tuple(round(0.01 * 2.0**i, 2) for i in range(14))
_CHUNK_SECONDS: Final = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)
_TOKENS: Final = tuple(4.0**i for i in range(14))  # 1, 4, 16, ... 67108864
_HISTOGRAMS: Final = (
    ("gen_ai.client.operation.duration", "s", "GenAI operation duration.", _SECONDS),
    ("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.", _TOKENS),
    (
        "gen_ai.client.operation.time_to_first_chunk",
        "s",
        "Time from the request to the first response chunk.",
        _SECONDS,
    ),
    (
        "gen_ai.client.operation.time_per_output_chunk",
        "s",
        "Time per response chunk after the first.",
        _CHUNK_SECONDS,
    ),
)


@final
class Instruments:
    """The tracer and the histograms of one pair of global providers."""

    def __init__(
        self, tracer_provider: trace.TracerProvider, meter_provider: metrics.MeterProvider
    ) -> None:
        """Get the tracer and make the histograms from the given providers."""
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.tracer = tracer_provider.get_tracer(SCOPE, __version__)
        meter = meter_provider.get_meter(SCOPE, __version__)
        opt_in = os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
        self.latest = "gen_ai_latest_experimental" in {s.strip() for s in opt_in.split(",")}
        made = [
            meter.create_histogram(
                name, unit=unit, description=text, explicit_bucket_boundaries_advisory=buckets
            )
            for name, unit, text, buckets in _HISTOGRAMS
        ]
        self.duration, self.tokens, self.first_chunk, self.per_chunk = made

    def start(self, name: str, attributes: Mapping[str, Any], parent: Span | None) -> Span:
        """Start a CLIENT span, under ``parent`` when given (else the current context's)."""
        context = trace.set_span_in_context(parent) if parent is not None else None
        return self.tracer.start_span(
            name, context=context, kind=SpanKind.CLIENT, attributes=attributes
        )


def error_status(description: str) -> Status:
    """An ERROR span status."""
    return Status(StatusCode.ERROR, description)


_cached: Instruments | None = None
# The API's stand-ins for providers not set yet (no SDK configured): the meter one's class
# is private, so where it cannot be found every meter provider counts as configured.
_UNSET_METERS: Final = getattr(getattr(metrics, "_internal", None), "_ProxyMeterProvider", ())


def current() -> Instruments | None:
    """The instruments of the global providers as they are now (cached until one changes);
    None while neither has been set (no SDK: spans and metrics would go nowhere)."""
    global _cached
    tracer_provider = trace.get_tracer_provider()
    meter_provider = metrics.get_meter_provider()
    if isinstance(tracer_provider, trace.ProxyTracerProvider) and isinstance(
        meter_provider, _UNSET_METERS
    ):
        return None
    cached = _cached
    if (
        cached is None
        or cached.tracer_provider is not tracer_provider
        or cached.meter_provider is not meter_provider
    ):
        cached = _cached = Instruments(tracer_provider, meter_provider)
    return cached
