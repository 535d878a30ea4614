"""A plain TCP `Connection` over a real loopback socket, read and written with the running
loop's own primitives: under trio and under asyncio alike, reads and writes that wait are
bounded, a cancelled read leaves a connection that closes cleanly, EOF is b"" and a reset is
a `TransportError`."""

from __future__ import annotations

import math
import socket
import struct
import threading
from typing import TYPE_CHECKING, TypeAlias

import anyio
import anyio.lowlevel
import pytest
import trio
import trio.testing

from eventide import StreamTimeout, TransportError
from eventide._transport._connection import READ_SIZE, Connection, bounded, connect

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

BIG = b"x" * (16 << 20)  # more than any loopback socket buffers: a write of it blocks


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback server socket with a small receive buffer, inherited by what it accepts."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


Exchange: TypeAlias = "Callable[[Connection, socket.socket], Awaitable[None]]"


@pytest.fixture(params=["trio", "asyncio"])
def over(request: pytest.FixtureRequest, listener: socket.socket) -> Callable[[Exchange], None]:
    """Run a test's exchange under one backend: a connection made by `connect` to `listener`
    and the server's end of it, both closed afterwards."""

    def run(exchange: Exchange) -> None:
        async def main() -> None:
            connection, peer = await connected(listener)
            try:
                await exchange(connection, peer)
            finally:
                await connection.aclose()
                peer.close()

        anyio.run(main, backend=request.param)

    return run


async def connected(listener: socket.socket) -> tuple[Connection, socket.socket]:
    """A connection made by `connect` to `listener`, and the server's end of it."""
    connection = await connect(("http", "127.0.0.1", listener.getsockname()[1]), 5.0, None)
    peer, _ = listener.accept()  # the handshake is done: this does not block
    return connection, peer


def raw_socket(connection: Connection) -> socket.socket:
    return connection.sock


