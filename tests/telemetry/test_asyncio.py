"""Under asyncio too: a span per request and per attempt, and a cancelled read ends its span
as cancelled (asyncio's cancellation, not trio's)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from eventide import collect
from eventide.routing import Fallback, RetryPolicy
from eventide.testing import Reply, ScriptedProvider

if TYPE_CHECKING:
    from tests.telemetry.conftest import Otel


def test_asyncio_spans(otel: Otel) -> None:
    router = Fallback(
        [ScriptedProvider(Reply.http_error(503, "busy")), ScriptedProvider("Hi")],
        retry=RetryPolicy(attempts=1),
    )
    slow = ScriptedProvider(Reply.text(["a", "b"], delay=10.0))

    async def main() -> None:
        await collect(router.stream("hi"))
        async with slow.stream("hi") as events:
            try:
                async with asyncio.timeout(0.05):
                    await collect(events)
            except TimeoutError:
                pass

    asyncio.run(main())
    outcomes = sorted(str(dict(s.attributes or {})["eventide.outcome"]) for s in otel.spans())
    assert outcomes == ["cancelled", "complete", "complete", "error"]
    assert otel.counting.unended() == set()
    assert otel.counting.ended_twice() == set()
