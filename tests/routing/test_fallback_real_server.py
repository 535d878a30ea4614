"""Fallback against real HTTP servers on 127.0.0.1 with scripted faults."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio
import trio.testing

import eventide
from eventide import Timeouts
from eventide.routing import Fallback, RetryPolicy
from tests.http_server import (
    Cut,
    Pause,
    Reply,
    ScriptedServer,
    Stall,
    openai_chunks,
    refused_url,
    serve,
    sse,
)
from tests.kits import OPENAI

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from eventide.providers import Provider

GOOD = Reply(body=openai_chunks(["Served ", "by the backup."], model="backup-1"))
HEAD = openai_chunks(["x"], model="primary-1")[:1]  # names the model, carries no content


@pytest.fixture
async def primary() -> AsyncIterator[ScriptedServer]:
    async with serve() as server:
        yield server


@pytest.fixture
async def backup() -> AsyncIterator[ScriptedServer]:
    async with serve(GOOD) as server:
        yield server


def client(server: ScriptedServer | str, name: str) -> Provider:
    url = server if isinstance(server, str) else server.url
    return OPENAI.provider(url, api_key=f"sk-{name}", name=name)


FAULTS = {
    "500": Reply(status=500, headers=(("content-type", "application/json"),), body=[b"{}"]),
    "html-502": Reply(
        status=502,
        headers=(("content-type", "text/html"),),
        body=[b"<html><title>502 Bad Gateway</title><body>nginx</body></html>"],
    ),
    "overloaded-after-200": Reply(
        body=[*HEAD, sse({"error": {"message": "Overloaded", "type": "overloaded_error"}})]
    ),
    "truncated-before-commit": Reply(body=[*HEAD, Cut()]),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_fallback_real_server_moves_on_after(
    fault: str, primary: ScriptedServer, backup: ScriptedServer
) -> None:
    primary.reply(FAULTS[fault])
    async with client(primary, "primary") as one, client(backup, "backup") as two:
        router = Fallback([one, two], retry=RetryPolicy(attempts=1))
        completion = await eventide.collect(router.stream("hi"))
    assert completion.text == "Served by the backup."
    assert completion.metadata is not None
    assert completion.metadata.provider == "backup"
    (attempt,) = completion.metadata.attempts
    assert attempt.provider == "primary"
    assert attempt.error in {"server", "overloaded", "protocol"}
    await primary.wait_for(lambda: primary.open_connections == 0, 5, "the failed attempt closed")


async def test_fallback_real_server_connection_refused(backup: ScriptedServer) -> None:
    async with client(refused_url(), "down") as one, client(backup, "backup") as two:
        metadata = await eventide.first_metadata(Fallback([one, two]).stream("hi"))
    assert metadata.provider == "backup"
    assert [(a.provider, a.error) for a in metadata.attempts] == [
        ("down", "transport"),
        ("down", "transport"),  # retried once: a refused connection may be a restart
    ]


async def test_fallback_real_server_honours_retry_after(
    autojump_clock: trio.testing.MockClock, primary: ScriptedServer, backup: ScriptedServer
) -> None:
    limited = Reply(
        status=429,
        headers=(("content-type", "application/json"), ("retry-after", "12")),
        body=[b'{"error":{"message":"slow down","type":"rate_limit_exceeded"}}'],
    )
    primary.queue(limited)
    primary.reply(Reply(body=openai_chunks(["After ", "waiting."], model="primary-1")))
    async with client(primary, "primary") as one, client(backup, "backup") as two:
        start = trio.current_time()
        completion = await eventide.collect(Fallback([one, two]).stream("hi"))
    assert trio.current_time() - start == pytest.approx(12, abs=0.5)
    assert completion.text == "After waiting."
    assert completion.metadata is not None
    assert [(a.error, a.status_code, a.retry_after) for a in completion.metadata.attempts] == [
        ("rate_limit", 429, 12.0)
    ]
    assert backup.requests == []


async def test_fallback_real_server_first_event_timeout(
    autojump_clock: trio.testing.MockClock, primary: ScriptedServer, backup: ScriptedServer
) -> None:
    primary.reply(Reply(body=[Stall()], stall_before_headers=True))
    async with client(primary, "primary") as one, client(backup, "backup") as two:
        router = Fallback([one, two], retry=RetryPolicy(attempts=1))
        completion = await eventide.collect(router.stream("hi", timeouts=Timeouts(first_event=8)))
    assert completion.provider == "backup"
    assert completion.metadata is not None
    assert completion.metadata.attempts[0].error == "timeout"
    await primary.wait_for(lambda: primary.open_connections == 0, 5, "the timed-out attempt closed")


async def test_fallback_real_server_hedge_returns_the_fast_answer_and_disconnects_the_slow(
    primary: ScriptedServer, backup: ScriptedServer
) -> None:
    primary.reply(Reply(body=[Pause(5), *openai_chunks(["Too ", "slow."])]))
    backup.reply(Reply(body=[Pause(0.05), *GOOD.body]))
    async with client(primary, "slow") as slow, client(backup, "fast") as fast:
        router = Fallback([slow, fast], hedge_after=0.1)
        with trio.fail_after(3):
            completion = await eventide.collect(router.stream("hi"))
    assert completion.text == "Served by the backup."
    assert completion.provider == "fast"
    await primary.wait_disconnect(timeout=2)
    assert primary.completed == 0
