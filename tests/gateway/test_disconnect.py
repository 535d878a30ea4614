"""A client that leaves closes the upstream: in every window, within `DISCONNECT_BUDGET`.

The upstream is a real loopback OpenAI-compatible server (tests/http_server.py), the
gateway runs under hypercorn on trio, the client is the official openai SDK (plain httpx for
the 1,000 abandoned streams, where the SDK's own cost per request would double the time)."""

from __future__ import annotations

import os
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import openai
import pytest
import trio
import trio.testing

from eventide._transport._deadlines import ReadDeadlines
from eventide.providers import OpenAIChat
from tests.http_server import (
    Piece,
    Reply,
    Stall,
    assert_disconnect_seen,
    openai_chunks,
    serve,
    slow,
)

from .serving import gateway

if TYPE_CHECKING:
    from collections.abc import Callable

    from openai.types.chat import ChatCompletionMessageParam

pytestmark = pytest.mark.filterwarnings(
    "ignore:Async generator '(openai\\._streaming|httpx2|httpcore2)\\.:ResourceWarning"
)

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "go"}]


def upstream(url: str) -> OpenAIChat:
    return OpenAIChat(base_url=f"{url}/v1", api_key="sk-upstream-secret", model="gpt-4o-mini")


def client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(stall_before_headers=True),  # before the upstream's head
        Reply(body=[Stall()]),  # the head came, the first token has not
    ],
    ids=["before-head", "before-first-token"],
)
async def test_client_leaving_before_any_event_closes_the_upstream(reply: Reply) -> None:
    async with serve(reply) as server, gateway(upstream(server.url)) as url, client(url) as sdk:
        with trio.move_on_after(10) as scope:
            async with trio.open_nursery() as nursery:

                async def ask() -> None:
                    await sdk.chat.completions.create(
                        model="m",
                        messages=MESSAGES,
                        stream=True,
                    )

                nursery.start_soon(ask)
                await server.wait_for(lambda: len(server.requests) == 1, timeout=5)
                await trio.sleep(0.05)  # the gateway now waits on the upstream
                left = time.monotonic()
                nursery.cancel_scope.cancel()  # the client hangs up
        assert not scope.cancelled_caught
        await assert_disconnect_seen(server, left)
        await server.wait_for(lambda: server.open_connections == 0, timeout=2)


async def test_client_leaving_mid_stream_closes_the_upstream() -> None:
    body = [*slow(openai_chunks(["a", "b", "c"], usage=False)[:3]), Stall()]
    async with (
        serve(Reply(body=body)) as server,
        gateway(upstream(server.url)) as url,
        client(url) as sdk,
    ):
        stream = await sdk.chat.completions.create(
            model="m",
            messages=MESSAGES,
            stream=True,
        )
        seen = ""
        async for chunk in stream:
            seen += "".join(choice.delta.content or "" for choice in chunk.choices)
            if seen == "ab":
                break
        await stream.close()
        left = time.monotonic()
        await assert_disconnect_seen(server, left)
        await server.wait_for(lambda: server.open_connections == 0, timeout=2)
    assert seen == "ab"


BODIES = {
    "/v1/responses": {"model": "m", "input": "go", "stream": True},
    "/v1/messages": {"model": "m", "max_tokens": 5, "messages": MESSAGES, "stream": True},
}
WINDOWS = {
    "before-head": Reply(stall_before_headers=True),
    "before-first-token": Reply(body=[Stall()]),
    "mid-stream": Reply(body=[*slow(openai_chunks(["a", "b", "c"], usage=False)[:3]), Stall()]),
}


