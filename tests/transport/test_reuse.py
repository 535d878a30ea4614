"""Reusing connections the way real servers leave them: closed after every response without
saying so (under trio and asyncio), closed while the next request is on its way, closed or
reset after reading it (never sent twice: the server may have processed it), above 1,024
descriptors, and by a pool shared by trio runs and asyncio loops."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import threading
from typing import TYPE_CHECKING, Any

import attrs
import httpx
import pytest
import trio

import eventide
from eventide import ProtocolError, Timeouts, TransportError
from eventide._transport import FastTransport, HTTPRequest
from eventide._transport._connection import Connection, connect
from eventide._transport._fast import RESET_WINDOW
from tests.http_server import Cut, Pause, Reply, ScriptedServer, serve_in_thread
from tests.kits import OPENAI, kit_fixture
from tests.transport.test_faults import read_head, serve_raw

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator

    from eventide.providers import Provider
    from tests.kits import Kit

BODY = OPENAI.body(["Hello", ", ", "world"])  # what the `server` fixture answers
TEXT = "Hello, world"
# A whole response that keeps the connection open by HTTP/1.1's default.
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n"
WHOLE = HEAD % len(b"".join(BODY)) + b"".join(BODY)
# A server that reads the request and closes without a byte of a response.
SILENT_CLOSE = Reply.raw(Cut())
SILENT_RESET = Reply.raw(Cut(reset=True))


kit = kit_fixture(OPENAI)


@attrs.define
class ClosingServer:
    """A server that closes the connection after every response without saying so, as
    llama.cpp's does: it reads one request on a connection, answers it and closes it (with a
    reset when the next request is already in, unread: RFC 1122 section 4.2.2.13).

    Attributes:
        url: ``"http://127.0.0.1:PORT"``.
        requests: The requests read: one per connection.
    """

    url: str = ""
    requests: int = 0

    async def handle(self, stream: trio.SocketStream) -> None:
        head, _, body = (await read_head(stream)).partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(body) < length:  # all of it: nothing left unread
            body += await stream.receive_some(65536)
        self.requests += 1
        await stream.send_all(WHOLE)


@pytest.fixture
async def closing_server(nursery: trio.Nursery) -> ClosingServer:
    made = ClosingServer()
    made.url = f"http://127.0.0.1:{await nursery.start(serve_raw, made.handle)}"
    return made


@contextlib.contextmanager
def closing_server_in_thread() -> Iterator[ClosingServer]:
    """A `ClosingServer` in a trio run of its own, on a thread: for a client under asyncio."""
    made = ClosingServer()
    scope = trio.CancelScope()
    ready = threading.Event()
    token: list[trio.lowlevel.TrioToken] = []

    async def main() -> None:
        with scope:
            async with trio.open_nursery() as nursery:
                made.url = f"http://127.0.0.1:{await nursery.start(serve_raw, made.handle)}"
                token.append(trio.lowlevel.current_trio_token())
                ready.set()

    thread = threading.Thread(target=trio.run, args=(main,))
    thread.start()
    ready.wait(10)
    try:
        yield made
    finally:
        trio.from_thread.run_sync(scope.cancel, trio_token=token[0])
        thread.join(10)


async def closing_many_times(url: str) -> None:
    async with OPENAI.provider(url) as provider:
        for _ in range(60):
            assert await eventide.collect_text(provider.stream("hi")) == TEXT


async def test_a_server_that_closes_after_every_response_never_fails_a_request(
    closing_server: ClosingServer,
) -> None:
    """Its reset races our next request about every other time here."""
    await closing_many_times(closing_server.url)
    assert closing_server.requests == 60  # none read twice


def test_under_asyncio_a_server_that_closes_after_every_response_never_fails_a_request() -> None:
    with closing_server_in_thread() as closing:
        asyncio.run(closing_many_times(closing.url))
    assert closing.requests == 60


@pytest.fixture
def missed_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's check of an idle connection misses the server's close, once: as when the
    close arrives just after the check, the race that no check before reuse closes."""
    check = Connection.stale
    missed: list[Connection] = []

    def stale(connection: Connection) -> bool:
        if missed:
            return check(connection)
        missed.append(connection)
        return False

    monkeypatch.setattr(Connection, "stale", stale)


@pytest.mark.parametrize("closing", [Cut(), Cut(reset=True)], ids=["close", "reset"])
async def test_a_request_that_crosses_the_servers_close_is_sent_once_more(
    server: ScriptedServer, provider: Provider, closing: Cut, missed_close: None
) -> None:
    server.queue(Reply.raw(WHOLE, closing))  # then the connection is closed while idle
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    await server.wait_for(lambda: server.open_connections == 0, 5, "the idle close")
    # the write fails (after a reset), or the close is there at once when it is done
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    assert [request.connection for request in server.requests] == [0, 1]


async def test_a_reused_connection_reset_at_once_before_responding_is_sent_once_more(
    server: ScriptedServer, provider: Provider
) -> None:
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    server.queue(SILENT_RESET)  # a reset at once: as when the server closed with it unread
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    assert [request.connection for request in server.requests] == [0, 0, 1]


