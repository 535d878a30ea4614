"""Reusing connections the way real servers leave them: closed after every response without
saying so, closed while the next request is on its way, and above 1,024 descriptors."""

from __future__ import annotations

import contextlib
import os
import resource
from typing import TYPE_CHECKING

import httpx
import pytest

import eventide
from eventide import ProtocolError, Timeouts, TransportError
from eventide._transport import FastTransport, HTTPRequest
from tests.http_server import Cut, Reply, ScriptedServer
from tests.kits import OPENAI, kit_fixture

if TYPE_CHECKING:
    from collections.abc import Iterator

    from eventide.providers import Provider
    from tests.kits import Kit

BODY = OPENAI.body(["Hello", ", ", "world"])  # what the `server` fixture answers
TEXT = "Hello, world"
# A whole response that keeps the connection open by HTTP/1.1's default, from a server that
# closes it all the same (`Reply.raw` closes after its bytes), as llama.cpp's server does.
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n"
CLOSING = Reply.raw(HEAD % len(b"".join(BODY)) + b"".join(BODY))
# A server that reads the request and closes without a byte of a response.
SILENT_CLOSE = Reply.raw(Cut())
SILENT_RESET = Reply.raw(Cut(reset=True))


kit = kit_fixture(OPENAI)


async def test_a_server_that_closes_after_every_response_never_fails_a_request(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(CLOSING)
    for _ in range(60):
        assert await eventide.collect_text(provider.stream("hi")) == TEXT
    assert len(server.requests) == server.connections_accepted  # each on a new connection


@pytest.mark.parametrize("closing", [SILENT_CLOSE, SILENT_RESET], ids=["close", "reset"])
async def test_a_reused_connection_closed_before_responding_is_retried_once(
    server: ScriptedServer, provider: Provider, closing: Reply
) -> None:
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    server.queue(closing)  # the request on the reused connection is read, then dropped
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    assert [request.connection for request in server.requests] == [0, 0, 1]


async def test_a_retried_request_that_fails_again_is_a_retryable_transport_error(
    server: ScriptedServer, provider: Provider
) -> None:
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    server.queue(SILENT_CLOSE)
    server.queue(SILENT_CLOSE)
    with pytest.raises(TransportError, match="closed the connection before responding") as info:
        await eventide.collect(provider.stream("hi"))
    assert type(info.value) is TransportError
    assert info.value.retryable
    assert len(server.requests) == 3  # one retry, no more


async def test_a_new_connection_closed_before_responding_is_not_retried(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(SILENT_CLOSE)
    with pytest.raises(TransportError, match="closed the connection before responding") as info:
        await eventide.collect(provider.stream("hi"))
    assert type(info.value) is TransportError
    assert info.value.retryable
    assert len(server.requests) == 1


async def test_a_response_cut_after_its_first_bytes_is_not_retried(
    server: ScriptedServer, provider: Provider
) -> None:
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    server.queue(Reply.raw(b"HTTP/1.1 200 O", Cut()))
    with pytest.raises(ProtocolError, match="malformed response head"):
        await eventide.collect(provider.stream("hi"))
    assert len(server.requests) == 2


@contextlib.contextmanager
def descriptors_above(floor: int) -> Iterator[None]:
    """Hold open descriptors until the next ones the process opens are above `floor`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = floor + 512
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"the descriptor limit ({hard}) is too low to test above {floor}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    read, write = os.pipe()
    held = [read, write]
    try:
        while held[-1] < floor:
            held.append(os.dup(read))
        yield
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("reply", [Reply(body=BODY), CLOSING], ids=["kept", "closed"])
async def test_pooled_connections_above_descriptor_1024_are_checked_and_reused(
    server: ScriptedServer, reply: Reply
) -> None:
    server.reply(reply)
    with descriptors_above(1100):
        async with FastTransport() as transport:
            for _ in range(3):
                response = await transport.open(
                    HTTPRequest("POST", f"{server.url}/v1/chat/completions"), Timeouts()
                )
                assert response._connection is not None
                sock = response._connection.sock
                assert sock.fileno() > 1024
                assert b"".join([chunk async for chunk in response.chunks]) == b"".join(BODY)
                await response.aclose()
    expected = 1 if reply.framed else 3  # a closed connection is seen as stale, and replaced
    assert server.connections_accepted == expected
    await server.wait_for(lambda: server.open_connections == 0, 5, "every connection closed")


async def test_over_httpx_a_connection_closed_before_responding_is_a_transport_error(
    kit: Kit, server: ScriptedServer
) -> None:
    async with kit.provider(server.url, http_client=lambda: httpx.AsyncClient()) as provider:
        assert await eventide.collect_text(provider.stream("hi")) == TEXT
        server.queue(SILENT_CLOSE)  # httpx does not send it again: a retryable error says so
        with pytest.raises(TransportError, match="closed the connection before responding") as info:
            await eventide.collect(provider.stream("hi"))
    assert type(info.value) is TransportError
    assert info.value.retryable
