"""Fallback meets failures of every kind: eventide's transport errors, exceptions that are
not eventide's (raised while a request is built, or let through while it is opened), a
limiter permit held by a request that failed to build, and a deadline that cuts attempts off.
Nothing but an `eventide.Error` leaves the router, and it always moves on."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
import attrs
import pytest
import trio
import trio.testing

import eventide
from eventide import (
    Event,
    Finish,
    Metadata,
    NoProviderLeft,
    StreamTimeout,
    TextDelta,
    TransportError,
)
from eventide._resource import AsyncResource
from eventide._stream import EventStream
from eventide._transport import TransportClosed
from eventide.routing import Fallback, Limits, RetryPolicy
from tests.routing.test_fallback import ok, provider, status

if TYPE_CHECKING:
    from eventide import Request, Timeouts

NO_RETRY = RetryPolicy(attempts=1)


@attrs.define
class FailingSource:
    """A response that gives `events` (lists, one per read), then raises `fault()` (or
    ends, without a fault)."""

    name: str
    fault: Callable[[], BaseException] | None
    events: list[list[Event]] = attrs.Factory(list)
    closed: bool = False

    @property
    def provider(self) -> str:
        return self.name

    @property
    def model(self) -> str:
        return "m"

    async def open(self) -> None:
        await trio.lowlevel.checkpoint()
        if not self.events and self.fault is not None:
            raise self.fault()

    async def receive(self) -> list[Event]:
        await self.open()
        return self.events.pop(0) if self.events else []

    async def aclose(self) -> None:
        self.closed = True

    def abandon(self) -> None:
        self.closed = True


class Faulty(AsyncResource):
    """A provider that fails: ``stream()`` raises ``fault()`` (``at="build"``), or its stream
    raises it when opened (``at="open"``), after `events` if any. It fails `failures` times
    (None: always), then streams ``Served`` from the second attempt on."""

    def __init__(
        self,
        name: str,
        fault: Callable[[], BaseException],
        *,
        at: str = "open",
        events: list[list[Event]] | None = None,
        failures: int | None = None,
    ) -> None:
        self.name = name
        self.fault = fault
        self.at = at
        self.events = events or []
        self.failures = failures
        self.calls = 0
        self.sources: list[FailingSource] = []

    def stream(
        self, request: Request | str, *, model: str | None = None, timeouts: Timeouts | None = None
    ) -> EventStream:
        self.calls += 1
        if self.failures is not None and self.calls > self.failures:
            served: list[list[Event]] = [
                [Metadata(self.name, "m", "m")],
                [TextDelta("Served"), Finish("stop")],
            ]
            source = FailingSource(self.name, None, served)
        elif self.at == "build":
            raise self.fault()
        else:
            source = FailingSource(self.name, self.fault, list(self.events))
        self.sources.append(source)
        return EventStream(source)

    async def aclose(self) -> None:
        pass


TRANSPORT_ERRORS: dict[str, Callable[[], BaseException]] = {
    "TransportError": lambda: TransportError("connection reset by peer"),
    "StreamTimeout": lambda: StreamTimeout("read timed out", phase="read", timeout=5),
    "TransportClosed": lambda: TransportClosed("the transport is closed"),
}


@pytest.mark.parametrize("fault", TRANSPORT_ERRORS.values(), ids=TRANSPORT_ERRORS.keys())
async def test_fallback_moves_on_after_any_transport_error(
    fault: Callable[[], BaseException],
) -> None:
    first = Faulty("first", fault)
    second, _ = provider("second", ok("From second"))
    completion = await eventide.collect(Fallback([first, second], retry=NO_RETRY).stream("hi"))
    assert completion.text == "From second"
    assert completion.metadata is not None
    expected = fault()
    assert isinstance(expected, eventide.Error)
    assert [(a.provider, a.error) for a in completion.metadata.attempts] == [
        ("first", expected.kind)
    ]
    assert first.sources[0].closed


RAW_FAULTS: dict[str, tuple[Callable[[], BaseException], type[eventide.Error], str]] = {
    "ValueError": (lambda: ValueError("bad option"), eventide.Error, "error"),
    "UnicodeEncodeError": (
        lambda: UnicodeEncodeError("ascii", "caf\xe9", 3, 4, "ordinal not in range(128)"),
        eventide.Error,
        "error",
    ),
    "ConnectionResetError": (
        lambda: ConnectionResetError(104, "reset"),
        TransportError,
        "transport",
    ),
    "SSLError": (
        lambda: ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
        TransportError,
        "transport",
    ),
    "anyio.BrokenResourceError": (anyio.BrokenResourceError, TransportError, "transport"),
    "ExceptionGroup": (
        lambda: ExceptionGroup("one", [ConnectionRefusedError(111, "refused")]),
        TransportError,
        "transport",
    ),
}


@pytest.mark.parametrize("at", ["build", "open"])
@pytest.mark.parametrize(("fault", "typed", "kind"), RAW_FAULTS.values(), ids=RAW_FAULTS.keys())
async def test_fallback_moves_on_after_an_exception_that_is_not_eventides(
    at: str, fault: Callable[[], BaseException], typed: type[eventide.Error], kind: str
) -> None:
    """Raised by ``provider.stream()`` (building the request) or by its stream before any
    event (opening it): a failed attempt like any other, recorded with its typed kind."""
    first = Faulty("first", fault, at=at)
    second, _ = provider("second", ok("From second"))
    completion = await eventide.collect(Fallback([first, second], retry=NO_RETRY).stream("hi"))
    assert completion.text == "From second"
    assert completion.metadata is not None
    (attempt,) = completion.metadata.attempts
    assert (attempt.provider, attempt.error) == ("first", kind)
    assert type(fault()).__name__ in attempt.message or "Group" in type(fault()).__name__
    with pytest.raises(NoProviderLeft) as info:
        await eventide.collect(Fallback([first], retry=NO_RETRY).stream("hi"))
    (error,) = info.value.errors
    assert type(error) is typed
    assert error.provider == "first"
    assert error.__cause__ is not None
    assert info.value.retryable is (kind == "transport")


async def test_fallback_retries_a_raw_connection_failure_but_not_a_raw_bug() -> None:
    """A raw OSError is a connection failure: retried on the same candidate; a raw
    ValueError says nothing about the connection: not retried."""
    flaky = Faulty("flaky", lambda: ConnectionResetError(104, "reset"), failures=1)
    router = Fallback([flaky], retry=RetryPolicy(attempts=2, base_delay=0))
    assert await eventide.collect_text(router.stream("hi")) == "Served"
    assert flaky.calls == 2
    buggy = Faulty("buggy", lambda: ValueError("bug"), at="build", failures=1)
    with pytest.raises(NoProviderLeft):
        await eventide.collect(Fallback([buggy], retry=RetryPolicy(attempts=2)).stream("hi"))
    assert buggy.calls == 1


async def test_fallback_raises_a_raw_failure_after_the_commit_typed_with_the_partial() -> None:
    started: list[list[Event]] = [[Metadata("first", "m", "m")], [TextDelta("Half")]]
    first = Faulty("first", lambda: ConnectionResetError(104, "reset"), events=started)
    second, second_bodies = provider("second", ok("Other"))
    with pytest.raises(TransportError) as info:
        await eventide.collect(Fallback([first, second]).stream("hi"))
    assert info.value.provider == "first"
    assert info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.text == "Half"
    assert isinstance(info.value.__cause__, ConnectionResetError)
    assert second_bodies == []
    assert first.sources[0].closed


@pytest.mark.parametrize("at", ["build", "open"])
async def test_fallback_gives_the_limiter_permit_back_when_an_attempt_fails_early(
    at: str, autojump_clock: trio.testing.MockClock
) -> None:
    """With one permit per provider, a request that failed to build must not keep it: the
    next request would wait for it for ever."""
    only = Faulty("only", lambda: ValueError("cannot build"), at=at, failures=2)
    router = Fallback([only], retry=NO_RETRY, limits=Limits(max_concurrent=1))
    errors: list[Exception] = []
    for _ in range(2):
        with trio.fail_after(5), pytest.raises(Exception) as info:  # noqa: PT011 - any, below
            await eventide.collect(router.stream("hi"))
        errors.append(info.value)
    with trio.fail_after(5):
        assert await eventide.collect_text(router.stream("hi")) == "Served"
    assert [type(error) for error in errors] == [NoProviderLeft, NoProviderLeft]


async def test_fallback_deadline_lists_the_attempts_it_cut_off(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, _ = provider("first", status(500))
    second, second_bodies = provider("second", ok("Never", delay=100))
    router = Fallback([first, second], retry=NO_RETRY, deadline=10)
    start = trio.current_time()
    with pytest.raises(NoProviderLeft) as info:
        await eventide.collect(router.stream("hi"))
    assert trio.current_time() - start == pytest.approx(10)
    error = info.value
    assert str(error) == (
        "fallback: no attempt committed within 10 s: the router's deadline cut the attempts "
        "(first/gpt-4o-mini: server; second/gpt-4o-mini: timeout) off"
    )
    assert [(a.provider, a.error) for a in error.attempts] == [
        ("first", "server"),
        ("second", "timeout"),
    ]
    assert error.attempts[1].message == "cut off by the router's deadline of 10 s"
    assert error.attempts[1].elapsed == pytest.approx(10)
    assert [type(e) for e in error.errors] == [eventide.ServerError, StreamTimeout]
    assert error.retryable
    assert second_bodies[0].closed


async def test_fallback_deadline_records_every_hedged_attempt_it_cuts_off(
    autojump_clock: trio.testing.MockClock,
) -> None:
    slow, slow_bodies = provider("slow", ok("Slow", delay=100))
    slower, slower_bodies = provider("slower", ok("Slower", delay=200))
    router = Fallback([slow, slower], hedge_after=2, deadline=10)
    with pytest.raises(NoProviderLeft, match="deadline cut the attempts") as info:
        await eventide.collect(router.stream("hi"))
    assert sorted((a.provider, a.error) for a in info.value.attempts) == [
        ("slow", "timeout"),
        ("slower", "timeout"),
    ]
    assert slow_bodies[0].closed
    assert slower_bodies[0].closed


async def test_fallback_deadline_during_a_backoff_lists_the_attempts_made(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, bodies = provider("first", status(500))
    router = Fallback([first], retry=RetryPolicy(attempts=5, base_delay=4, jitter=0), deadline=10)
    with pytest.raises(NoProviderLeft) as info:
        await eventide.collect(router.stream("hi"))
    assert "deadline" in str(info.value)
    assert [a.error for a in info.value.attempts] == ["server", "server"]  # at 0 s and 4 s
    assert len(bodies) == 2
