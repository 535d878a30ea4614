"""Every way a request can fail before its stream is a typed eventide error: TLS handshakes
that break, certificates for another host, grouped connect errors, requests HTTP cannot
carry; and the HTTP edges: redirects, an early 413 while the body uploads, IPv6 literals."""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import httpx
import pytest
import trio
import trustme

import eventide
from eventide import RequestError, StreamTimeout, Timeouts, TransportError
from eventide._transport import FastTransport, HTTPRequest, HTTPXTransport, _connection
from eventide._transport._fast import _address
from eventide.providers import OpenAIChat
from tests.http_server import Reply, ScriptedServer, openai_chunks, serve

BODY = b"".join(openai_chunks(["fine"]))
RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=[BODY])) as running:
        yield running


Handler: TypeAlias = Callable[[trio.SocketStream], Awaitable[None]]


async def serve_raw(
    handler: Handler,
    host: str = "127.0.0.1",
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """A TCP server whose every connection `handler` scripts byte by byte."""

    async def guarded(stream: trio.SocketStream) -> None:
        try:
            await handler(stream)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            stream.socket.close()

    listeners = await trio.open_tcp_listeners(0, host=host)
    task_status.started(listeners[0].socket.getsockname()[1])
    await trio.serve_listeners(guarded, listeners)


async def read_head(stream: trio.SocketStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        received = await stream.receive_some(65536)
        if not received:
            break
        data += received
    return data


async def reset(stream: trio.SocketStream) -> None:
    stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    stream.socket.close()


async def open_once(url: str, transport: Any = None, **options: Any) -> None:
    async with OpenAIChat(base_url=url, api_key="sk-secret", transport=transport) as provider:
        await eventide.collect(provider.stream("hi", **options))


# -- TLS ------------------------------------------------------------------------------------


async def reset_in_handshake(stream: trio.SocketStream) -> None:
    await stream.receive_some(65536)  # the ClientHello
    await reset(stream)


async def close_in_handshake(stream: trio.SocketStream) -> None:
    await stream.receive_some(65536)
    await stream.aclose()


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (reset_in_handshake, r"the connection broke \(.*reset"),
        (close_in_handshake, "the server closed the connection during the TLS handshake"),
    ],
    ids=["reset", "close"],
)
async def test_a_broken_tls_handshake_is_a_transport_error(
    nursery: trio.Nursery, handler: Handler, message: str
) -> None:
    port = await nursery.start(serve_raw, handler)
    with pytest.raises(TransportError, match=f"cannot connect to 127.0.0.1:{port}: {message}"):
        await open_once(f"https://127.0.0.1:{port}/v1")
    nursery.cancel_scope.cancel()


AUTHORITY = trustme.CA()


async def wrong_host(stream: trio.SocketStream) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    AUTHORITY.issue_cert("api.example.org").configure_cert(context)
    await trio.SSLStream(stream, context, server_side=True).do_handshake()


def trusting() -> ssl.SSLContext:
    context = ssl.create_default_context()
    AUTHORITY.configure_trust(context)
    return context


async def test_a_certificate_for_another_host_is_a_transport_error(
    nursery: trio.Nursery,
) -> None:
    port = await nursery.start(serve_raw, wrong_host)
    async with FastTransport(verify=trusting()) as transport:
        with pytest.raises(TransportError, match=r"CERTIFICATE_VERIFY_FAILED.*(mismatch|match)"):
            await open_once(f"https://127.0.0.1:{port}/v1", transport)
    nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    "handler", [reset_in_handshake, close_in_handshake, wrong_host], ids=lambda h: h.__name__
)
async def test_over_httpx_every_tls_fault_is_a_transport_error(
    nursery: trio.Nursery, handler: Handler
) -> None:
    port = await nursery.start(serve_raw, handler)
    async with httpx.AsyncClient(verify=trusting()) as client:
        with pytest.raises(TransportError, match="cannot connect"):
            await open_once(f"https://127.0.0.1:{port}/v1", HTTPXTransport(client))
    nursery.cancel_scope.cancel()


async def test_a_group_of_connect_errors_is_one_transport_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def happy_eyeballs(host: str, port: int) -> None:
        raise ExceptionGroup("attempts", [ConnectionRefusedError(111, "refused")])

    monkeypatch.setattr(_connection, "_connect_name", happy_eyeballs)
    expected = r"cannot connect to api\.invalid:443: .*refused"
    with pytest.raises(TransportError, match=expected) as info:
        await open_once("https://api.invalid/v1")
    assert isinstance(info.value.__cause__, ConnectionRefusedError)

    async def two_fail(host: str, port: int) -> None:
        raise ExceptionGroup("attempts", [OSError("v6 unreachable"), OSError("v4 refused")])

    monkeypatch.setattr(_connection, "_connect_name", two_fail)
    with pytest.raises(TransportError, match="v6 unreachable; v4 refused"):
        await open_once("https://api.invalid/v1")


async def test_a_connect_timeout_stays_a_stream_timeout(autojump_clock: trio.abc.Clock) -> None:
    async def never(host: str, port: int) -> None:
        await trio.sleep_forever()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_connection, "_connect_name", never)
        with pytest.raises(StreamTimeout) as info:
            await open_once("https://api.invalid/v1", timeouts=Timeouts(connect=3))
    assert info.value.phase == "connect"


# -- requests HTTP cannot carry, and URLs it can ---------------------------------------------


