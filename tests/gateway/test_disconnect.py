"""A client that leaves closes the upstream: in every window, within `DISCONNECT_BUDGET`.

The upstream is a real loopback OpenAI-compatible server (tests/http_server.py), the
gateway runs under hypercorn on trio, the client is the official openai SDK."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import openai
import pytest
import trio

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


async def test_abandoned_streams_leave_no_connection_open() -> None:
    body: list[Piece] = [*openai_chunks(["a"], usage=False)[:2], Stall()]
    async with (
        serve(Reply(body=body)) as server,
        gateway(upstream(server.url)) as url,
        client(url) as sdk,
    ):

        async def abandon() -> None:
            stream = await sdk.chat.completions.create(
                model="m",
                messages=MESSAGES,
                stream=True,
            )
            async for _ in stream:
                break
            await stream.close()

        async with trio.open_nursery() as nursery:
            for _ in range(50):
                nursery.start_soon(abandon)
        await server.wait_for(lambda: len(server.disconnects) == 50, timeout=5)
        await server.wait_for(lambda: server.open_connections == 0, timeout=5)
    assert server.connections_accepted >= 1
