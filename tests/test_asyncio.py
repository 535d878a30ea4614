"""The same flows under asyncio: eventide's concurrency is anyio's, so it runs inside asyncio
applications (FastAPI, Jupyter) as well as under trio. The server runs in its own thread."""

from __future__ import annotations

import asyncio
import gc
import time
from functools import partial
from typing import TYPE_CHECKING

import pytest

import eventide
from eventide import Metadata, StreamTimeout, Timeouts
from eventide.providers import OpenAIChat
from tests.http_server import (
    DISCONNECT_BUDGET,
    Reply,
    ScriptedServer,
    Stall,
    openai_chunks,
    serve_in_thread,
    slow,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

LONG = openai_chunks([f"w{i} " for i in range(200)])


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve_in_thread(Reply(body=openai_chunks(["Hi", " there"]))) as running:
        yield running


def test_asyncio_stream_and_collect(server: ScriptedServer) -> None:
    async def main() -> tuple[list[eventide.Event], eventide.Completion]:
        async with OpenAIChat(base_url=f"{server.url}/v1", api_key="k") as provider:
            async with provider.stream("hi") as events:
                seen = [event async for event in events]
            return seen, await eventide.collect(provider.stream("hi"))

    seen, completion = asyncio.run(main())
    assert isinstance(seen[0], Metadata)
    assert completion.text == "Hi there"
    assert completion.finish_reason == "stop"
    assert server.connections_accepted == 1


def test_asyncio_first_metadata_closes_the_connection(server: ScriptedServer) -> None:
    server.reply(Reply(body=slow(LONG)))

    async def main() -> tuple[Metadata, float]:
        async with OpenAIChat(base_url=f"{server.url}/v1", api_key="k") as provider:
            metadata = await eventide.first_metadata(provider.stream("hi"))
            return metadata, time.monotonic()

    metadata, closed_at = asyncio.run(main())
    assert metadata.provider == "openai"
    assert server.wait_disconnect_sync(timeout=2) - closed_at < DISCONNECT_BUDGET


def test_asyncio_plain_break_releases_the_connection(server: ScriptedServer) -> None:
    server.reply(Reply(body=[*LONG[:3], Stall()]))

    async def main() -> None:
        async with OpenAIChat(base_url=f"{server.url}/v1", api_key="k") as provider:
            async for _ in provider.stream("hi"):
                break
            gc.collect()
            # The close runs as a task on this loop: keep the loop running until it is done.
            closed = partial(server.wait_for_sync, lambda: server.open_connections == 0)
            await asyncio.to_thread(closed, 2, "the connection closed")

    asyncio.run(main())
    assert server.open_connections == 0
    assert len(server.disconnects) == 1


def test_asyncio_idle_timeout_keeps_the_partial(server: ScriptedServer) -> None:
    server.reply(Reply(body=[*LONG[:3], Stall()]))

    async def main() -> None:
        async with OpenAIChat(base_url=f"{server.url}/v1", api_key="k") as provider:
            await eventide.collect(provider.stream("hi", timeouts=Timeouts(idle=0.2)))

    with pytest.raises(StreamTimeout) as info:
        asyncio.run(main())
    assert info.value.phase == "idle"
    assert info.value.partial is not None
    assert info.value.partial.text == "w0 w1 "
