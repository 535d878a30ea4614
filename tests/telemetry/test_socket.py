"""Telemetry over a real socket: every provider's HTTP API, served by a local server."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from opentelemetry.trace import SpanKind

from eventide import collect

if TYPE_CHECKING:
    from eventide.providers import Provider
    from tests.http_server import ScriptedServer
    from tests.kits import Kit
    from tests.telemetry.conftest import Otel


async def test_span_over_a_socket(
    otel: Otel, kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    completion = await collect(provider.stream("hi"))
    assert completion.text == "Hello, world"
    [span] = otel.spans()
    attributes = dict(span.attributes or {})
    url = urlsplit(server.url)
    assert span.kind is SpanKind.CLIENT
    assert (attributes["server.address"], attributes["server.port"]) == (url.hostname, url.port)
    assert attributes["gen_ai.provider.name"] == kit.name
    assert attributes["gen_ai.response.model"] == kit.metadata.model
    assert attributes["gen_ai.usage.input_tokens"] == kit.usage.input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == kit.usage.output_tokens
    assert attributes["eventide.outcome"] == "complete"
    found = otel.metrics()
    assert [p.count for p in found["gen_ai.client.operation.duration"]] == [1]
