"""Retry-After parsing and ``x-should-retry``, for the errors of refused responses."""

from __future__ import annotations

import email.utils
import math

import pytest

import eventide
from eventide import AsyncClient
from eventide._transport import parse_retry_after
from tests.http_server import Reply, serve


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "20"}, 20.0),
        ({"retry-after": " 3 "}, 3.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the precise one wins
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after-ms": "inf", "retry-after": "9"}, 9.0),  # a word, not a wait
        ({"retry-after-ms": "-Infinity"}, None),
        ({"retry-after-ms": "nan"}, None),
        ({"retry-after": "9" * 400}, math.inf),  # an excessive wait: none is kept
        ({"retry-after-ms": "9" * 400}, math.inf),
        ({"retry-after": "\u00b2"}, None),  # a digit to str.isdigit, not to HTTP
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_750_000_000.0
    date = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(42)
    past = email.utils.formatdate(now - 42, usegmt=True)
    assert parse_retry_after({"retry-after": past}, now=now) == 0.0


NO_WAIT = ("retry-after-ms", "0")  # a retry goes at once


@pytest.mark.parametrize(
    ("status", "should_retry", "requests", "retryable"),
    [
        (500, "false", 1, False),
        (429, "false", 1, False),
        (503, "False", 3, True),  # the SDKs compare exactly: not their "false"
        (400, "true", 3, True),
        (500, None, 3, True),  # without the header, the status decides
        (400, "maybe", 1, False),
    ],
)
async def test_x_should_retry_header_decides_retryable(
    status: int, should_retry: str | None, requests: int, retryable: bool
) -> None:
    """The OpenAI and Anthropic SDKs obey ``x-should-retry`` both ways
    (``_base_client._should_retry``); so does eventide's `retryable`, and with it every retry."""
    header = () if should_retry is None else (("x-should-retry", should_retry),)
    body = b'{"error": {"message": "no", "type": "server_error", "param": null, "code": null}}'
    reply = Reply(
        status=status,
        headers=(("content-type", "application/json"), NO_WAIT, *header),
        body=[body],
    )
    async with serve(reply) as server:
        async with AsyncClient(api_key="sk-test", base_url=f"{server.url}/v1") as client:
            with pytest.raises(eventide.ProviderError) as caught:
                await client.complete("hi")  # max_retries=2: up to 3 requests
        assert len(server.requests) == requests
    assert caught.value.status_code == status
    assert caught.value.retryable is retryable


async def test_an_excessive_retry_after_is_not_waited_for() -> None:
    """A wait too long for a float is longer than any retry waits (`max_retry_after`): given
    up at once, as the OpenAI SDK gives it up; not read as no wait and retried."""
    reply = Reply(
        status=429,
        headers=(("content-type", "application/json"), ("retry-after", "9" * 400)),
        body=[b'{"error": {"message": "slow down", "type": "rate_limit_error"}}'],
    )
    async with serve(reply) as server:
        async with AsyncClient(api_key="sk-test", base_url=f"{server.url}/v1") as client:
            with pytest.raises(eventide.RateLimitError) as caught:
                await client.complete("hi")
        assert len(server.requests) == 1
    assert caught.value.retry_after == math.inf
