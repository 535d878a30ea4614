"""Fallback over in-memory providers: the commit point, retries, hedging, breakers, limits,
and the property that an abandoned attempt never leaks an event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import attrs
import httpx
import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

import eventide
from eventide import Metadata, NoProviderLeft, Timeouts
from eventide.routing import CircuitBreaker, Fallback, Limits, RetryPolicy
from tests.fakes import RecordingStream, Sleep, mock_provider
from tests.http_server import openai_chunks, sse

if TYPE_CHECKING:
    from eventide.providers import OpenAIChat

OVERLOADED = sse({"error": {"message": "Overloaded", "type": "overloaded_error", "code": None}})
NO_RETRY = RetryPolicy(attempts=1)


@attrs.frozen
class Answer:
    """One scripted response of an in-memory provider."""

    pieces: Sequence[bytes | Sleep]
    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)


def ok(text: str, model: str = "m", *, delay: float = 0) -> Answer:
    half = len(text) // 2
    pieces = openai_chunks([text[:half], text[half:]], model=model)
    return Answer([Sleep(delay), *pieces] if delay else pieces)


def status(code: int, **headers: str) -> Answer:
    return Answer([b'{"error":{"message":"no"}}'], code, headers)


def provider(name: str, *answers: Answer) -> tuple[OpenAIChat, list[RecordingStream]]:
    """A provider giving `answers` to its requests in turn (the last one repeats); it also
    returns the bodies it sent, which record whether they were closed."""
    bodies: list[RecordingStream] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers[min(len(bodies), len(answers) - 1)]
        body = RecordingStream(answer.pieces)
        bodies.append(body)
        kind = "text/event-stream" if answer.status == 200 else "application/json"
        headers = {"content-type": kind, **answer.headers}
        return httpx.Response(answer.status, headers=headers, stream=body)

    return mock_provider(handler, name=name), bodies


async def test_fallback_serves_from_the_first_candidate_when_it_works() -> None:
    first, first_bodies = provider("first", ok("Hello", model="m1"))
    second, second_bodies = provider("second", ok("Other"))
    router = Fallback([first, second])
    completion = await eventide.collect(router.stream("hi"))
    assert completion.text == "Hello"
    assert completion.metadata is not None
    assert completion.metadata.provider == "first"
    assert completion.metadata.model == "m1"
    assert completion.metadata.attempts == ()
    assert second_bodies == []
    assert first_bodies[0].closed


async def test_fallback_moves_on_after_a_non_retryable_error_at_once() -> None:
    first, first_bodies = provider("first", status(401))
    second, _ = provider("second", ok("From second"))
    completion = await eventide.collect(Fallback([first, second]).stream("hi"))
    assert completion.text == "From second"
    assert completion.metadata is not None
    assert completion.provider == "second"
    (attempt,) = completion.metadata.attempts
    assert attempt.provider == "first"
    assert attempt.error == "authentication"
    assert attempt.status_code == 401
    assert len(first_bodies) == 1  # not retried
    assert first_bodies[0].closed


async def test_fallback_retries_a_retryable_error_honouring_retry_after(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, first_bodies = provider("first", status(429, **{"retry-after": "7"}), ok("Later"))
    second, second_bodies = provider("second", ok("Other"))
    router = Fallback([first, second], retry=RetryPolicy(attempts=2))
    start = trio.current_time()
    completion = await eventide.collect(router.stream("hi"))
    assert trio.current_time() - start == pytest.approx(7)
    assert completion.text == "Later"
    assert completion.metadata is not None
    assert [a.error for a in completion.metadata.attempts] == ["rate_limit"]
    assert completion.metadata.attempts[0].retry_after == 7
    assert second_bodies == []
    assert len(first_bodies) == 2


async def test_fallback_gives_up_a_candidate_whose_retry_after_is_too_long(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, _ = provider("first", status(429, **{"retry-after": "3600"}))
    second, _ = provider("second", ok("Now"))
    router = Fallback([first, second], retry=RetryPolicy(attempts=5, max_retry_after=60))
    start = trio.current_time()
    completion = await eventide.collect(router.stream("hi"))
    assert trio.current_time() - start < 1
    assert completion.text == "Now"


async def test_fallback_backs_off_exponentially(autojump_clock: trio.testing.MockClock) -> None:
    first, bodies = provider("first", status(500), status(500), status(500), ok("Finally"))
    policy = RetryPolicy(attempts=4, base_delay=1, multiplier=2, jitter=0)
    start = trio.current_time()
    completion = await eventide.collect(Fallback([first], retry=policy).stream("hi"))
    assert completion.text == "Finally"
    assert trio.current_time() - start == pytest.approx(1 + 2 + 4)
    assert len(bodies) == 4


async def test_fallback_never_leaks_an_abandoned_attempts_events() -> None:
    """The first attempt sends Metadata and Usage-free chunks, then fails before content."""
    failing = [*openai_chunks(["x"], model="bad-model")[:1], OVERLOADED]
    first, first_bodies = provider("first", Answer(failing))
    second, _ = provider("second", ok("Good", model="good-model"))
    async with Fallback([first, second], retry=NO_RETRY).stream("hi") as events:
        seen = [event async for event in events]
    metadata = [event for event in seen if isinstance(event, Metadata)]
    assert len(metadata) == 1
    assert seen[0] is metadata[0]
    assert metadata[0].provider == "second"
    assert metadata[0].model == "good-model"
    assert [a.error for a in metadata[0].attempts] == ["overloaded"]
    assert first_bodies[0].closed


async def test_fallback_after_commit_raises_with_the_partial_instead_of_switching() -> None:
    failing = [*openai_chunks(["Half", "rest"])[:2], OVERLOADED]
    first, _ = provider("first", Answer(failing))
    second, second_bodies = provider("second", ok("Other"))
    with pytest.raises(eventide.OverloadedError) as info:
        await eventide.collect(Fallback([first, second]).stream("hi"))
    assert info.value.provider == "first"
    assert info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.text == "Half"
    assert second_bodies == []


@pytest.mark.parametrize(
    ("commit", "switches"), [("headers", False), ("first_event", False), ("first_content", True)]
)
async def test_fallback_commit_point_decides_when_a_failure_still_switches(
    commit: Literal["headers", "first_event", "first_content"], switches: bool
) -> None:
    failing = [*openai_chunks(["x"])[:1], OVERLOADED]  # metadata, then an error before content
    first, _ = provider("first", Answer(failing))
    second, _ = provider("second", ok("Second"))
    router = Fallback([first, second], commit=commit, retry=NO_RETRY)
    if switches:
        assert await eventide.collect_text(router.stream("hi")) == "Second"
    else:
        with pytest.raises(eventide.OverloadedError):
            await eventide.collect(router.stream("hi"))


async def test_fallback_every_candidate_failing_is_one_typed_error() -> None:
    first, _ = provider("first", status(500))
    second, _ = provider("second", status(404))
    router = Fallback([first, (second, "model-x")], retry=NO_RETRY)
    with pytest.raises(NoProviderLeft) as info:
        await eventide.collect(router.stream("hi"))
    error = info.value
    assert [type(e) for e in error.errors] == [eventide.ServerError, eventide.NotFoundError]
    assert [(a.provider, a.model, a.status_code) for a in error.attempts] == [
        ("first", "gpt-4o-mini", 500),
        ("second", "model-x", 404),
    ]
    assert error.retryable  # the 500 might pass later
    assert error.partial is not None
    assert error.partial.metadata is None


async def test_fallback_first_metadata_names_the_provider_that_served() -> None:
    first, _ = provider("first", status(503))
    stalled = Answer([*ok("Streaming", model="s-1").pieces[:2], Sleep(10)])
    second, second_bodies = provider("second", stalled)
    metadata = await eventide.first_metadata(Fallback([first, second], retry=NO_RETRY).stream("hi"))
    assert metadata.provider == "second"
    assert metadata.model == "s-1"
    assert [(a.provider, a.error) for a in metadata.attempts] == [("first", "overloaded")]
    assert second_bodies[0].closed


async def test_fallback_first_event_timeout_moves_on(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, first_bodies = provider("first", ok("Late", delay=60))
    second, _ = provider("second", ok("Fast"))
    router = Fallback([first, second], retry=NO_RETRY)
    stream = router.stream("hi", timeouts=Timeouts(first_event=5))
    completion = await eventide.collect(stream)
    assert completion.text == "Fast"
    assert completion.metadata is not None
    assert completion.metadata.attempts[0].error == "timeout"
    assert completion.metadata.attempts[0].elapsed == pytest.approx(5)
    assert first_bodies[0].closed


async def test_fallback_hedges_a_slow_candidate_and_closes_the_loser(
    autojump_clock: trio.testing.MockClock,
) -> None:
    slow, slow_bodies = provider("slow", ok("Slow", delay=30))
    fast, _ = provider("fast", ok("Fast", delay=1))
    router = Fallback([slow, fast], hedge_after=2)
    start = trio.current_time()
    completion = await eventide.collect(router.stream("hi"))
    assert completion.text == "Fast"
    assert completion.provider == "fast"
    assert completion.metadata is not None
    assert completion.metadata.attempts == ()  # the loser did not fail: it lost
    assert trio.current_time() - start == pytest.approx(3)
    assert slow_bodies[0].closed


async def test_fallback_deadline_bounds_the_whole_search(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, bodies = provider("first", ok("Never", delay=100))
    with pytest.raises(NoProviderLeft, match="within 10 s"):
        await eventide.collect(Fallback([first], deadline=10).stream("hi"))
    assert bodies[0].closed


async def test_fallback_max_attempts_bounds_retries() -> None:
    first, bodies = provider("first", status(500))
    router = Fallback([first], retry=RetryPolicy(attempts=10, base_delay=0), max_attempts=3)
    with pytest.raises(NoProviderLeft):
        await eventide.collect(router.stream("hi"))
    assert len(bodies) == 3


async def test_fallback_circuit_breaker_skips_then_probes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    first, first_bodies = provider("first", status(500), status(500), ok("Recovered"))
    second, _ = provider("second", ok("Second"))
    router = Fallback(
        [first, second], retry=NO_RETRY, breaker=CircuitBreaker(failures=2, cooldown=30)
    )
    for _ in range(2):  # two failures open the circuit
        assert await eventide.collect_text(router.stream("hi")) == "Second"
    completion = await eventide.collect(router.stream("hi"))
    assert completion.text == "Second"
    assert completion.metadata is not None
    assert completion.metadata.attempts[0].error == "circuit_open"
    assert len(first_bodies) == 2  # skipped: not even tried
    await trio.sleep(31)
    assert await eventide.collect_text(router.stream("hi")) == "Recovered"  # the probe
    assert await eventide.collect_text(router.stream("hi")) == "Recovered"  # closed again


async def test_fallback_breakers_belong_to_one_router() -> None:
    first, bodies = provider("first", status(500), ok("Fine"))
    breaker = CircuitBreaker(failures=1, cooldown=1000)
    one = Fallback([first], retry=NO_RETRY, breaker=breaker)
    with pytest.raises(NoProviderLeft):
        await eventide.collect(one.stream("hi"))
    other = Fallback([first], retry=NO_RETRY, breaker=breaker)
    assert await eventide.collect_text(other.stream("hi")) == "Fine"  # its circuit is closed
    with pytest.raises(NoProviderLeft) as info:
        await eventide.collect(one.stream("hi"))
    assert [a.error for a in info.value.attempts] == ["circuit_open"]
    assert len(bodies) == 2


async def test_fallback_limits_concurrent_streams_per_provider(
    autojump_clock: trio.testing.MockClock,
) -> None:
    only, _ = provider("only", ok("x", delay=1))
    router = Fallback([only], limits=Limits(max_concurrent=2))
    finished: list[float] = []

    async def one() -> None:
        await eventide.collect(router.stream("hi"))
        finished.append(trio.current_time())

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for _ in range(6):
            nursery.start_soon(one)
    assert sorted(round(t - start) for t in finished) == [1, 1, 2, 2, 3, 3]


async def test_fallback_limits_requests_per_minute(autojump_clock: trio.testing.MockClock) -> None:
    only, _ = provider("only", ok("x"))
    router = Fallback([only], limits=Limits(requests_per_minute=2))
    start = trio.current_time()
    for _ in range(5):
        await eventide.collect(router.stream("hi"))
    assert trio.current_time() - start == pytest.approx(120)


async def test_fallback_waiting_for_a_limit_is_cancellable(
    autojump_clock: trio.testing.MockClock,
) -> None:
    only, bodies = provider("only", ok("x", delay=1000))
    router = Fallback([only], limits=Limits(max_concurrent=1))
    async with router.stream("hi") as holder:
        opened = trio.Event()

        async def hold() -> None:
            opened.set()
            await eventide.collect(holder)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(hold)
            await opened.wait()
            with trio.move_on_after(5) as scope:
                await eventide.collect(router.stream("hi"))
            assert scope.cancelled_caught
            nursery.cancel_scope.cancel()
    assert len(bodies) == 1


def test_fallback_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="at least one candidate"):
        Fallback([])
    first, _ = provider("first", ok("x"))
    with pytest.raises(ValueError, match="commit must be one of"):
        Fallback([first], commit="never")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a provider or a"):
        Fallback(["openai"])


# -- the property -----------------------------------------------------------------------


@attrs.frozen
class Script:
    """What one candidate does: serve, or fail in one of the ways a provider fails."""

    kind: Literal["ok", "http", "error_before_content", "truncated_before_content", "stall"]
    text: str = ""
    status: int = 500


scripts = st.one_of(
    st.builds(Script, st.just("ok"), st.text(min_size=1, max_size=12)),
    st.builds(Script, st.just("http"), status=st.sampled_from([400, 401, 404, 429, 500, 503])),
    st.builds(
        Script, st.sampled_from(["error_before_content", "truncated_before_content", "stall"])
    ),
)


def answer(script: Script, index: int) -> Answer:
    model = f"model-{index}"
    head = openai_chunks(["x"], model=model)[0]  # names the model, carries no content
    if script.kind == "ok":
        return ok(script.text, model=model)
    if script.kind == "http":
        return status(script.status)
    if script.kind == "error_before_content":
        return Answer([head, OVERLOADED])
    if script.kind == "truncated_before_content":
        return Answer([head])
    return Answer([head, Sleep(3600)])


@given(st.lists(scripts, min_size=1, max_size=4), st.sampled_from([None, 0.5]))
def test_fallback_property_one_metadata_from_the_committed_candidate(
    plan: list[Script], hedge_after: float | None
) -> None:
    made = [provider(f"p{i}", answer(script, i)) for i, script in enumerate(plan)]
    router = Fallback(
        [p for p, _ in made], retry=NO_RETRY, hedge_after=hedge_after, breaker=CircuitBreaker(99)
    )
    winner = next((i for i, s in enumerate(plan) if s.kind == "ok"), None)
    seen: list[eventide.Event] = []
    failures: list[NoProviderLeft] = []

    async def main() -> None:
        stream = router.stream("hi", timeouts=Timeouts(first_event=10))
        try:
            async with stream:
                async for event in stream:
                    seen.append(event)  # noqa: PERF401 - the loop may fail midway
        except NoProviderLeft as exc:
            failures.append(exc)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert bool(failures) == (winner is None)
    if failures:
        assert len(failures[0].attempts) == len(plan)
    metadata = [event for event in seen if isinstance(event, Metadata)]
    if winner is None:
        assert seen == []
    else:
        assert len(metadata) == 1
        assert seen[0] is metadata[0]
        served = metadata[0]
        text = "".join(e.text for e in seen if isinstance(e, eventide.TextDelta))
        if hedge_after is None:
            assert served.provider == f"p{winner}"
            assert len(served.attempts) == winner
        served_index = int(served.provider[1:])
        assert plan[served_index].kind == "ok"
        assert served.model == f"model-{served_index}"
        assert text == plan[served_index].text
    for _, bodies in made:
        assert all(b.closed for b in bodies)
