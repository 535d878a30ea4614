"""A stage over a provider is one request (one span); a stage over a router still gives
each attempt its own span, under the request's."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from eventide import collect
from eventide.routing import Fallback, RetryPolicy
from eventide.stages import Staged
from eventide.testing import Reply, ScriptedProvider

if TYPE_CHECKING:
    from eventide import Error, Event, Request
    from tests.telemetry.conftest import Otel


@final
class Same:
    """A stage that changes nothing."""

    def start(self, request: Request) -> Request:
        return request

    def feed(self, events: list[Event]) -> list[Event]:
        return events

    def end(self) -> list[Event]:
        return []

    def fail(self, error: Error) -> Error:
        return error

    def close(self) -> None:
        pass


async def test_stage_over_provider_is_one_span(otel: Otel) -> None:
    await collect(Staged(ScriptedProvider("Hi"), Same).stream("hi"))
    [span] = otel.spans()
    assert dict(span.attributes or {})["eventide.outcome"] == "complete"
    assert otel.counting.unended() == set()


async def test_stage_over_router_keeps_attempt_spans(otel: Otel) -> None:
    router = Fallback(
        [ScriptedProvider(Reply.http_error(503, "busy"), name="a"), ScriptedProvider("Hi")],
        retry=RetryPolicy(attempts=1),
    )
    await collect(Staged(router, Same).stream("hi"))
    spans = otel.spans()
    assert len(spans) == 3
    [request] = [s for s in spans if s.parent is None]
    attempts = [s for s in spans if s.parent is not None]
    assert len(attempts) == 2
    assert all(s.parent and s.parent.span_id == request.context.span_id for s in attempts)
    assert otel.counting.unended() == set()
    assert otel.counting.ended_twice() == set()
