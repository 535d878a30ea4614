"""`Connection.receive` over a real loopback socket, under trio and asyncio: a read that cannot
block (data or EOF waiting) completes without waiting, so with no timeout scope; one that
has to wait is bounded by the read timeout, and returns what comes within it. More of a
plain socket's reads (resets, cancellation, closing): test_connection_sockets.py."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from eventide import StreamTimeout
from eventide._transport import _connection
from tests.transport import test_connection_sockets as sockets

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventide._transport._connection import Connection
    from tests.transport.test_connection_sockets import Exchange

listener = sockets.listener  # a fixture: a loopback server socket
over = sockets.over  # a fixture: an exchange over a connection to it, under each backend


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry for each wait for the socket (under the read's timeout), either backend."""
    waited: list[int] = []
    for native in (_connection._Trio, _connection._Asyncio):

        def counting(wait: Any) -> Any:
            async def counted(*args: Any, **kwargs: Any) -> None:
                waited.append(1)
                await wait(*args, **kwargs)

            return staticmethod(counted)

        monkeypatch.setattr(native, "wait", counting(native.wait))
    return waited


def test_a_read_with_data_or_eof_waiting_does_not_wait(
    over: Callable[[Exchange], None], waits: list[int]
) -> None:
    async def exchange(connection: Connection, server: socket.socket) -> None:
        server.sendall(b"ready")
        assert await connection.receive(30.0) == b"ready"
        server.shutdown(socket.SHUT_WR)
        assert await connection.receive(30.0) == b""  # EOF waiting: it cannot block either
        assert waits == []

    over(exchange)


def test_a_read_that_waits_is_bounded_by_the_read_timeout(
    over: Callable[[Exchange], None], waits: list[int]
) -> None:
    async def exchange(connection: Connection, _: socket.socket) -> None:
        with pytest.raises(StreamTimeout) as info:
            await connection.receive(0.05)
        assert info.value.phase == "read"
        assert waits == [1]

    over(exchange)


def test_a_read_that_waits_returns_what_comes_within_the_timeout(
    over: Callable[[Exchange], None], waits: list[int]
) -> None:
    async def exchange(connection: Connection, server: socket.socket) -> None:
        async def later() -> None:
            await anyio.sleep(0.05)
            server.sendall(b"late")

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(later)
            assert await connection.receive(30.0) == b"late"
        assert waits == [1]

    over(exchange)
