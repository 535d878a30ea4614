"""Read timeouts over real loopback sockets, kept without a cancel scope per waiting read
(under trio by one task per run, `ReadDeadlines`; under asyncio by one timer handle per
loop): each read is woken at its own deadline, however the deadlines of the reads waiting
beside it are ordered, and no sooner; a read woken by a close is not a timeout (its
message: test_connection_sockets.py); the connection of a timed-out read still reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import pytest
import trio
import trio.testing

from eventide import StreamTimeout, TransportError
from eventide._transport._deadlines import ReadDeadlines
from tests.transport import test_connection_sockets as sockets
from tests.transport.test_asyncio_reads import send_later

if TYPE_CHECKING:
    import socket

    from eventide._transport._connection import Connection

listener = sockets.listener  # a fixture: a loopback server socket
connected = sockets.connected


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_each_waiting_read_times_out_at_its_own_deadline(
    listener: socket.socket, backend: str
) -> None:
    """Long timeouts waiting first, then a short one, on one loop: each read that times out
    is woken at its own deadline and no sooner (the wake-up moves earlier for the short
    one); one that gets its data reads it; a connection whose read timed out still reads.
    Under trio the run's `ReadDeadlines` keeps them, under asyncio the loop's timer handle
    (`_asyncio_reads`)."""

    async def main() -> None:
        pairs = [await connected(listener) for _ in range(3)]
        (reading, reading_peer), (long, _), (short, short_peer) = pairs
        outcomes: dict[str, object] = {}
        times: dict[str, float] = {}

        async def read(name: str, connection: Connection, timeout: float) -> None:
            start = anyio.current_time()
            try:
                outcomes[name] = await connection.receive(timeout)
            except StreamTimeout as exc:
                outcomes[name] = str(exc)
                times[name] = anyio.current_time() - start

        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(read, "reading", reading, 30.0)
                tasks.start_soon(read, "long", long, 0.6)
                await anyio.sleep(0.01)
                tasks.start_soon(read, "short", short, 0.2)
                tasks.start_soon(send_later, reading_peer, b"late", 0.4)
            assert outcomes == {
                "reading": b"late",
                "long": "read timeout (read timed out after 0.6 s)",
                "short": "read timeout (read timed out after 0.2 s)",
            }
            assert 0.19 <= times["short"] < 0.5 <= 0.59 <= times["long"] < 5.0
            short_peer.sendall(b"after")
            assert await short.receive(5.0) == b"after"
        finally:
            for connection, peer in pairs:
                await connection.aclose()
                peer.close()

    anyio.run(main, backend=backend)


async def test_one_task_keeps_every_deadline_and_forgets_reads_that_ended(
    listener: socket.socket,
) -> None:
    connections = [await connected(listener) for _ in range(3)]
    try:
        for _, peer in connections:
            peer.sendall(b"x")
        for _ in range(2):
            for connection, _ in connections:
                with trio.move_on_after(0.05):  # waits, then is cancelled
                    await connection.receive(30.0)
                    await connection.receive(30.0)
        closed, _ = connections[0]  # and a read ended by a close
        failed: list[TransportError] = []

        async def read_closed() -> None:
            try:
                await closed.receive(30.0)
            except TransportError as exc:
                failed.append(exc)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_closed)
            await trio.testing.wait_all_tasks_blocked()
            await closed.aclose()
        assert [type(exc) for exc in failed] == [TransportError]  # not a StreamTimeout
        deadlines = ReadDeadlines.of_this_run()
        assert deadlines is ReadDeadlines.of_this_run()
        assert (deadlines._waiting, deadlines.expired) == ({}, set())
        assert task_names().count("eventide read timeouts") == 1
    finally:
        for connection, peer in connections:
            await connection.aclose()
            peer.close()


def task_names() -> list[str]:
    """The names of every task of the running trio run."""
    names: list[str] = []
    tasks = [trio.lowlevel.current_root_task()]
    while tasks:
        task = tasks.pop()
        if task is not None:
            names.append(task.name)
            tasks += [child for nursery in task.child_nurseries for child in nursery.child_tasks]
    return names


async def test_a_second_read_on_a_waiting_socket_is_refused_and_leaves_the_first_bounded(
    listener: socket.socket,
) -> None:
    connection, peer = await connected(listener)
    failures: list[BaseException] = []

    async def read(timeout: float) -> None:
        try:
            await connection.receive(timeout)
        except (StreamTimeout, trio.BusyResourceError) as exc:
            failures.append(exc)

    try:
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(read, 0.2)
                await trio.testing.wait_all_tasks_blocked()
                nursery.start_soon(read, 30.0)
        busy, timed_out = failures
        assert isinstance(busy, trio.BusyResourceError)
        assert isinstance(timed_out, StreamTimeout)
    finally:
        await connection.aclose()
        peer.close()
