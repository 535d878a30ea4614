"""`Retrying` and the client's ``max_retries``: retryable failures before the answer commits
are tried again, as the OpenAI SDK does, and the last try's own typed error comes out."""

from __future__ import annotations

import random
import time

import pytest
import trio

import eventide
from eventide import AsyncClient
from eventide.client._config import openai_retry_policy
from eventide.providers import OpenAIChat
from eventide.routing import Retrying, RetryPolicy
from tests.http_server import Cut, Reply, openai_chunks, refused_url, serve

JSON = (("content-type", "application/json"),)
OK = Reply(body=openai_chunks(["served"]))


def refusal(status: int, *headers: tuple[str, str]) -> Reply:
    body = b'{"error": {"message": "try later", "type": "server_error"}}'
    return Reply(status=status, headers=(*JSON, *headers), body=[body])


async def test_max_retries_2_sends_3_requests_then_raises_the_last_typed_error() -> None:
    async with serve(refusal(503, ("retry-after", "0"))) as server:
        async with AsyncClient(api_key="sk-test", base_url=f"{server.url}/v1") as client:
            with pytest.raises(eventide.OverloadedError) as caught:
                await client.complete("hi")
        assert len(server.requests) == 3
    error = caught.value
    assert not isinstance(error, eventide.NoProviderLeft)
    assert error.status_code == 503
    assert error.provider == "openai"
    assert error.partial is not None
    assert error.partial.text == ""


async def test_a_rate_limit_then_success_is_served_with_the_attempts_recorded() -> None:
    async with serve(OK) as server:
        server.queue(refusal(429, ("retry-after", "0")), refusal(500, ("retry-after-ms", "0")))
        async with AsyncClient(api_key="sk-test", base_url=f"{server.url}/v1") as client:
            completion = await client.complete("hi")
        assert len(server.requests) == 3
    assert completion.text == "served"
    assert completion.metadata is not None
    assert [(a.error, a.status_code) for a in completion.metadata.attempts] == [
        ("rate_limit", 429),
        ("server", 500),
    ]


async def test_rate_limit_error_keeps_its_status_and_retry_after() -> None:
    async with serve(refusal(429, ("retry-after-ms", "10"))) as server:
        provider = OpenAIChat(base_url=f"{server.url}/v1", name="up")
        async with provider, AsyncClient(provider, max_retries=1) as client:
            with pytest.raises(eventide.RateLimitError) as caught:
                await client.chat.completions.create(messages="hi")
        assert len(server.requests) == 2
    assert caught.value.status_code == 429
    assert caught.value.retry_after == pytest.approx(0.01)
    assert caught.value.provider == "up"


async def test_retry_after_is_honoured() -> None:
    async with serve(OK) as server:
        server.queue(refusal(429, ("retry-after-ms", "300")))
        async with AsyncClient(base_url=f"{server.url}/v1") as client:
            started = time.monotonic()  # a real 300 ms: the client sleeps on the real clock
            assert (await client.complete("hi")).text == "served"
            waited = time.monotonic() - started
    assert len(server.requests) == 2
    assert 0.3 <= waited < 0.45  # the server's 300 ms, not the 0.5 s backoff


async def test_a_retry_after_longer_than_two_minutes_gives_up_at_once() -> None:
    async with serve(refusal(429, ("retry-after", "600"))) as server:
        with trio.fail_after(5):  # not waiting the 600 s
            async with AsyncClient(base_url=f"{server.url}/v1") as client:
                with pytest.raises(eventide.RateLimitError) as caught:
                    await client.complete("hi")
        assert len(server.requests) == 1
    assert caught.value.retry_after == 600


async def test_max_retries_0_and_errors_that_are_not_retryable_send_once() -> None:
    async with serve(refusal(503, ("retry-after", "0"))) as server:
        async with AsyncClient(base_url=f"{server.url}/v1", max_retries=0) as client:
            with pytest.raises(eventide.OverloadedError):
                await client.complete("hi")
        assert len(server.requests) == 1
    async with serve(refusal(400)) as server:
        async with AsyncClient(base_url=f"{server.url}/v1") as client:
            with pytest.raises(eventide.BadRequestError):
                await client.complete("hi")
        assert len(server.requests) == 1


