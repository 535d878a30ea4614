"""Waiting reads under asyncio over real loopback sockets: the connection's reader callback
is registered once, not per wait; a wake-up is not reported twice; nobody waiting means no
callback on every turn; closing takes the socket off the selector first; a read timeout's
timer never outlives its read; a cancelled wait loses nothing; and a loop without reader
callbacks (the proactor, forced here) waits as before."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from eventide import StreamTimeout, TransportError
from eventide._transport import _asyncio_reads, _connection
from eventide._transport._sockio import try_recv
from tests.transport import test_connection_sockets as sockets

if TYPE_CHECKING:
    import socket
    from collections.abc import Awaitable, Callable

    from eventide._transport._connection import Connection

listener = sockets.listener  # a fixture: a loopback server socket


def run(
    listener: socket.socket,
    exchange: Callable[[Connection, socket.socket], Awaitable[None]],
    **options: Any,
) -> None:
    """Run `exchange` under asyncio over a connection to `listener`, both ends closed after."""

    async def main() -> None:
        connection, peer = await sockets.connected(listener)
        try:
            await exchange(connection, peer)
        finally:
            await connection.aclose()
            peer.close()

    anyio.run(main, backend="asyncio", backend_options=options)


async def send_later(peer: socket.socket, data: bytes, delay: float = 0.01) -> None:
    await anyio.sleep(delay)
    peer.sendall(data)


async def receive_waiting(connection: Connection, peer: socket.socket, data: bytes) -> bytes:
    """A read that has to wait for `data`, which the server sends while it waits."""
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(send_later, peer, data)
        received = await connection.receive(30.0)
    return received


CLOSED = "connection lost while reading: the connection was already closed"


async def closed_while_reading(connection: Connection) -> str:
    """What a read that waits says when another task closes its connection."""
    failed: list[str] = []

    async def read() -> None:
        with pytest.raises(TransportError) as info:
            await connection.receive(30.0)
        failed.append(str(info.value))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read)
        await anyio.sleep(0.05)  # it waits
        await connection.aclose()
    (message,) = failed
    return message


def registered(connection: Connection) -> bool:
    """Whether the connection's socket has a reader on the loop (taken off, and put back)."""
    loop = asyncio.get_running_loop()
    callback = connection._reads._readable if connection._reads is not None else None
    if not loop.remove_reader(connection.sock.fileno()):
        return False
    assert callback is not None
    loop.add_reader(connection.sock.fileno(), callback)
    return True


