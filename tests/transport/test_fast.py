"""FastTransport over real sockets: framing, reuse, limits of what a server may send, TLS,
the closed state, and the httpx client over it (the proxy case)."""

from __future__ import annotations

import socket
import ssl
from typing import TYPE_CHECKING

import httpx
import pytest
import trio
import trustme

import eventide
from eventide import ProtocolError, StreamTimeout, Timeouts
from eventide._transport import (
    FastHTTPXTransport,
    FastTransport,
    HTTPRequest,
    HTTPXTransport,
    TransportClosed,
    _connection,
    default_transport,
)
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


async def test_fast_transport_is_the_default(provider: OpenAIChat) -> None:
    assert isinstance(provider._transport.get(), FastTransport)


async def test_a_proxy_in_the_environment_gets_an_httpx_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    transport = default_transport()
    assert isinstance(transport, HTTPXTransport)
    # direct URLs still go the fast way
    assert isinstance(transport.client._transport, FastHTTPXTransport)
    await transport.aclose()
    assert transport.client.is_closed  # the client it made is its own


async def test_fast_transport_also_serves_a_callers_httpx_client(server: ScriptedServer) -> None:
    async with (
        httpx.AsyncClient(transport=FastHTTPXTransport()) as client,
        OpenAIChat(base_url=f"{server.url}/v1", api_key="k", http_client=client) as provider,
    ):
        for _ in range(2):
            assert await eventide.collect_text(provider.stream("hi")) == "chunk by chunk"
        assert server.connections_accepted == 1
        server.reply(Reply(body=[*BODY[:2], RawBytes(b"zz\r\n"), Stall()]))
        with pytest.raises(ProtocolError, match="malformed chunk-size line") as info:
            await eventide.collect(provider.stream("hi"))  # its error passes httpx unchanged
    assert info.value.partial is not None
    assert info.value.partial.text == "chunk "


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
    async with FastTransport() as transport:
        with pytest.raises(eventide.TransportError, match="unsupported URL scheme 'ftp'"):
            await transport.open(HTTPRequest("GET", "ftp://127.0.0.1/x"), Timeouts())


async def test_fast_transport_open_returns_status_headers_and_body(server: ScriptedServer) -> None:
    server.reply(Reply(body=BODY, headers=(("x-a", "1"), ("x-a", "2"))))
    async with FastTransport() as transport:
        response = await transport.open(
            HTTPRequest("POST", f"{server.url}/v1/chat/completions", {"X-Mine": "yes"}, b"{}"),
            Timeouts(),
        )
        body = b"".join([chunk async for chunk in response.chunks])
        assert response.complete
        await response.aclose()
        await response.aclose()  # idempotent
    assert response.status == 200
    assert response.headers["x-a"] == "1, 2"
    assert body == b"".join(BODY)
    assert server.requests[0].headers["x-mine"] == "yes"


async def test_a_closed_fast_transport_refuses_requests() -> None:
    transport = FastTransport()
    await transport.aclose()
    with pytest.raises(TransportClosed, match="closed") as info:
        await transport.open(HTTPRequest("GET", "http://127.0.0.1:1/"), Timeouts())
    assert isinstance(info.value, eventide.TransportError)
    assert not info.value.retryable


async def test_a_closed_provider_refuses_streams_instead_of_making_a_new_client(
    provider: OpenAIChat,
) -> None:
    assert await eventide.collect_text(provider.stream("hi")) == "chunk by chunk"
    await provider.aclose()
    with pytest.raises(TransportClosed, match="provider has been closed") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "openai"
    assert provider._transport.closed


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
    transport = FastTransport(verify=context)
    async with transport, OpenAIChat(base_url=url, api_key="k", transport=transport) as trusting:
        assert await eventide.collect_text(trusting.stream("hi")) == "chunk by chunk"
    nursery.cancel_scope.cancel()


async def test_fast_transport_limits_connections_per_origin(server: ScriptedServer) -> None:
    server.reply(Reply(body=[piece for chunk in BODY for piece in (Pause(0.02), chunk)]))
    peak = 0

    def all_served() -> bool:  # checked at every change of the server's state
        nonlocal peak  # requests the server has received and not yet answered in full
        peak = max(peak, len(server.requests) - server.completed)
        return server.completed == 6

    transport = FastTransport(max_connections=2)
    provider = OpenAIChat(base_url=f"{server.url}/v1", transport=transport)
    async with transport, provider, trio.open_nursery() as streams:
        for _ in range(6):
            streams.start_soon(eventide.collect, provider.stream("hi"))
        await server.wait_for(all_served, 30, "six responses")
    assert server.completed == 6
    assert peak == 2


async def test_fast_transport_pool_timeout(
    autojump_clock: trio.abc.Clock, server: ScriptedServer
) -> None:
    server.reply(Reply(body=[*BODY[:2], Stall()]))
    transport = FastTransport(max_connections=1)
    provider = OpenAIChat(base_url=f"{server.url}/v1", transport=transport)
    async with transport, provider, provider.stream("hi") as holding:
        await holding.__anext__()
        with pytest.raises(StreamTimeout) as info:
            await eventide.collect(provider.stream("hi", timeouts=Timeouts(pool=5)))
    assert info.value.phase == "pool"


async def test_fast_transport_reads_tls_natively_and_bounds_a_read_that_waits(
    authority: trustme.CA, nursery: trio.Nursery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TLS connection is a plain socket read natively, its records decrypted in memory; a
    read that finds no whole record (the response not yet written) waits, bounded by the
    read timeout (part of a record: test_connection_tls.py)."""
    waited: list[tuple[type[object], bool]] = []
    try_recv = vars(_connection)["try_recv"]

    def recording(sock: socket.socket, tls: object) -> tuple[bytes, int]:
        data, event = try_recv(sock, tls)
        if event:  # no whole record yet: the read waits
            waited.append((type(sock), tls is not None))
        return data, event

    monkeypatch.setitem(vars(_connection), "try_recv", recording)
    port = await nursery.start(serve_tls, authority)
    context = ssl.create_default_context()
    authority.configure_trust(context)
    transport = FastTransport(verify=context)
    url = f"https://127.0.0.1:{port}/v1"
    async with transport, OpenAIChat(base_url=url, api_key="k", transport=transport) as provider:
        assert await eventide.collect_text(provider.stream("hi")) == "chunk by chunk"
    assert waited
    assert set(waited) == {(socket.socket, True)}
    nursery.cancel_scope.cancel()


async def test_fast_transport_head_then_post_on_one_connection(server: ScriptedServer) -> None:
    # each response is read knowing its request's method: the HEAD's Content-Length
    # announces no body
    server.queue(Reply(headers=(("content-type", "text/plain"), ("content-length", "5"))))
    url = f"{server.url}/v1/chat/completions"
    bodies = []
    async with FastTransport() as transport:
        for method in ("HEAD", "POST"):
            response = await transport.open(HTTPRequest(method, url, body=b"{}"), Timeouts())
            bodies.append(b"".join([chunk async for chunk in response.chunks]))
            assert response.complete
            await response.aclose()
    assert bodies == [b"", b"".join(BODY)]
    assert [request.method for request in server.requests] == ["HEAD", "POST"]
    assert server.connections_accepted == 1
