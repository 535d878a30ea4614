"""The read budget of a `Connection` over real loopback sockets, under trio and asyncio: a
read that completes at once is a schedule point only when its connection's budget is spent
(`Connection.spend`), yet a stream whose server keeps writing never starves another stream
on the same loop, and a cancellation lands at once, a deadline within two budgets' reads."""

from __future__ import annotations

import socket
import threading

import anyio
import pytest
import trio
import trio.testing

from eventide._transport import _connection, _sockio
from eventide._transport._connection import READ_BUDGET, READ_COST, Connection
from tests.transport import test_connection_sockets as sockets

SMALL = 16  # the read size here: many small reads, each completing at once
PER_BUDGET = READ_BUDGET // (SMALL + READ_COST) + 1  # ready reads between two schedule points


@pytest.fixture
def small_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sockio, "READ_SIZE", SMALL)  # what a plain read takes at most


listener = sockets.listener  # a fixture: a loopback server socket
connected = sockets.connected


def flood(peer: socket.socket) -> int:
    """Fill the connection's buffers from `peer`, then keep writing from a thread until the
    connection closes; the bytes buffered before the thread started."""
    peer.setblocking(False)
    buffered = 0
    try:
        while True:
            buffered += peer.send(b"x" * 65536)
    except BlockingIOError:
        pass
    peer.setblocking(True)

    def write() -> None:
        try:
            while True:
                peer.sendall(b"x" * 65536)
        except OSError:
            pass

    threading.Thread(target=write, daemon=True).start()
    return buffered


def test_the_budget_allows_a_bounded_number_of_ready_reads() -> None:
    """A full read spends it at once; small ones, one in every `PER_BUDGET`."""
    assert PER_BUDGET <= 16
    connection = Connection(socket.socket(), ("http", "budget", 0))
    try:
        assert connection.spend(b"x" * _connection.READ_SIZE)
        spent = [connection.spend(b"x" * SMALL) for _ in range(3 * PER_BUDGET)]
        assert spent == ([False] * (PER_BUDGET - 1) + [True]) * 3
    finally:
        connection.sock.close()


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
@pytest.mark.usefixtures("small_reads")
def test_a_stream_whose_server_runs_ahead_never_starves_another(
    listener: socket.socket, backend: str
) -> None:
    """The flooded stream's reads never wait; the other stream's data, sent after the
    flooded one's first read, is read within a few budgets of the flooded one's reads."""

    async def main() -> None:
        flooded, flooding = await connected(listener)
        other, other_peer = await connected(listener)
        limit = flood(flooding) // SMALL  # reads that surely complete at once
        reads = 0
        seen_at: list[int] = []

        async def read_flooded() -> None:
            nonlocal reads
            while not seen_at and reads < limit:
                assert await flooded.receive(5.0)
                reads += 1
                if reads == 1:
                    other_peer.sendall(b"hello")

        async def read_other() -> None:
            assert await other.receive(5.0) == b"hello"
            seen_at.append(reads)

        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(read_flooded)
                tasks.start_soon(read_other)
        finally:
            for connection in (flooded, other):
                await connection.aclose()
            flooding.close()
            other_peer.close()
        assert seen_at
        assert seen_at[0] <= 3 * PER_BUDGET < limit

    anyio.run(main, backend=backend)


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
@pytest.mark.usefixtures("small_reads")
def test_a_deadline_lands_within_two_budgets_of_reads_that_never_wait(
    listener: socket.socket, backend: str
) -> None:
    async def main() -> None:
        flooded, flooding = await connected(listener)
        limit = flood(flooding) // SMALL
        reads = late = 0
        try:
            with anyio.move_on_after(0.01) as scope:
                while reads < limit:
                    late += anyio.current_time() > scope.deadline
                    assert await flooded.receive(5.0)
                    reads += 1
        finally:
            await flooded.aclose()
            flooding.close()
        assert scope.cancelled_caught
        # trio cancels at the schedule point after the deadline; asyncio's timer runs after
        # the task's step queued before it, and the task meets it at its next yield
        assert late <= 2 * PER_BUDGET + 1

    anyio.run(main, backend=backend)


@pytest.mark.usefixtures("small_reads")
async def test_every_ready_read_checks_for_cancellation_under_trio(
    listener: socket.socket,
) -> None:
    """Only some ready reads are schedule points; every one is a cancellation point."""
    connection, peer = await connected(listener)
    try:
        peer.sendall(b"x" * 4096)
        with trio.testing.assert_checkpoints():
            for _ in range(PER_BUDGET):
                assert await connection.receive(5.0)
        assert connection.spent == 0  # the last of them was the schedule point
        assert await connection.receive(5.0)
        with trio.CancelScope() as scope:
            scope.cancel()
            await connection.receive(5.0)
        assert scope.cancelled_caught
        assert connection.spent == SMALL + READ_COST  # the read was not made
    finally:
        await connection.aclose()
        peer.close()
