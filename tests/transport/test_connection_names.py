"""`connect` to a host name over real loopback sockets, under trio and under asyncio: the
name is resolved and the connection is a plain socket, as for an address; several addresses
are tried as RFC 8305 says (the first to connect wins, every other socket is closed); every
failure is one `TransportError`; a cancelled or timed-out connect leaves no socket open."""

from __future__ import annotations

import math
import os
import socket
import ssl
import threading
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import pytest
import trustme

from eventide import StreamTimeout, TransportError
from eventide._transport import _connection
from eventide._transport._connection import Connection, _interleaved, connect

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

LOCALHOST = str(socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM)[0][4][0])


@pytest.fixture(params=["trio", "asyncio"])
def run(request: pytest.FixtureRequest) -> Callable[[Callable[[], Awaitable[None]]], None]:
    """Run a test's coroutine under one backend."""
    return lambda main: anyio.run(main, backend=request.param)


def listening(backlog: int = 8) -> socket.socket:
    server = socket.socket(socket.AF_INET6 if ":" in LOCALHOST else socket.AF_INET)
    server.bind((LOCALHOST, 0))
    server.listen(backlog)
    return server


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with listening() as server:
        yield server


def unused_port() -> int:
    """A loopback port nothing listens on."""
    with listening() as server:
        port: int = server.getsockname()[1]
    return port


