"""With OpenTelemetry installed but no SDK setting the global providers (and the logger below
INFO), a stream keeps no tracker; each provider set on its own is reported to."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from eventide import collect
from eventide.testing import Reply, ScriptedProvider
from tests.telemetry.conftest import _install

if TYPE_CHECKING:
    from collections.abc import Iterator

    from eventide import EventStream


@pytest.fixture(autouse=True)
def _no_sdk(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    monkeypatch.delenv("EVENTIDE_OTEL", raising=False)
    caplog.set_level(logging.WARNING, logger="eventide")
    _install(None, None)
    yield
    _install(None, None)


async def _first_read(stream: EventStream) -> object:
    async with stream:
        await stream.__anext__()
        return stream._tracker


async def test_no_sdk_no_tracker() -> None:
    assert await _first_read(ScriptedProvider(Reply.text("Hi")).stream("hi")) is None


async def test_a_tracer_provider_alone_gets_the_span() -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    _install(tracer_provider, None)
    await collect(ScriptedProvider(Reply.text("Hi")).stream("hi", model="m"))
    assert [span.name for span in exporter.get_finished_spans()] == ["chat m"]


async def test_a_meter_provider_alone_gets_the_metrics() -> None:
    reader = InMemoryMetricReader()
    _install(None, MeterProvider(metric_readers=[reader]))
    await collect(ScriptedProvider(Reply.text("Hi")).stream("hi", model="m"))
    data = reader.get_metrics_data()
    assert data is not None
    names = {
        metric.name
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert "gen_ai.client.operation.duration" in names


async def test_logging_alone_keeps_a_tracker(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="eventide")
    assert await _first_read(ScriptedProvider(Reply.text("Hi")).stream("hi")) is not None
