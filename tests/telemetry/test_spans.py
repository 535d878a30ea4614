"""Spans and metrics of each way a stream ends, with the OpenTelemetry SDK's in-memory
exporter and metric reader: one span per request, one per routed attempt, each ended once."""

from __future__ import annotations

import gc
import json
from typing import TYPE_CHECKING, Any

import pytest
import trio
import trio.testing
from opentelemetry.trace import SpanKind, StatusCode

from eventide import AsyncClient, AuthenticationError, OverloadedError, TextDelta, Usage, collect
from eventide.routing import Fallback
from eventide.testing import Reply, ScriptedProvider

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from tests.telemetry.conftest import Otel


def _answer() -> Reply:
    return Reply.text(
        ["Hel", "lo"],
        usage=Usage(input_tokens=12, output_tokens=2),
        model="scripted-model-2026",
        response_id="chatcmpl-1",
    )


def _only(otel: Otel) -> ReadableSpan:
    [span] = otel.spans()
    return span


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _ended_once(otel: Otel, count: int) -> None:
    assert len(otel.counting.started) == count
    assert otel.counting.unended() == set()
    assert otel.counting.ended_twice() == set()


async def test_complete_stream_span_and_metrics(otel: Otel) -> None:
    completion = await collect(ScriptedProvider(_answer()).stream("hi"))
    assert completion.text == "Hello"
    span = _only(otel)
    assert span.name == "chat scripted-model"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = _attributes(span)
    first_chunk = attributes.pop("gen_ai.response.time_to_first_chunk")
    assert 0 <= first_chunk < 5
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "scripted",
        "gen_ai.request.model": "scripted-model",
        "gen_ai.request.stream": True,
        "gen_ai.response.model": "scripted-model-2026",
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 2,
        "gen_ai.response.finish_reasons": ("stop",),
        "server.address": "scripted.invalid",
        "server.port": 80,
        "eventide.outcome": "complete",
    }
    _ended_once(otel, 1)

    found = otel.metrics()
    [duration] = found["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert duration.attributes["gen_ai.response.model"] == "scripted-model-2026"
    assert "error.type" not in duration.attributes
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in found["gen_ai.client.token.usage"]}
    assert tokens == {"input": 12, "output": 2}
    [first] = found["gen_ai.client.operation.time_to_first_chunk"]
    assert first.count == 1
    [per_chunk] = found["gen_ai.client.operation.time_per_output_chunk"]
    assert per_chunk.count == 1