@pytest.fixture
def refused() -> int:
    return unused_port()


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A loopback port whose connects never complete: a listener with a full backlog."""
    with listening(0) as server, socket.socket(server.family) as filler:
        filler.connect(server.getsockname())  # fills the queue: later SYNs are dropped
        yield server.getsockname()[1]


def resolving(monkeypatch: pytest.MonkeyPatch, *ports: int) -> None:
    """Make every name resolve to `LOCALHOST` at each of `ports`, in that order."""

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        family = socket.AF_INET6 if ":" in LOCALHOST else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (LOCALHOST, each)) for each in ports]

    monkeypatch.setattr(anyio, "getaddrinfo", getaddrinfo)


def open_sockets() -> int:
    return len(os.listdir("/proc/self/fd"))


async def ping(connection: Connection, listener: socket.socket) -> None:
    """One exchange over `connection`, accepted by `listener`; then both are closed."""
    peer, _ = listener.accept()
    with peer:
        await connection.send(b"ping", 1.0)
        assert peer.recv(16) == b"ping"
        peer.sendall(b"pong")
        assert await connection.receive(1.0) == b"pong"
    await connection.aclose()


def test_a_name_connects_as_a_plain_socket(
    run: Callable[[Callable[[], Awaitable[None]]], None], listener: socket.socket
) -> None:
    async def main() -> None:
        port = listener.getsockname()[1]
        connection = await connect(("http", "localhost", port), 5.0, None)
        sock = connection.sock
        assert type(sock) is socket.socket
        assert sock.getpeername()[:2] == (LOCALHOST, port)
        await ping(connection, listener)

    run(main)


def test_a_name_with_one_address_that_refuses_is_one_transport_error(
    run: Callable[[Callable[[], Awaitable[None]]], None], refused: int
) -> None:
    async def main() -> None:
        with pytest.raises(TransportError) as info:
            await connect(("http", "localhost", refused), 5.0, None)
        assert str(info.value) == f"cannot connect to localhost:{refused}: {info.value.__cause__}"
        assert isinstance(info.value.__cause__, ConnectionRefusedError)

    run(main)


def test_after_a_refusal_the_next_address_is_tried_at_once(
    run: Callable[[Callable[[], Awaitable[None]]], None],
    monkeypatch: pytest.MonkeyPatch,
    refused: int,
    listener: socket.socket,
) -> None:
    resolving(monkeypatch, refused, listener.getsockname()[1])
    monkeypatch.setattr(_connection, "_ATTEMPT_DELAY", 60.0)  # only a failure moves on

    async def main() -> None:
        connection = await connect(("http", "llm.test", 80), 5.0, None)
        await ping(connection, listener)

    run(main)


def test_after_a_silent_address_the_next_is_tried_and_the_silent_one_closed(
    run: Callable[[Callable[[], Awaitable[None]]], None],
    monkeypatch: pytest.MonkeyPatch,
    blackhole: int,
    listener: socket.socket,
) -> None:
    resolving(monkeypatch, blackhole, listener.getsockname()[1])
    monkeypatch.setattr(_connection, "_ATTEMPT_DELAY", 0.05)

    async def main() -> None:
        before = open_sockets()
        connection = await connect(("http", "llm.test", 80), 5.0, None)
        assert open_sockets() == before + 1  # the winner only
        await ping(connection, listener)
        assert open_sockets() == before

    run(main)


def test_when_every_address_fails_each_reason_is_in_one_transport_error(
    run: Callable[[Callable[[], Awaitable[None]]], None],
    monkeypatch: pytest.MonkeyPatch,
    refused: int,
) -> None:
    resolving(monkeypatch, refused, unused_port())
    monkeypatch.setattr(_connection, "_ATTEMPT_DELAY", 60.0)

    async def main() -> None:
        with pytest.raises(TransportError) as info:
            await connect(("http", "llm.test", 80), 5.0, None)
        group = info.value.__cause__
        assert isinstance(group, ExceptionGroup)
        assert [type(exc) for exc in group.exceptions] == [ConnectionRefusedError] * 2
        reasons = "; ".join(str(exc) for exc in group.exceptions)
        assert str(info.value) == f"cannot connect to llm.test:80: {reasons}"
        assert "\n" not in str(info.value)

    run(main)


@pytest.mark.parametrize("stop", ["budget", "cancel"])
def test_a_connect_stopped_while_attempts_wait_leaves_no_socket_open(
    run: Callable[[Callable[[], Awaitable[None]]], None],
    monkeypatch: pytest.MonkeyPatch,
    blackhole: int,
    stop: str,
) -> None:
    resolving(monkeypatch, blackhole, blackhole, blackhole)
    monkeypatch.setattr(_connection, "_ATTEMPT_DELAY", 0.02)

    async def main() -> None:
        before = open_sockets()
        if stop == "budget":
            with pytest.raises(StreamTimeout) as info:
                await connect(("http", "llm.test", 80), 0.2, None)
            assert info.value.phase == "connect"
        else:
            with anyio.move_on_after(0.2) as scope:
                await connect(("http", "llm.test", 80), math.inf, None)
            assert scope.cancelled_caught
        assert open_sockets() == before

    run(main)


def test_tls_over_a_name_verifies_the_name(
    run: Callable[[Callable[[], Awaitable[None]]], None], listener: socket.socket
) -> None:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)

    def serve() -> None:
        peer, _ = listener.accept()
        with server_context.wrap_socket(peer, server_side=True) as tls:
            tls.sendall(tls.recv(16)[::-1])

    server = threading.Thread(target=serve)
    server.start()

    async def main() -> None:
        port = listener.getsockname()[1]
        connection = await connect(("https", "localhost", port), 5.0, client_context)
        await connection.send(b"ping", 5.0)
        assert await connection.receive(5.0) == b"gnip"
        await connection.aclose()

    try:
        run(main)
    finally:
        server.join(5)


def test_addresses_alternate_families_the_first_family_first() -> None:
    v6 = [(socket.AF_INET6, (f"::{n}", 80, 0, 0)) for n in (1, 2, 3)]
    v4 = [(socket.AF_INET, (f"10.0.0.{n}", 80)) for n in (1, 2)]
    found = [v6[0], v6[1], v6[0], v4[0], v6[2], v4[1]]
    assert _interleaved(found) == [v6[0], v4[0], v6[1], v4[1], v6[2]]
    assert _interleaved([v4[0], *v6]) == [v4[0], v6[0], v6[1], v6[2]]
