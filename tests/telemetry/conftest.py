"""An OpenTelemetry SDK installed as the global providers for one test: an in-memory span
exporter, a span processor that counts starts and ends, and an in-memory metric reader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import attrs
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

if TYPE_CHECKING:
    from collections.abc import Iterator

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import Span


@final
class Counting(SpanProcessor):
    """Counts every span started and every end of each (an end twice counts twice)."""

    def __init__(self) -> None:
        self.started: set[int] = set()
        self.ends: dict[int, int] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.started.add(span.context.span_id)

    def on_end(self, span: ReadableSpan) -> None:
        assert span.context is not None
        key = span.context.span_id
        self.ends[key] = self.ends.get(key, 0) + 1

    def unended(self) -> set[int]:
        return self.started - set(self.ends)

    def ended_twice(self) -> set[int]:
        return {key for key, count in self.ends.items() if count != 1}


@final
@attrs.frozen
class Otel:
    """The installed SDK, as a test reads it."""

    exporter: InMemorySpanExporter
    counting: Counting
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> its data points."""
        data = self.reader.get_metrics_data()
        found: dict[str, list[Any]] = {}
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found.setdefault(metric.name, []).extend(metric.data.data_points)
        return found


def _install(tracer_provider: Any, meter_provider: Any) -> None:
    # The API lets a process set its providers once; a test suite needs a fresh pair per
    # test, so the set-once guards are reset (as opentelemetry's own test utilities do).
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    metrics._internal._METER_PROVIDER_SET_ONCE = Once()
    metrics._internal._METER_PROVIDER = None
    if tracer_provider is not None:
        trace.set_tracer_provider(tracer_provider)
    if meter_provider is not None:
        metrics.set_meter_provider(meter_provider)


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[Otel]:
    monkeypatch.delenv("EVENTIDE_OTEL", raising=False)
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    exporter = InMemorySpanExporter()
    counting = Counting()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(counting)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    _install(tracer_provider, meter_provider)
    try:
        yield Otel(exporter, counting, reader)
    finally:
        _install(None, None)
        tracer_provider.shutdown()
        meter_provider.shutdown()