async def test_failed_stream_span_has_its_error(otel: Otel) -> None:
    provider = ScriptedProvider(Reply.http_error(503, "busy"))
    with pytest.raises(OverloadedError):
        await collect(provider.stream("hi"))
    span = _only(otel)
    assert span.status.status_code is StatusCode.ERROR
    assert "OverloadedError" in (span.status.description or "")
    attributes = _attributes(span)
    assert attributes["error.type"] == "overloaded"
    assert attributes["eventide.outcome"] == "error"
    assert "gen_ai.response.id" not in attributes
    _ended_once(otel, 1)
    [duration] = otel.metrics()["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == "overloaded"


async def test_fallback_has_one_span_per_attempt(
    otel: Otel, autojump_clock: trio.testing.MockClock
) -> None:
    busy = Reply.http_error(503, "busy")
    first = ScriptedProvider(busy, busy, name="first")  # tried, then retried once
    second = ScriptedProvider(_answer(), name="second")
    completion = await collect(Fallback([first, second]).stream("hi"))
    assert completion.text == "Hello"
    spans = otel.spans()
    _ended_once(otel, 4)
    [request] = [s for s in spans if s.parent is None]
    attempts = [s for s in spans if s.parent is not None]
    assert {s.parent.span_id for s in attempts if s.parent} == {request.context.span_id}
    *failed, served = sorted(attempts, key=lambda s: s.start_time or 0)
    assert len(failed) == 2
    for span in failed:
        assert _attributes(span)["gen_ai.provider.name"] == "first"
        assert _attributes(span)["error.type"] == "overloaded"
        assert _attributes(span)["eventide.outcome"] == "error"
        assert span.status.status_code is StatusCode.ERROR
    assert _attributes(served)["gen_ai.provider.name"] == "second"
    assert _attributes(served)["eventide.outcome"] == "complete"
    assert _attributes(served)["eventide.attempt"] is True
    attributes = _attributes(request)
    assert attributes["gen_ai.provider.name"] == "second"  # who served
    assert attributes["eventide.failed_attempts"] == 2
    assert attributes["eventide.outcome"] == "complete"
    assert request.status.status_code is StatusCode.UNSET
    # the operation is counted once, by the request
    [duration] = otel.metrics()["gen_ai.client.operation.duration"]
    assert duration.count == 1


async def test_cancelled_stream_span(otel: Otel, autojump_clock: trio.testing.MockClock) -> None:
    provider = ScriptedProvider(Reply.text(["a", "b", "c"], delay=1.0))
    async with provider.stream("hi") as events:
        with trio.move_on_after(1.5):
            async for _ in events:
                pass
    span = _only(otel)
    assert _attributes(span)["eventide.outcome"] == "cancelled"
    assert _attributes(span)["error.type"] == "cancelled"
    assert span.status.status_code is StatusCode.ERROR
    _ended_once(otel, 1)


async def test_abandoned_after_metadata_span(otel: Otel) -> None:
    async with ScriptedProvider(_answer()).stream("hi") as events:
        await events.__anext__()  # Metadata
    span = _only(otel)
    attributes = _attributes(span)
    assert attributes["eventide.outcome"] == "abandoned"
    assert attributes["gen_ai.response.id"] == "chatcmpl-1"
    assert "error.type" not in attributes
    assert span.status.status_code is StatusCode.UNSET
    _ended_once(otel, 1)


async def test_dropped_stream_span_ends_when_collected(otel: Otel) -> None:
    stream = ScriptedProvider(_answer()).stream("hi")
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    assert otel.spans() == []
    del stream
    gc.collect()
    assert _attributes(_only(otel))["eventide.outcome"] == "abandoned"
    _ended_once(otel, 1)


async def test_unread_stream_makes_no_span(otel: Otel) -> None:
    async with ScriptedProvider(_answer()).stream("hi"):
        pass
    assert otel.spans() == []
    assert otel.counting.started == set()


async def test_span_parent_is_the_callers_current_span(otel: Otel) -> None:
    from opentelemetry import trace

    with trace.get_tracer("app").start_as_current_span("handler") as handler:
        await collect(ScriptedProvider(_answer()).stream("hi"))
    chat = next(s for s in otel.spans() if s.name.startswith("chat"))
    assert chat.parent is not None
    assert chat.parent.span_id == handler.get_span_context().span_id


async def test_off_makes_no_span(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTIDE_OTEL", "off")
    await collect(ScriptedProvider(_answer()).stream("hi"))
    assert otel.spans() == []
    assert otel.metrics() == {}


async def test_content_is_captured_only_when_opted_in(
    otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = Reply.text(["The weather", " is"], tool_calls=[("get_weather", {"city": "Paris"})])
    await collect(ScriptedProvider(reply).stream("hi"))
    assert "gen_ai.output.messages" not in _attributes(_only(otel))  # off by default

    otel.exporter.clear()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    await collect(ScriptedProvider(reply).stream("hi"))
    messages = json.loads(_attributes(_only(otel))["gen_ai.output.messages"])
    assert messages == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "The weather is"},
                {
                    "type": "tool_call",
                    "id": "call_0",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                },
            ],
            "finish_reason": "tool_calls",
        }
    ]


async def test_client_retries_are_attempt_spans(
    otel: Otel, autojump_clock: trio.testing.MockClock
) -> None:
    provider = ScriptedProvider(Reply.http_error(503, "busy"), _answer())
    async with AsyncClient(provider, max_retries=1) as client:
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    spans = otel.spans()
    _ended_once(otel, 3)
    [request] = [s for s in spans if s.parent is None]
    failed, served = sorted(
        (s for s in spans if s.parent is not None), key=lambda s: s.start_time or 0
    )
    assert request.name == "chat gpt-4o-mini"
    assert _attributes(request)["eventide.outcome"] == "complete"
    assert _attributes(failed)["error.type"] == "overloaded"
    assert _attributes(served)["eventide.outcome"] == "complete"
    assert failed.parent is not None
    assert failed.parent.span_id == request.context.span_id


async def test_no_secret_in_a_span(otel: Otel) -> None:
    key = "sk-test-0123456789abcdefSECRET"
    echo = f"Incorrect API key provided: {key}."
    provider = ScriptedProvider(Reply.http_error(401, echo), api_key=key)
    with pytest.raises(AuthenticationError):
        await collect(provider.stream("hi"))
    span = _only(otel)
    assert "Incorrect API key" in (span.status.description or "")  # the echo, key hidden
    texts = [span.name, span.status.description or "", *map(str, _attributes(span).values())]
    assert all(key not in text for text in texts)
