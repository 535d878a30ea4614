"""`Connection.receive` on an anyio byte stream (a connection that happy eyeballs made, or
TLS): a read that cannot block skips its timeout scope; one that has to wait is bounded by
the read timeout. A plain socket's reads: test_connection_sockets.py."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import pytest
import trio

from eventide import StreamTimeout
from eventide._transport import _connection
from eventide._transport._connection import Connection

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Connection, socket.socket]]:
    """A connection over one end of a socket pair, and the other end (the server)."""
    ours, theirs = socket.socketpair()
    stream = await anyio.abc.SocketStream.from_socket(ours)
    connection = Connection(stream, ("http", "pair", 0))
    try:
        yield connection, theirs
    finally:
        await connection.aclose()
        theirs.close()


@pytest.fixture
def bounded_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The phases of the reads that went through a timeout scope."""
    phases: list[str] = []
    bounded = _connection.bounded

    async def counting(seconds: float, phase: Any, what: str, step: Any) -> Any:
        phases.append(phase)
        return await bounded(seconds, phase, what, step)

    monkeypatch.setattr(_connection, "bounded", counting)
    return phases


async def test_a_read_with_data_waiting_skips_the_timeout_scope(
    pair: tuple[Connection, socket.socket], bounded_reads: list[str]
) -> None:
    connection, server = pair
    server.sendall(b"ready")
    assert await connection.receive(30.0) == b"ready"
    server.shutdown(socket.SHUT_WR)
    assert await connection.receive(30.0) == b""  # EOF waiting: it cannot block either
    assert bounded_reads == []


async def test_a_read_that_waits_is_bounded_by_the_read_timeout(
    autojump_clock: trio.abc.Clock,
    pair: tuple[Connection, socket.socket],
    bounded_reads: list[str],
) -> None:
    connection, _ = pair
    with pytest.raises(StreamTimeout) as info:
        await connection.receive(30.0)
    assert info.value.phase == "read"
    assert bounded_reads == ["read"]


async def test_a_read_that_waits_returns_what_comes_within_the_timeout(
    pair: tuple[Connection, socket.socket], bounded_reads: list[str]
) -> None:
    connection, server = pair

    async def later() -> None:
        await trio.sleep(0.05)
        server.sendall(b"late")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(later)
        assert await connection.receive(30.0) == b"late"
    assert bounded_reads == ["read"]