@pytest.mark.parametrize("path", ["fast", "httpx"])
async def test_a_header_value_that_is_not_latin_1_is_unsendable_and_not_echoed(
    server: ScriptedServer, path: str
) -> None:
    key = "sk-\u20ac-secret"  # a key pasted with a euro sign
    request = HTTPRequest("POST", f"{server.url}/v1", {"authorization": f"Bearer {key}"})
    transport: Any = FastTransport() if path == "fast" else HTTPXTransport(httpx.AsyncClient())
    async with transport:
        with pytest.raises(RequestError) as info:
            await transport.open(request, Timeouts())
    assert isinstance(info.value, ValueError)  # a RequestError is also a ValueError
    assert not info.value.retryable
    assert "secret" not in str(info.value)
    assert "\u20ac" not in str(info.value)
    assert not server.requests


async def test_a_header_value_with_a_line_break_is_unsendable(server: ScriptedServer) -> None:
    request = HTTPRequest("GET", f"{server.url}/", {"x-mine": "a\r\nx-injected: 1"})
    async with FastTransport() as transport:
        with pytest.raises(RequestError, match="cannot send the request"):
            await transport.open(request, Timeouts())


@pytest.mark.parametrize("path", ["fast", "httpx"])
async def test_a_non_ascii_path_and_query_are_percent_encoded_as_httpx_does(
    server: ScriptedServer, path: str
) -> None:
    server.reply(Reply(body=[b"ok"]))
    url = f"{server.url}/v1/mod\u00e8le b/%41?q=\u00fc x&k=%20"
    transport: Any = FastTransport() if path == "fast" else HTTPXTransport(httpx.AsyncClient())
    async with transport:
        response = await transport.open(HTTPRequest("GET", url), Timeouts())
        await response.aclose()
    assert server.requests[0].path == "/v1/mod%C3%A8le%20b/%41?q=%C3%BC%20x&k=%20"


def test_urls_become_origin_host_and_target() -> None:
    assert _address("https://b\u00fccher.example/v1") == (
        ("https", "xn--bcher-kva.example", 443),
        b"xn--bcher-kva.example",
        b"/v1",
    )
    assert _address("http://[::1]:8080") == (("http", "::1", 8080), b"[::1]:8080", b"/")
    assert _address("http://127.0.0.1:0/x")[0] == ("http", "127.0.0.1", 0)
    with pytest.raises(RequestError, match="invalid URL"):
        _address("http://127.0.0.1:port/")
    with pytest.raises(RequestError, match="the URL has no host"):
        _address("https:///v1")


def ipv6_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_available(), reason="this machine has no IPv6 loopback (::1)")
async def test_an_ipv6_literal_host_works(nursery: trio.Nursery) -> None:
    heads: list[bytes] = []

    async def answer(stream: trio.SocketStream) -> None:
        heads.append(await read_head(stream))
        await stream.send_all(RESPONSE)

    port = await nursery.start(serve_raw, answer, "::1")
    async with OpenAIChat(base_url=f"http://[::1]:{port}/v1", api_key="k") as provider:
        assert await eventide.collect_text(provider.stream("hi")) == "fine"
    assert f"\r\nhost: [::1]:{port}\r\n".encode() in heads[0]
    nursery.cancel_scope.cancel()


# -- HTTP edges -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_refused_by_name_and_never_followed(
    server: ScriptedServer, status: int
) -> None:
    elsewhere = "https://elsewhere.example/v1/chat/completions?key=sk-secret"
    server.reply(Reply(status=status, headers=(("location", elsewhere),), body=[b"moved"]))
    async with OpenAIChat(base_url=f"{server.url}/v1", api_key="sk-secret") as provider:
        with pytest.raises(eventide.ProviderError) as info:
            await eventide.collect(provider.stream("hi"))
    error = info.value
    assert error.code == "redirect"
    assert error.status_code == status
    assert not error.retryable
    assert f"answered {status} (a redirect) to 'https://elsewhere.example/" in error.message
    assert "?key=[redacted]" in error.message
    assert "sk-secret" not in str(error)
    assert len(server.requests) == 1


async def test_an_early_413_while_the_body_uploads_is_reported_with_its_status(
    nursery: trio.Nursery,
) -> None:
    error = b'{"error": {"message": "request too large", "type": "invalid_request_error"}}'

    async def refuse_early(stream: trio.SocketStream) -> None:
        await read_head(stream)  # and none of the body
        head = b"HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\n"
        await stream.send_all(head + b"content-length: %d\r\n\r\n%s" % (len(error), error))
        await reset(stream)  # unread body bytes: the kernel resets the connection anyway

    port = await nursery.start(serve_raw, refuse_early)
    huge = "x" * (32 * 1024 * 1024)  # far more than the socket buffers hold
    async with OpenAIChat(base_url=f"http://127.0.0.1:{port}/v1", api_key="k") as provider:
        with pytest.raises(eventide.BadRequestError) as info:
            await eventide.collect(provider.stream(huge))
    assert info.value.status_code == 413
    assert "request too large" in info.value.message
    nursery.cancel_scope.cancel()


async def test_a_write_error_without_a_response_is_a_retryable_transport_error(
    nursery: trio.Nursery,
) -> None:
    async def drop(stream: trio.SocketStream) -> None:
        await read_head(stream)
        await reset(stream)

    port = await nursery.start(serve_raw, drop)
    async with OpenAIChat(base_url=f"http://127.0.0.1:{port}/v1", api_key="k") as provider:
        with pytest.raises(TransportError) as info:
            await eventide.collect(provider.stream("x" * (32 * 1024 * 1024)))
    assert info.value.retryable
    assert not isinstance(info.value, eventide.ProtocolError)
    nursery.cancel_scope.cancel()
