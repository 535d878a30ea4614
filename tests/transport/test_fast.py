"""FastTransport over real sockets: framing, reuse, limits of what a server may send, TLS."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import httpx
import pytest
import trio
import trustme

import eventide
from eventide import ProtocolError, StreamTimeout, Timeouts
from eventide._transport import FastClient, FastTransport, default_client
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

BODY = openai_chunks(["chunk ", "by ", "chunk"])


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=BODY)) as running:
        yield running


@pytest.fixture
async def provider(server: ScriptedServer) -> AsyncIterator[OpenAIChat]:
    async with OpenAIChat(base_url=f"{server.url}/v1", api_key="k") as made:
        yield made


async def test_fast_client_is_the_default(provider: OpenAIChat) -> None:
    assert isinstance(provider._client.get(), FastClient)


async def test_a_proxy_in_the_environment_gets_an_httpx_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    client = default_client()
    assert isinstance(client, httpx.AsyncClient)
    assert isinstance(client._transport, FastTransport)  # direct URLs still go the fast way
    await client.aclose()


async def test_fast_transport_also_serves_a_callers_httpx_client(server: ScriptedServer) -> None:
    async with (
        httpx.AsyncClient(transport=FastTransport()) as client,
        OpenAIChat(base_url=f"{server.url}/v1", api_key="k", http_client=client) as provider,
    ):
        for _ in range(2):
            assert await eventide.collect_text(provider.stream("hi")) == "chunk by chunk"
    assert server.connections_accepted == 1


async def test_fast_transport_reads_content_length_bodies_and_reuses_the_connection(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=BODY, content_length=True))
    for _ in range(3):
        assert await eventide.collect_text(provider.stream("hi")) == "chunk by chunk"
    assert server.connections_accepted == 1


async def test_fast_transport_reuses_after_a_chunked_body_but_not_after_an_early_close(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    await eventide.collect(provider.stream("hi"))
    await eventide.collect(provider.stream("hi"))
    assert server.connections_accepted == 1
    server.reply(Reply(body=[*BODY[:2], Stall()]))
    await eventide.first_metadata(provider.stream("hi"))
    server.reply(Reply(body=BODY))
    await eventide.collect(provider.stream("hi"))
    assert server.connections_accepted == 2


async def test_fast_transport_server_closing_an_idle_connection_is_not_an_error(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=BODY, headers=(("content-type", "text/event-stream"),)))
    await eventide.collect(provider.stream("hi"))
    server.queue(Reply(body=BODY, headers=(("connection", "close"),)))
    await eventide.collect(provider.stream("hi"))  # the server closes after this one
    assert await eventide.collect_text(provider.stream("hi")) == "chunk by chunk"
    assert server.connections_accepted == 2


@pytest.mark.parametrize(
    ("piece", "message"),
    [
        (RawBytes(b"zz\r\nbroken\r\n"), "malformed chunk-size line"),
        (RawBytes(b"f" * 100_000), "chunk-size line too long"),
        (RawBytes(b"5\r\nhelloXX"), "not followed by CRLF"),
    ],
)
async def test_fast_transport_malformed_chunked_encoding_is_a_protocol_error(
    server: ScriptedServer, provider: OpenAIChat, piece: RawBytes, message: str
) -> None:
    server.reply(Reply(body=[*BODY[:2], piece, Stall()]))
    with pytest.raises(ProtocolError, match=message) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "chunk "
    await server.wait_for(lambda: server.open_connections == 0, 5, "the broken connection closed")


async def test_fast_transport_never_ending_headers_are_bounded(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply.raw(b"HTTP/1.1 200 OK\r\nX-Endless: " + b"a" * 200_000, Stall()))
    with pytest.raises(ProtocolError, match="malformed response head"):
        await eventide.collect(provider.stream("hi"))


async def test_fast_transport_close_mid_content_length_body_is_a_protocol_error(
    server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=[*BODY[:2], Cut(), *BODY[2:]], content_length=True))
    with pytest.raises(ProtocolError, match="in the middle of the body"):
        await eventide.collect(provider.stream("hi"))


async def test_fast_transport_read_timeout(
    autojump_clock: trio.abc.Clock, server: ScriptedServer, provider: OpenAIChat
) -> None:
    server.reply(Reply(body=[*BODY[:2], Stall()]))
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(provider.stream("hi", timeouts=Timeouts(read=30)))
    assert info.value.phase == "read"
    assert info.value.partial is not None
    assert info.value.partial.text == "chunk "


async def test_fast_transport_rejects_unknown_schemes() -> None:
    async with httpx.AsyncClient(transport=FastTransport()) as client:
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("ftp://127.0.0.1/x")


# -- TLS ----------------------------------------------------------------------------------


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


async def serve_tls(
    authority: trustme.CA, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    body = b"".join(BODY)

    async def handle(stream: trio.SSLStream[trio.SocketStream]) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                request += await stream.receive_some(65536)
            head = (
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n"
            )
            await stream.send_all(head % len(body) + body)
            await stream.aclose()
        except trio.BrokenResourceError:
            pass  # the client refused our certificate

    listeners = await trio.open_ssl_over_tcp_listeners(0, context, host="127.0.0.1")
    tcp = listeners[0].transport_listener
    assert isinstance(tcp, trio.SocketListener)
    task_status.started(tcp.socket.getsockname()[1])
    await trio.serve_listeners(handle, listeners)


async def test_fast_transport_verifies_tls_certificates(
    authority: trustme.CA, nursery: trio.Nursery
) -> None:
    port = await nursery.start(serve_tls, authority)
    url = f"https://127.0.0.1:{port}/v1"
    async with OpenAIChat(base_url=url, api_key="k") as untrusting:
        with pytest.raises(eventide.TransportError, match="CERTIFICATE_VERIFY_FAILED"):
            await eventide.collect(untrusting.stream("hi"))
    context = ssl.create_default_context()
    authority.configure_trust(context)
    client = httpx.AsyncClient(transport=FastTransport(verify=context))
    async with client, OpenAIChat(base_url=url, api_key="k", http_client=client) as trusting:
        assert await eventide.collect_text(trusting.stream("hi")) == "chunk by chunk"
    nursery.cancel_scope.cancel()


async def test_fast_transport_limits_connections_per_origin(server: ScriptedServer) -> None:
    server.reply(Reply(body=[piece for chunk in BODY for piece in (Pause(0.02), chunk)]))
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:  # requests the server has received and not yet answered in full
            peak = max(peak, len(server.requests) - server.completed)
            await trio.sleep(0.002)

    client = httpx.AsyncClient(transport=FastTransport(max_connections=2))
    provider = OpenAIChat(base_url=f"{server.url}/v1", http_client=client)
    async with client, provider, trio.open_nursery() as nursery:
        nursery.start_soon(watch)
        async with trio.open_nursery() as streams:
            for _ in range(6):
                streams.start_soon(eventide.collect, provider.stream("hi"))
        nursery.cancel_scope.cancel()
    assert server.completed == 6
    assert peak == 2


async def test_fast_transport_pool_timeout(
    autojump_clock: trio.abc.Clock, server: ScriptedServer
) -> None:
    server.reply(Reply(body=[*BODY[:2], Stall()]))
    client = httpx.AsyncClient(transport=FastTransport(max_connections=1))
    provider = OpenAIChat(base_url=f"{server.url}/v1", http_client=client)
    async with client, provider, provider.stream("hi") as holding:
        await holding.__anext__()
        with pytest.raises(StreamTimeout) as info:
            await eventide.collect(provider.stream("hi", timeouts=Timeouts(pool=5)))
    assert info.value.phase == "pool"