def test_waiting_reads_register_the_reader_once_and_wake_once(
    listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    added: list[int] = []
    add_reader = asyncio.SelectorEventLoop.add_reader
    reads: list[int] = []

    def counting_add(loop: asyncio.AbstractEventLoop, fd: Any, *args: Any) -> None:
        added.append(fd)
        add_reader(loop, fd, *args)  # type: ignore[arg-type]

    def counting_recv(*args: Any) -> tuple[bytes, int]:
        reads.append(1)
        return try_recv(*args)

    monkeypatch.setattr(asyncio.SelectorEventLoop, "add_reader", counting_add)
    monkeypatch.setattr(_connection, "try_recv", counting_recv)

    async def exchange(connection: Connection, peer: socket.socket) -> None:
        added.clear()
        reads.clear()
        for index in range(20):
            assert await receive_waiting(connection, peer, b"%d" % index) == b"%d" % index
        assert added.count(connection.sock.fileno()) == 1
        assert len(reads) == 40  # each: nothing yet, then the bytes; no wake-up for nothing

    run(listener, exchange)


def test_nobody_waiting_takes_the_reader_off_until_the_next_wait(
    listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    readable = _asyncio_reads.Reads._readable

    def counting(self: _asyncio_reads.Reads) -> None:
        calls.append(1)
        readable(self)

    monkeypatch.setattr(_asyncio_reads.Reads, "_readable", counting)

    async def exchange(connection: Connection, peer: socket.socket) -> None:
        assert await receive_waiting(connection, peer, b"first") == b"first"
        calls.clear()
        peer.sendall(b"while busy")
        await anyio.sleep(0.1)  # the consumer is busy: nobody waits
        assert len(calls) <= 2  # not one per turn of the loop
        assert not registered(connection)
        assert await connection.receive(30.0) == b"while busy"
        assert await receive_waiting(connection, peer, b"next") == b"next"
        assert registered(connection)

    run(listener, exchange)


def test_close_takes_the_reader_off_first_and_fails_the_waiting_read(
    listener: socket.socket,
) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        assert await receive_waiting(connection, peer, b"first") == b"first"
        fd = connection.sock.fileno()
        assert await closed_while_reading(connection) == CLOSED
        assert not asyncio.get_running_loop().remove_reader(fd)

    run(listener, exchange)


def test_a_read_timeout_ends_with_its_read(listener: socket.socket) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        with pytest.raises(StreamTimeout) as info:
            await connection.receive(0.05)
        assert str(info.value) == "read timeout (read timed out after 0.05 s)"
        assert info.value.phase == "read"
        async with anyio.create_task_group() as tasks:  # within a shorter timeout
            tasks.start_soon(send_later, peer, b"soon")
            assert await connection.receive(0.1) == b"soon"
        async with anyio.create_task_group() as tasks:  # past the last read's deadline
            tasks.start_soon(send_later, peer, b"later", 0.2)
            assert await connection.receive(30.0) == b"later"

    run(listener, exchange)


def test_a_cancelled_wait_loses_nothing(listener: socket.socket) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        waiting = asyncio.ensure_future(connection.receive(30.0))
        await anyio.wait_all_tasks_blocked()
        peer.sendall(b"kept")
        reads = connection._reads
        assert reads is not None
        for _ in range(100):  # until the callback has woken the read, not yet resumed
            await asyncio.sleep(0)
            if reads._waiter is not None and reads._waiter.done():
                break
        else:
            pytest.fail("the read was never woken")
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await connection.receive(30.0) == b"kept"
        with anyio.move_on_after(0.05):
            await connection.receive(30.0)
        assert await receive_waiting(connection, peer, b"after") == b"after"

    run(listener, exchange)


class NoReaderCallbacks(asyncio.SelectorEventLoop):
    """A loop that refuses reader and writer callbacks, as the proactor on Windows does."""

    def add_reader(self, *args: Any) -> None:  # type: ignore[override]
        raise NotImplementedError

    def add_writer(self, *args: Any) -> None:  # type: ignore[override]
        raise NotImplementedError


def test_a_loop_without_reader_callbacks_waits_as_before(listener: socket.socket) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        assert await receive_waiting(connection, peer, b"one") == b"one"
        assert connection._reads is not None
        assert not connection._reads.supported
        with pytest.raises(StreamTimeout, match=r"^read timeout \(read timed out after 0\.05 s\)$"):
            await connection.receive(0.05)
        assert await receive_waiting(connection, peer, b"two") == b"two"
        assert await closed_while_reading(connection) == CLOSED

    run(listener, exchange, loop_factory=NoReaderCallbacks)


def test_a_connection_read_on_the_next_loop_is_watched_there(listener: socket.socket) -> None:
    async def first() -> tuple[Connection, socket.socket]:
        connection, peer = await sockets.connected(listener)
        assert await receive_waiting(connection, peer, b"one") == b"one"
        return connection, peer

    connection, peer = anyio.run(first, backend="asyncio")

    async def second() -> None:
        with anyio.fail_after(5.0):
            assert await receive_waiting(connection, peer, b"two") == b"two"
        await connection.aclose()

    with peer:
        anyio.run(second, backend="asyncio")


def test_a_second_read_on_a_waiting_connection_is_refused(listener: socket.socket) -> None:
    async def exchange(connection: Connection, peer: socket.socket) -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send_later, peer, b"first", 0.1)
            tasks.start_soon(connection.receive, 30.0)
            await anyio.wait_all_tasks_blocked()
            with pytest.raises(anyio.BusyResourceError):
                await connection.receive(0.01)
        assert await receive_waiting(connection, peer, b"next") == b"next"

    run(listener, exchange)
