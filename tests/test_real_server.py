"""OpenAIChat over a real HTTP/1.1 server on 127.0.0.1: streaming, early close, timeouts,
truncation, HTTP errors, and the connection pool after all of them."""

from __future__ import annotations

import gc
import socket
import time
from typing import TYPE_CHECKING

import pytest
import trio

import eventide
from eventide import Metadata, ProtocolError, StreamTimeout, TextDelta, Timeouts
from eventide.providers import OpenAIChat
from tests.http_server import (
    Cut,
    Pause,
    RawBytes,
    Reply,
    ScriptedServer,
    Stall,
    openai_chunks,
    serve,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

WORDS = [f"word{i} " for i in range(200)]
LONG = openai_chunks(WORDS)  # far more than the tests read before closing
DISCONNECT_BUDGET = 0.1  # seconds from the client's close to the server noticing


def slow(pieces: list[bytes], pause: float = 0.01) -> list[bytes | Pause]:
    """The pieces with a pause before each, as a model generating tokens would send them."""
    return [part for piece in pieces for part in (Pause(pause), piece)]


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=openai_chunks(["Hello", ", ", "world"]))) as running:
        yield running


@pytest.fixture
async def provider(server: ScriptedServer) -> AsyncIterator[OpenAIChat]:
    async with OpenAIChat(base_url=f"{server.url}/v1", api_key="sk-real-socket") as made:
        yield made


async def assert_disconnect_seen(server: ScriptedServer, since: float) -> None:
    seen = await server.wait_disconnect(timeout=2)
    assert seen - since < DISCONNECT_BUDGET, f"server saw the close after {seen - since:.3f} s"


async def test_real_server_full_stream(server: ScriptedServer, provider: OpenAIChat) -> None:
    completion = await eventide.collect(provider.stream("Say hello", model="gpt-4o-mini"))
    assert completion.text == "Hello, world"
    assert completion.metadata is not None
    assert completion.metadata.provider == "openai"
    assert completion.usage is not None
    assert completion.usage.output_tokens == 3
    assert completion.finish_reason == "stop"
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-real-socket"
    assert request.json()["messages"] == [{"role": "user", "content": "Say hello"}]
    assert server.completed == 1


async def test_real_server_reuses_the_connection_after_a_complete_stream(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    for _ in range(3):
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert server.connections_accepted == 1
    assert server.disconnects == []


async def test_real_server_first_metadata_closes_the_connection_at_once(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=slow(LONG)))
    metadata = await eventide.first_metadata(provider.stream("hi"))
    closed_at = time.monotonic()
    assert metadata.model == "gpt-4o-mini"
    await assert_disconnect_seen(server, closed_at)
    assert server.completed == 0


async def test_real_server_async_with_break_closes_the_connection(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=slow(LONG)))
    async with provider.stream("hi") as events:
        async for event in events:
            if isinstance(event, TextDelta):
                break
    closed_at = time.monotonic()
    await assert_disconnect_seen(server, closed_at)


async def test_real_server_cancel_scope_closes_the_connection(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=[*LONG[:3], Stall()]))
    received: list[eventide.Event] = []
    with trio.move_on_after(0.3) as scope:
        async with provider.stream("hi") as events:
            async for event in events:
                received.append(event)  # noqa: PERF401 - the loop is cancelled midway
    closed_at = time.monotonic()
    assert scope.cancelled_caught
    assert [type(e) for e in received] == [Metadata, TextDelta, TextDelta]
    await assert_disconnect_seen(server, closed_at)


async def test_real_server_plain_async_for_break_closes_the_connection(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    """No `async with`: the abandoned stream is closed when it is collected."""
    server.reply(Reply(body=slow(LONG)))
    async for event in provider.stream("hi"):
        assert isinstance(event, Metadata)
        break
    gc.collect()
    closed_at = time.monotonic()
    await assert_disconnect_seen(server, closed_at)


async def test_real_server_200_early_stops_leak_no_connection(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=[*LONG[:2], Stall()]))
    for _ in range(200):
        metadata = await eventide.first_metadata(provider.stream("hi"))
        assert metadata.provider == "openai"
    await server.wait_for(lambda: server.open_connections == 0, 5, "every connection closed")
    assert server.connections_accepted == 200  # an early-closed connection is never reused
    assert len(server.disconnects) == 200


async def test_real_server_truncated_body_is_a_protocol_error_with_the_partial(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=[*LONG[:4], Cut()]))
    with pytest.raises(ProtocolError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 word2 "
    assert info.value.content_emitted


async def test_real_server_close_mid_chunk_is_a_protocol_error(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=[*LONG[:2], RawBytes(b'40\r\ndata: {"choi'), Cut()]))
    with pytest.raises(ProtocolError, match="broken HTTP response") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 "


async def test_real_server_http_429_carries_retry_after(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    body = (
        b'{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'
    )
    server.reply(
        Reply(
            status=429,
            headers=(("content-type", "application/json"), ("retry-after", "20")),
            body=[body],
        )
    )
    with pytest.raises(eventide.RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 429
    assert info.value.retry_after == 20.0
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.retryable


async def test_real_server_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with OpenAIChat(base_url=f"http://127.0.0.1:{port}/v1", api_key="k") as provider:
        with pytest.raises(eventide.TransportError, match="cannot connect") as info:
            await eventide.collect(provider.stream("hi"))
    assert info.value.retryable
    assert not info.value.content_emitted


async def test_real_server_stall_before_headers_hits_the_first_event_timeout(
    autojump_clock: trio.abc.Clock, server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=LONG, stall_before_headers=True))
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(provider.stream("hi", timeouts=Timeouts(first_event=30)))
    assert info.value.phase == "first_event"
    assert info.value.partial is not None
    assert info.value.partial.metadata is None


async def test_real_server_stall_between_events_hits_the_idle_timeout(
    autojump_clock: trio.abc.Clock, server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=[*LONG[:3], Stall()]))
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(provider.stream("hi", timeouts=Timeouts(idle=15)))
    assert info.value.phase == "idle"
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 "
    await server.wait_for(lambda: server.open_connections == 0, 5, "the connection closed")


async def test_real_server_endless_trickle_hits_the_total_timeout(
    autojump_clock: trio.abc.Clock, server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=slow(LONG, pause=1.0)))
    start = trio.current_time()
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(provider.stream("hi", timeouts=Timeouts(idle=5, total=20.5)))
    assert info.value.phase == "total"
    assert trio.current_time() - start == pytest.approx(20.5)
    assert info.value.partial is not None
    assert info.value.partial.text == "".join(WORDS[:19])