@pytest.mark.parametrize(
    ("work", "closing"),
    [(0.0, Cut()), (0.2, Cut()), (RESET_WINDOW + 0.1, Cut(reset=True))],
    ids=["at-once", "after-working-on-it", "reset-after-working-on-it"],
)
async def test_a_request_the_server_read_before_closing_is_not_sent_again(
    server: ScriptedServer, provider: Provider, work: float, closing: Cut
) -> None:
    """A worker died, or a proxy timed out (a reset after the window): it may have been
    processed."""
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    server.queue(Reply.raw(Pause(work), closing))
    with pytest.raises(
        TransportError, match=r"before (responding|any response\)); not sent again"
    ) as info:
        await eventide.collect(provider.stream("hi"))
    assert type(info.value) is TransportError
    assert info.value.retryable  # the caller's retry policy decides
    assert [request.connection for request in server.requests] == [0, 0]


async def test_a_request_sent_once_more_that_fails_again_is_a_retryable_transport_error(
    server: ScriptedServer, provider: Provider
) -> None:
    assert await eventide.collect_text(provider.stream("hi")) == TEXT
    server.queue(SILENT_RESET)
    server.queue(SILENT_RESET)
    with pytest.raises(TransportError, match="reset by peer") as info:
        await eventide.collect(provider.stream("hi"))
    assert type(info.value) is TransportError
    assert info.value.retryable
    assert "not sent again" not in info.value.message  # it was sent again, on a new connection
    assert len(server.requests) == 3  # once more, no more


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


@pytest.mark.parametrize("closed", [False, True], ids=["kept", "closed"])
async def test_pooled_connections_above_descriptor_1024_are_checked_and_reused(
    server: ScriptedServer, closing_server: ClosingServer, closed: bool
) -> None:
    url = closing_server.url if closed else server.url
    with descriptors_above(1100):
        async with FastTransport() as transport:
            for _ in range(3):
                response = await transport.open(
                    HTTPRequest("POST", f"{url}/v1/chat/completions"), Timeouts()
                )
                assert response._connection is not None
                sock = response._connection.sock
                assert sock.fileno() > 1024
                assert b"".join([chunk async for chunk in response.chunks]) == b"".join(BODY)
                await response.aclose()
    if closed:  # a closed connection is seen as stale (or its request reset), and replaced
        assert closing_server.requests == 3
        return
    assert server.connections_accepted == 1
    await server.wait_for(lambda: server.open_connections == 0, 5, "every connection closed")


def run_in(backend: str, function: Callable[[], Coroutine[Any, Any, None]]) -> None:
    if backend == "trio":
        trio.run(function)
    else:
        asyncio.run(function())


def test_a_pooled_connection_is_reused_only_in_the_run_that_made_it() -> None:
    """One provider used by trio runs and asyncio loops in turn (the sync `Client` runs trio
    on a thread of its own, beside an asyncio application): each reuses its own connections,
    and closes another's plainly, its keep-alive unmeasured (a trio clock has an offset)."""
    backends = ["trio", "asyncio", "asyncio", "trio", "trio"]
    with serve_in_thread(Reply(body=BODY)) as server:
        provider = OPENAI.provider(server.url)

        async def twice() -> None:
            for _ in range(2):
                assert await eventide.collect_text(provider.stream("hi")) == TEXT

        for backend in backends:
            run_in(backend, twice)
        run_in("asyncio", provider.aclose)  # its idle connection is the last trio run's
        server.wait_for_sync(lambda: server.open_connections == 0, 5, "every connection closed")
    connections = [request.connection for request in server.requests]
    assert connections == [index for index in range(len(backends)) for _ in range(2)]


@pytest.mark.parametrize(("made", "closed"), [("trio", "asyncio"), ("asyncio", "trio")])
def test_a_connection_made_in_another_run_is_closed_plainly(made: str, closed: str) -> None:
    made_connections: list[Connection] = []
    with serve_in_thread(Reply(body=BODY)) as server:
        origin = ("http", "127.0.0.1", int(server.url.rsplit(":", 1)[1]))

        async def open_one() -> None:
            made_connections.append(await connect(origin, 5.0, None))

        run_in(made, open_one)
        [connection] = made_connections
        run_in(closed, connection.aclose)
        assert connection.sock.fileno() == -1
        server.wait_for_sync(lambda: server.open_connections == 0, 5, "the connection closed")


async def test_a_connection_is_closed_whatever_waking_its_readers_raises(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = ("http", "127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    connection = await connect(origin, 5.0, None)

    def fail(sock: object) -> None:
        raise RuntimeError("cannot wake them")

    monkeypatch.setattr(connection._native, "notify_closing", staticmethod(fail))
    with pytest.raises(RuntimeError, match="cannot wake them"):
        await connection.aclose()
    assert connection.sock.fileno() == -1
    await server.wait_for(lambda: server.open_connections == 0, 5, "the connection closed")


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