def reset(peer: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()


def test_connection_to_an_address_is_a_plain_socket_that_reads_and_writes(
    over: Callable[[Exchange], None],
) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        assert type(raw_socket(connection)) is socket.socket
        await connection.send(b"ping", 1.0)
        assert peer.recv(16) == b"ping"
        peer.sendall(b"pong")
        assert await connection.receive(1.0) == b"pong"

    over(exchange)


def test_connection_read_that_waits_times_out_as_a_read_timeout(
    over: Callable[[Exchange], None],
) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        with pytest.raises(StreamTimeout, match=r"read timed out after 0\.05 s") as info:
            await connection.receive(0.05)
        assert info.value.phase == "read"
        peer.sendall(b"late")  # the connection still reads what comes after
        assert await connection.receive(1.0) == b"late"

    over(exchange)


def test_connection_write_that_blocks_times_out_as_a_write_timeout(
    over: Callable[[Exchange], None],
) -> None:
    async def exchange(connection: Connection, _: socket.socket) -> None:
        raw_socket(connection).setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        with pytest.raises(StreamTimeout, match=r"write timed out after 0\.05 s") as info:
            await connection.send(BIG, 0.05)  # the server never reads
        assert info.value.phase == "write"

    over(exchange)


def test_connection_write_that_blocks_completes_as_the_server_reads(
    over: Callable[[Exchange], None],
) -> None:
    received = bytearray()

    async def exchange(connection: Connection, peer: socket.socket) -> None:
        raw_socket(connection).setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

        def drain() -> None:
            while data := peer.recv(1 << 16):
                received.extend(data)

        reader = threading.Thread(target=drain)
        reader.start()
        try:
            await connection.send(BIG, 30.0)
        finally:
            await connection.aclose()
            reader.join()

    over(exchange)
    assert received == BIG


def test_connection_cancelled_mid_read_closes_cleanly(over: Callable[[Exchange], None]) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        sock = raw_socket(connection)
        with anyio.move_on_after(0.05) as scope:
            await connection.receive(30.0)
        assert scope.cancelled_caught
        assert sock.fileno() != -1  # cancelling a read does not close the connection
        with anyio.CancelScope() as cancelled:
            cancelled.cancel()
            await connection.aclose()  # closes even when cancelled
        assert connection.closed
        assert sock.fileno() == -1
        peer.settimeout(5.0)
        assert peer.recv(16) == b""  # the server sees a clean close: a FIN
        await connection.aclose()  # a second close does nothing

    over(exchange)


def test_connection_reads_eof_waiting_and_while_waiting(over: Callable[[Exchange], None]) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(anyio.to_thread.run_sync, peer.shutdown, socket.SHUT_WR)
            assert await connection.receive(5.0) == b""  # EOF came while waiting
        assert await connection.receive(5.0) == b""  # EOF waiting: returns at once
        assert connection.stale()

    over(exchange)


def test_connection_reset_by_peer_is_a_transport_error(over: Callable[[Exchange], None]) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        reset(peer)
        with pytest.raises(TransportError, match=r"while reading: the connection broke \(.*reset"):
            await connection.receive(5.0)
        with pytest.raises(TransportError, match="connection lost while writing"):
            await connection.send(b"more", 5.0)
        await connection.aclose()
        with pytest.raises(TransportError, match="the connection was already closed"):
            await connection.receive(5.0)

    over(exchange)


def test_connection_reset_while_waiting_is_a_transport_error(
    over: Callable[[Exchange], None],
) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(anyio.to_thread.run_sync, reset, peer)
            with pytest.raises(TransportError, match=r"the connection broke \(.*reset"):
                await connection.receive(5.0)

    over(exchange)


async def test_connection_ready_read_is_a_checkpoint(listener: socket.socket) -> None:
    """A read with data waiting still checks for cancellation, and a full one lets other
    tasks run: a stream whose server runs ahead never starves the others (smaller reads:
    test_read_budget.py)."""
    connection, peer = await connected(listener)
    with peer:
        peer.sendall(b"r" * READ_SIZE)
        await trio.testing.wait_all_tasks_blocked()
        with trio.testing.assert_checkpoints():
            assert await connection.receive(5.0) == b"r" * READ_SIZE
        peer.sendall(b"again")
        with trio.CancelScope() as scope:
            scope.cancel()
            await connection.receive(5.0)
        assert scope.cancelled_caught
        await connection.aclose()


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_connection_closed_by_another_task_while_reading(
    listener: socket.socket, backend: str
) -> None:
    """The waiting read ends at once, and the next connection, which may get the same
    descriptor number, is watched as its own: its data arrives."""

    async def main() -> None:
        first, first_peer = await connected(listener)
        failed: list[BaseException] = []

        async def read_first() -> None:
            try:
                await first.receive(30.0)
            except TransportError as exc:
                failed.append(exc)

        with first_peer:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(read_first)
                await anyio.wait_all_tasks_blocked()
                await first.aclose()
                second, second_peer = await connected(listener)
                with second_peer:
                    second_peer.sendall(b"hello")
                    with anyio.fail_after(5):
                        assert await second.receive(30.0) == b"hello"
                    await second.aclose()
        assert [str(exc) for exc in failed] == [
            "connection lost while reading: the connection was already closed"
        ]

    anyio.run(main, backend=backend)


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_connection_connect_that_waits_times_out_as_a_connect_timeout(backend: str) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        origin = ("http", "127.0.0.1", server.getsockname()[1])
        held: list[Connection] = []

        async def fill() -> None:
            while len(held) < 16:  # a full accept queue: the next SYN gets no answer
                held.append(await connect(origin, 0.2, None))

        async def main() -> None:
            try:
                with pytest.raises(StreamTimeout, match=r"connect timed out after 0\.2 s") as info:
                    await fill()
                assert info.value.phase == "connect"
            finally:
                for connection in held:
                    await connection.aclose()

        anyio.run(main, backend=backend)


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_bounded_times_out_passes_errors_and_outer_cancellation_through(backend: str) -> None:
    async def done() -> str:
        await anyio.lowlevel.checkpoint()
        return "done"

    async def fails() -> None:
        raise TimeoutError(110, "a socket's own timeout")  # ETIMEDOUT: not the budget's

    async def main() -> None:
        with pytest.raises(StreamTimeout, match=r"pool timeout \(waiting timed out") as info:
            await bounded(0.01, "pool", "waiting", anyio.sleep(5))
        assert info.value.phase == "pool"
        with pytest.raises(TimeoutError, match="a socket's own timeout"):
            await bounded(5.0, "read", "read", fails())
        with anyio.move_on_after(0.01) as outer:
            await bounded(0.05, "read", "read", anyio.sleep(5))
        assert outer.cancelled_caught  # the caller's scope, not the budget, ended it
        assert await bounded(math.inf, "read", "read", done()) == "done"

    anyio.run(main, backend=backend)