async def test_a_failure_after_the_answer_started_is_not_retried() -> None:
    async with serve(Reply(body=[*openai_chunks(["partial"])[:2], Cut()])) as server:
        async with AsyncClient(base_url=f"{server.url}/v1") as client:
            with pytest.raises(eventide.ProtocolError) as caught:
                await client.complete("hi")
        assert len(server.requests) == 1
    assert caught.value.partial is not None
    assert caught.value.partial.text == "partial"


async def test_connection_errors_are_retried_and_the_last_one_raised() -> None:
    async with OpenAIChat(base_url=f"{refused_url()}/v1", name="down") as provider:
        retrying = Retrying(provider, retry=RetryPolicy(attempts=3, base_delay=0.0))
        with pytest.raises(eventide.TransportError) as caught:
            await eventide.collect(retrying.stream("hi"))
    assert not isinstance(caught.value, eventide.NoProviderLeft)
    assert caught.value.provider == "down"
    assert "refused" in str(caught.value).lower() or "connect" in str(caught.value).lower()


async def test_a_request_the_provider_cannot_build_raises_at_the_call() -> None:
    async with OpenAIChat(base_url=f"{refused_url()}/v1") as provider:
        retrying = Retrying(provider)
        with pytest.raises(eventide.RequestError, match="surrogate"):
            retrying.stream("lone \ud800 surrogate")


def test_openai_retry_policy_backs_off_from_half_a_second_to_eight() -> None:
    policy = openai_retry_policy(10)
    assert policy.attempts == 11
    error = eventide.ServerError("down", status_code=500)
    rng = random.Random(1)
    for retry, base in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        delay = policy.delay(error, retry, rng)
        assert delay is not None
        assert base * 0.75 <= delay <= base * 1.25
    assert openai_retry_policy(2).delay(error, 3, rng) is None
    late = eventide.RateLimitError("slow down", status_code=429, retry_after=121.0)
    assert policy.delay(late, 1, rng) is None
    soon = eventide.RateLimitError("slow down", status_code=429, retry_after=120.0)
    assert policy.delay(soon, 1, rng) == 120.0


async def test_the_last_try_ends_as_it_went_with_the_tries_before_it_recorded() -> None:
    """Every try sends its first chunk and breaks: the answer is the last try's, Metadata
    (naming the two tries before it) then its error, as with no retries."""
    async with serve(Reply(body=[openai_chunks(["never"])[0], Cut()])) as server:
        async with (
            AsyncClient(base_url=f"{server.url}/v1") as client,
            client.stream("hi") as events,
        ):
            first = await events.__anext__()
            with pytest.raises(eventide.ProtocolError):
                await events.__anext__()
        assert len(server.requests) == 3
    assert isinstance(first, eventide.Metadata)
    assert first.provider == "openai"
    assert [attempt.error for attempt in first.attempts] == ["protocol", "protocol"]


async def test_a_prompt_becomes_one_request_shared_by_every_try() -> None:
    """The prompt is made a `Request` once (it costs about 10 µs), and every try sends it."""
    asked: list[object] = []

    class Recording:
        def __init__(self, provider: OpenAIChat) -> None:
            self.name = provider.name
            self._provider = provider

        def stream(self, request: object, **options: object) -> eventide.EventStream:
            asked.append(request)
            return self._provider.stream(request, **options)  # type: ignore[arg-type]

    async with serve(OK) as server:
        server.queue(refusal(500, ("retry-after", "0")))
        async with OpenAIChat(base_url=f"{server.url}/v1", api_key="sk-test") as provider:
            retrying = Retrying(Recording(provider))  # type: ignore[arg-type]
            assert await eventide.collect_text(retrying.stream("hi", model="m")) == "served"
    assert len(asked) == 2
    assert isinstance(asked[0], eventide.Request)
    assert asked[0] is asked[1]
