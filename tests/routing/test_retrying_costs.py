"""What a routed stream does not pay for when nothing goes wrong: an answer read to its end
has closed itself, and the router does not close it again."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, final

import eventide
from eventide import EventStream, Finish, Metadata, TextDelta
from eventide._resource import AsyncResource
from eventide.routing import Fallback, Limits, Retrying

if TYPE_CHECKING:
    from eventide import Event, Request, Timeouts


@final
class _Counted:
    """An in-process response that counts how often it is closed."""

    provider = "counted"
    model = "m"

    def __init__(self) -> None:
        self.closes = 0
        self._batches: list[list[Event]] = [
            [Metadata(provider="counted", model="m", requested_model="m"), TextDelta("hi")],
            [Finish(reason="stop")],
        ]

    async def open(self) -> None:
        pass

    async def receive(self) -> list[Event]:
        return self._batches.pop(0) if self._batches else []

    async def aclose(self) -> None:
        self.closes += 1

    def abandon(self) -> Any:
        return None


@final
class _Provider(AsyncResource):
    name = "counted"

    def __init__(self) -> None:
        self.sources: list[_Counted] = []

    def stream(
        self, request: Request | str, *, model: str | None = None, timeouts: Timeouts | None = None
    ) -> EventStream:
        source = _Counted()
        self.sources.append(source)
        return EventStream(source)

    async def aclose(self) -> None:
        pass


async def _closes_unrouted() -> int:
    """How often a stream read to its end closes its response by itself (nobody calling
    `aclose()` afterwards)."""
    provider = _Provider()
    stream = provider.stream("hi")
    while not stream.closed:
        with contextlib.suppress(StopAsyncIteration):
            await stream.receive_batch()
    return provider.sources[0].closes


async def test_retrying_adds_no_close_to_an_answer_read_to_its_end() -> None:
    provider = _Provider()
    assert await eventide.collect_text(Retrying(provider).stream("hi")) == "hi"
    assert [source.closes for source in provider.sources] == [await _closes_unrouted()]


async def test_fallback_with_limits_adds_no_close_and_gives_its_permit_back() -> None:
    provider = _Provider()
    router = Fallback([provider], limits=Limits(max_concurrent=1))
    for _ in range(2):  # the permit came back: the second stream does not wait forever
        assert await eventide.collect_text(router.stream("hi")) == "hi"
    closes = await _closes_unrouted()
    assert [source.closes for source in provider.sources] == [closes, closes]
