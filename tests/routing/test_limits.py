"""The limit backend of a router: the in-process `Limiter` (its window, its pauses on
``Retry-After``) and a backend of one's own behind ``limits=``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import trio
import trio.testing

import eventide
from eventide.routing import Fallback, LimitBackend, Limiter, Limits, Permit, Retrying
from tests.fakes import RecordingStream, mock_provider
from tests.routing.test_fallback import Answer, ok, provider, status

if TYPE_CHECKING:
    from eventide.providers import Provider


async def test_limiter_window_is_the_given_length(autojump_clock: trio.testing.MockClock) -> None:
    only, _ = provider("only", ok("x"))
    limiter = Limiter(Limits(requests_per_minute=2), window=1.5)
    router = Fallback([only], limits=limiter)
    start = trio.current_time()
    for _ in range(5):
        await eventide.collect(router.stream("hi"))
    assert trio.current_time() - start == 3.0  # two per 1.5 s: the 5th starts at 3.0


def _timed(*answers: Answer) -> tuple[Provider, list[float]]:
    """A provider giving `answers` in turn (the last repeats), and when each request came."""
    starts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers[min(len(starts), len(answers) - 1)]
        starts.append(trio.current_time())
        kind = "text/event-stream" if answer.status == 200 else "application/json"
        headers = {"content-type": kind, **answer.headers}
        return httpx.Response(answer.status, headers=headers, stream=RecordingStream(answer.pieces))

    return mock_provider(handler, name="only"), starts


async def _starts_of_three(limits: Limits) -> list[float]:
    """When each request of three streams of one provider came: the first is answered 429
    with ``Retry-After: 10``, then retried; the others are asked for one second later."""
    only, starts = _timed(status(429, **{"retry-after": "10"}), ok("x"))
    router = Retrying(only, limits=limits)
    begin = trio.current_time()

    async def later() -> None:
        await trio.sleep(1)
        await eventide.collect(router.stream("hi"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(eventide.collect, router.stream("hi"))
        nursery.start_soon(later)
        nursery.start_soon(later)
    return sorted(round(start - begin, 3) for start in starts)


async def test_limiter_retry_after_pauses_every_stream_of_the_provider_with_limits(
    autojump_clock: trio.testing.MockClock,
) -> None:
    assert await _starts_of_three(Limits(max_concurrent=10)) == [0, 10, 10, 10]


async def test_limiter_retry_after_pauses_only_its_own_stream_without_limits(
    autojump_clock: trio.testing.MockClock,
) -> None:
    assert await _starts_of_three(Limits()) == [0, 1, 1, 10]


class Recording:
    """A backend of one's own: grants at once, and records what the router told it."""

    def __init__(self) -> None:
        self.acquired: list[str] = []
        self.released: list[str] = []
        self.cooldowns: list[tuple[str, float]] = []

    async def acquire(self, provider: Provider, /) -> Permit:
        await trio.lowlevel.checkpoint()
        self.acquired.append(provider.name)
        return Permit(lambda: self.released.append(provider.name))

    async def cooldown(self, provider: Provider, seconds: float, /) -> None:
        await trio.lowlevel.checkpoint()
        self.cooldowns.append((provider.name, seconds))


async def test_router_takes_a_backend_of_ones_own_and_tells_it_of_retry_after(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, _ = provider("first", status(429, **{"retry-after": "7"}), ok("x"))
    backend = Recording()
    assert isinstance(backend, LimitBackend)
    completion = await eventide.collect(Retrying(first, limits=backend).stream("hi"))
    assert completion.text == "x"
    assert backend.acquired == ["first", "first"]
    assert backend.released == ["first", "first"]
    assert backend.cooldowns == [("first", 7.0)]


def test_permit_release_is_idempotent() -> None:
    calls: list[int] = []
    permit = Permit(lambda: calls.append(1))
    permit.release()
    permit.release()
    assert calls == [1]