@pytest.mark.parametrize("window", list(WINDOWS))
@pytest.mark.parametrize("path", list(BODIES))
async def test_every_dialect_closes_the_upstream_when_the_client_leaves(
    path: str, window: str
) -> None:
    """The Responses and Anthropic dialects, in each window, as the chat tests above: the
    client (plain httpx) leaves, the upstream sees it within the budget."""
    async with (
        serve(WINDOWS[window]) as server,
        gateway(upstream(server.url)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        seen = b""
        with trio.move_on_after(10) as scope:
            async with trio.open_nursery() as nursery:

                async def ask() -> None:
                    nonlocal seen
                    async with http.stream("POST", path, json=BODIES[path]) as reply:
                        async for piece in reply.aiter_bytes():
                            seen += piece
                            if b'"b"' in seen:
                                nursery.cancel_scope.cancel()

                nursery.start_soon(ask)
                if window != "mid-stream":
                    await server.wait_for(lambda: len(server.requests) == 1, timeout=5)
                    await trio.sleep(0.05)  # the gateway now waits on the upstream
                    nursery.cancel_scope.cancel()  # the client hangs up
        left = time.monotonic()
        assert not scope.cancelled_caught
        await assert_disconnect_seen(server, left)
        await server.wait_for(lambda: server.open_connections == 0, timeout=2)
    assert (b'"b"' in seen) == (window == "mid-stream")


LISTEN = 0x0A  # a listening socket's state in /proc/net/tcp


def connections(*ports: int) -> int:
    """This process's TCP connections (not listeners) with one of `ports` at either end,
    read from ``/proc`` (Linux): the sockets among our file descriptors, their ports and
    state from ``/proc/net/tcp``. A socket we have closed is no longer ours, whatever the
    kernel still does with it."""
    ours = set()
    for fd in Path("/proc/self/fd").iterdir():
        with suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                ours.add(int(target[8:-1]))
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, remote, state, inode = (line.split()[i] for i in (1, 2, 3, 9))
            ends = {int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)}
            if int(inode) in ours and int(state, 16) != LISTEN and ends & set(ports):
                count += 1
    return count


def tasks() -> int:
    """How many tasks this trio run has, from its root task down."""

    def count(task: trio.lowlevel.Task) -> int:
        nurseries = task.child_nurseries
        return 1 + sum(count(child) for nursery in nurseries for child in nursery.child_tasks)

    root = trio.lowlevel.current_root_task()
    assert root is not None
    return count(root)


async def eventually(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until `condition()` holds, checking every 10 ms."""
    with trio.fail_after(timeout):
        while True:
            if condition():
                return
            await trio.sleep(0.01)


ABANDONED = 1000
AT_ONCE = 100  # streams open at a time


async def test_abandoned_streams_leave_no_connection_open() -> None:
    """After 1,000 streams abandoned after their first chunk (100 at a time), the upstream
    saw every one leave and closed every connection, and neither the gateway's server side,
    its upstream client nor the client hold a connection or a task."""
    body: list[Piece] = [*openai_chunks(["a"], usage=False)[:2], Stall()]
    async with serve(Reply(body=body)) as server, gateway(upstream(server.url)) as url:
        ports = (port(url), port(server.url))
        await trio.testing.wait_all_tasks_blocked()  # the servers have started all their tasks
        ReadDeadlines.of_this_run()  # the run's one read-timeout task, not a stream's
        baseline = tasks()
        limit = trio.CapacityLimiter(AT_ONCE)
        request = {"model": "m", "messages": MESSAGES, "stream": True}
        async with httpx.AsyncClient(base_url=f"{url}/v1") as http:

            async def abandon() -> None:
                async with limit, http.stream("POST", "/chat/completions", json=request) as reply:
                    async for _ in reply.aiter_bytes():
                        break

            async with trio.open_nursery() as nursery:
                for _ in range(ABANDONED):
                    nursery.start_soon(abandon)
        # Generous limits for a busy machine: the 100 ms budget is the other tests' business.
        await server.wait_for(lambda: len(server.disconnects) == ABANDONED, timeout=30)
        await server.wait_for(lambda: server.open_connections == 0, timeout=10)
        await eventually(lambda: connections(*ports) == 0)
        await eventually(lambda: tasks() == baseline)
    assert server.connections_accepted >= 1


def port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])
