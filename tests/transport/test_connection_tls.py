"""A TLS `Connection` over a real loopback socket, under trio and under asyncio: the
handshake and the certificate check, reads that wait for a whole record, bounded reads and
writes, a cancelled read, and the two ways a server ends (with a close_notify or without),
which `FastTransport` tells apart by the body alone, as it did over anyio's TLS stream."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from typing import TYPE_CHECKING, Any, TypeAlias, final

import anyio
import pytest
import trio
import trio.testing
import trustme

from eventide import ProtocolError, StreamTimeout, Timeouts, TransportError
from eventide._transport import FastTransport, HTTPRequest
from eventide._transport._connection import Connection, connect
from eventide._transport._deadlines import ReadDeadlines
from tests.transport import test_connection_sockets as sockets

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

AUTHORITY = trustme.CA()
BIG = sockets.BIG
listener = sockets.listener  # a fixture: a loopback server socket with a small buffer


def trusting() -> ssl.SSLContext:
    context = ssl.create_default_context()
    AUTHORITY.configure_trust(context)
    return context


class Peer:
    """The server's end: TLS by hand over a blocking socket, so that a test can send part
    of a record, or close without a close_notify."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext | None = None) -> None:
        if context is None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            AUTHORITY.issue_cert("127.0.0.1").configure_cert(context)
        sock.settimeout(5.0)
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.call(self.tls.do_handshake)
        self.flush()  # TLS 1.3: the session tickets

    def call(self, step: Callable[[], object]) -> object:
        while True:
            try:
                return step()
            except ssl.SSLWantReadError:
                self.flush()
                data = self.sock.recv(65536)
                if data:
                    self.incoming.write(data)
                else:
                    self.incoming.write_eof()

    def flush(self) -> None:
        self.sock.sendall(self.outgoing.read())

    def records(self, data: bytes) -> bytes:
        """`data` as TLS records, not yet sent."""
        self.tls.write(data)
        return self.outgoing.read()

    def send(self, data: bytes) -> None:
        self.sock.sendall(self.records(data))

    def receive(self) -> bytes:
        data = self.call(lambda: self.tls.read(65536))
        assert isinstance(data, bytes)
        return data

    def request(self) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.receive()
        return data

    def client_certificate(self) -> bool:
        """Read what the client sends until its certificate has come (True), or for 1 s."""
        self.sock.settimeout(1.0)
        with contextlib.suppress(TimeoutError):
            while not self.tls.getpeercert():
                with contextlib.suppress(ssl.SSLWantReadError):
                    self.tls.read(1)  # takes the handshake messages; no data comes
                data = self.sock.recv(65536)
                if not data:
                    break
                self.incoming.write(data)
        return bool(self.tls.getpeercert())

    def close_notify(self) -> None:
        with contextlib.suppress(ssl.SSLWantReadError):  # the client's is not awaited
            self.tls.unwrap()
        self.flush()


def accepting(
    listener: socket.socket, context: ssl.SSLContext | None = None
) -> tuple[threading.Thread, list[Peer | BaseException]]:
    """A thread accepting one connection on `listener` and doing its TLS handshake (with
    `context`, else the server's usual one)."""
    peers: list[Peer | BaseException] = []

    def accept() -> None:
        sock, _ = listener.accept()
        try:
            peers.append(Peer(sock, context))
        except (OSError, ssl.SSLError) as exc:
            peers.append(exc)
            sock.close()

    thread = threading.Thread(target=accept)
    thread.start()
    return thread, peers


Exchange: TypeAlias = "Callable[[Connection, Peer], Awaitable[None]]"
Backend: TypeAlias = "Callable[[Callable[[], Awaitable[None]]], None]"


@pytest.fixture(params=["trio", "asyncio"])
def run(request: pytest.FixtureRequest) -> Backend:
    """Run a test's coroutine under one backend."""
    return lambda main: anyio.run(main, backend=request.param)


@pytest.fixture
def over(run: Backend, listener: socket.socket) -> Callable[[Exchange], None]:
    """Run a test's exchange: a TLS connection made by `connect` to `listener` and the
    server's end of it, both closed afterwards."""

    def exchange_over(exchange: Exchange) -> None:
        async def main() -> None:
            thread, peers = accepting(listener)
            port = listener.getsockname()[1]
            connection = await connect(("https", "127.0.0.1", port), 5.0, trusting())
            thread.join(5.0)
            (peer,) = peers
            assert isinstance(peer, Peer)
            try:
                await exchange(connection, peer)
            finally:
                await connection.aclose()
                peer.sock.close()

        run(main)

    return exchange_over


def test_tls_connection_exchanges_bytes(over: Callable[[Exchange], None]) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: many records, many reads

    async def exchange(connection: Connection, peer: Peer) -> None:
        assert type(connection.sock) is socket.socket
        assert connection._tls is not None
        await connection.send(b"GET / HTTP/1.1\r\n\r\n", 5.0)
        assert peer.request() == b"GET / HTTP/1.1\r\n\r\n"
        peer.send(body)
        peer.close_notify()
        received = bytearray()
        while data := await connection.receive(5.0):
            received += data
        assert received == body
        assert await connection.receive(5.0) == b""  # EOF stays EOF

    over(exchange)


def test_tls_read_takes_every_whole_record_waiting(over: Callable[[Exchange], None]) -> None:
    """One read takes the records already there (a server writes one per event); a record
    cut short by the server's close is the end (a ragged EOF). CPython reads a reset
    during a TLS read as such an end too (it reports SSL_read_ex's failure as EOF)."""

    async def exchange(connection: Connection, peer: Peer) -> None:
        records = b"".join(peer.records(event) for event in (b"one ", b"two ", b"three"))
        peer.sock.sendall(records + peer.records(b"partial")[:9])
        peer.sock.shutdown(socket.SHUT_WR)
        await anyio.sleep(0.05)  # all of it on the client's side
        assert await connection.receive(5.0) == b"one two three"
        assert await connection.receive(5.0) == b""

    over(exchange)


@final
class CountingSocket(socket.socket):
    """A socket that counts its reads."""

    reads = 0

    def recv(self, size: int, flags: int = 0) -> bytes:
        self.reads += 1
        return super().recv(size, flags)


def test_tls_read_takes_many_records_with_one_plain_read(
    over: Callable[[Exchange], None],
) -> None:
    """The records are decrypted in memory, fed by plain reads of up to `READ_SIZE` bytes:
    not read one by one from the socket (two system calls each in `ssl.SSLSocket`)."""

    async def exchange(connection: Connection, peer: Peer) -> None:
        sock = connection.sock
        counting = CountingSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        connection.sock = counting
        peer.sock.sendall(b"".join(peer.records(b"%d " % i) for i in range(100)))
        await anyio.sleep(0.05)  # all of it on the client's side
        assert await connection.receive(5.0) == b"".join(b"%d " % i for i in range(100))
        assert 1 <= counting.reads <= 2  # the records, then (perhaps) nothing more yet

    over(exchange)


def test_tls_reset_after_the_data_is_the_end(over: Callable[[Exchange], None]) -> None:
    """A reset while reading is read as EOF (as CPython's `ssl.SSLSocket` reads it):
    whether the body was complete is the response reader's to say."""

    async def exchange(connection: Connection, peer: Peer) -> None:
        peer.send(b"all of it")
        assert await connection.receive(5.0) == b"all of it"
        sockets.reset(peer.sock)
        assert await connection.receive(5.0) == b""
        assert await connection.receive(5.0) == b""  # EOF stays EOF

    over(exchange)


@final
class FullSocket(socket.socket):
    """A socket whose first `refused` sends find its buffer full."""

    refused = 0

    def send(self, data: Any, flags: int = 0) -> int:
        if self.refused:
            self.refused -= 1
            raise BlockingIOError
        return super().send(data, flags)


@pytest.mark.parametrize("refused", [0, 2], ids=["at-once", "socket-full-twice"])
def test_tls_read_sends_what_the_server_asked_for_at_once(
    run: Backend, listener: socket.socket, refused: int
) -> None:
    """A server that asks for the client's certificate in the middle of a response (TLS
    1.3 post-handshake authentication) and waits for it before it writes on gets it while
    the client only reads: what a read makes OpenSSL write is sent by that read, and
    when the socket cannot take it, the read waits until it can rather than for data."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    AUTHORITY.issue_cert("127.0.0.1").configure_cert(server_context)
    AUTHORITY.configure_trust(server_context)
    server_context.verify_mode = ssl.CERT_REQUIRED
    server_context.post_handshake_auth = True
    client_context = trusting()
    AUTHORITY.issue_cert("client@example.org").configure_cert(client_context)
    client_context.post_handshake_auth = True

    async def main() -> None:
        thread, peers = accepting(listener, server_context)
        port = listener.getsockname()[1]
        connection = await connect(("https", "127.0.0.1", port), 5.0, client_context)
        thread.join(5.0)
        (peer,) = peers
        assert isinstance(peer, Peer)
        sock = connection.sock
        full = FullSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        full.refused = refused
        connection.sock = full
        try:
            peer.tls.verify_client_post_handshake()
            peer.send(b"first")  # after the request for a certificate
            assert await connection.receive(5.0) == b"first"
            if refused:  # the answer waits in the session: the next read sends it
                assert not peer.client_certificate()
                received: list[bytes] = []

                async def receive() -> None:  # the socket is full again: it waits to write
                    received.append(await connection.receive(5.0))

                with anyio.fail_after(5.0):
                    async with anyio.create_task_group() as tasks:
                        tasks.start_soon(receive)
                        assert await anyio.to_thread.run_sync(peer.client_certificate)
                        peer.send(b"second")
                assert (received, full.refused) == ([b"second"], 0)
            else:
                assert peer.client_certificate()  # the client has not written since
                peer.send(b"second")
                assert await connection.receive(5.0) == b"second"
        finally:
            await connection.aclose()
            peer.sock.close()

    run(main)


def test_tls_records_read_before_a_failing_one_are_returned_first(
    over: Callable[[Exchange], None],
) -> None:
    """A record that fails to decrypt after whole ones already read (both waiting on the
    socket): the read returns their data, the next read raises (nothing read is lost)."""

    async def exchange(connection: Connection, peer: Peer) -> None:
        forged = b"\x17\x03\x03\x00\x20" + bytes(32)  # application data that fails its MAC
        peer.sock.sendall(peer.records(b"0\r\n\r\n") + forged)
        await anyio.sleep(0.05)  # all of it on the client's side
        assert await connection.receive(5.0) == b"0\r\n\r\n"
        assert connection.stale()  # a connection that has failed is not reused
        with pytest.raises(TransportError, match="BAD_RECORD_MAC"):
            await connection.receive(5.0)

    over(exchange)


def test_tls_close_notify_already_read_makes_the_connection_stale(
    over: Callable[[Exchange], None],
) -> None:
    """A close_notify read with the last data (the socket itself not yet at EOF): the
    idle connection is not reused."""

    async def exchange(connection: Connection, peer: Peer) -> None:
        peer.send(b"last")
        peer.close_notify()
        await anyio.sleep(0.05)  # both on the client's side
        assert await connection.receive(5.0) == b"last"
        assert connection.stale()

    over(exchange)


async def test_tls_read_woken_by_data_as_its_deadline_passes_still_times_out(
    listener: socket.socket,
) -> None:
    """Under trio: the socket turns readable in the tick the read's deadline passes, and the
    timeout task runs first, so its wake-up finds the read already woken. The read finds
    part of a record only: it must not wait again, unbounded, but time out."""
    thread, peers = accepting(listener)
    connection = await connect(("https", "127.0.0.1", listener.getsockname()[1]), 5.0, trusting())
    thread.join(5.0)
    (peer,) = peers
    assert isinstance(peer, Peer)
    failures: list[StreamTimeout] = []

    async def read() -> None:
        try:
            await connection.receive(30.0)
        except StreamTimeout as exc:
            failures.append(exc)

    try:
        with trio.fail_after(5.0):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(read)
                await trio.testing.wait_all_tasks_blocked()
                peer.sock.sendall(peer.records(b"hello")[:7])  # readable, no whole record
                deadlines = ReadDeadlines.of_this_run()  # as its task expires the read:
                del deadlines._waiting[connection.sock]
                deadlines.expired.add(connection.sock)
        (failure,) = failures
        assert str(failure) == "read timeout (read timed out after 30.0 s)"
    finally:
        await connection.aclose()
        peer.sock.close()


def test_tls_answer_that_cannot_be_sent_fails_the_read(over: Callable[[Exchange], None]) -> None:
    """What a read made OpenSSL write meets a failed socket: the read fails, it does not
    wait for the socket to take it (a failed socket is always writable)."""

    async def exchange(connection: Connection, _: Peer) -> None:
        connection.sock.shutdown(socket.SHUT_WR)  # a send now fails
        assert connection._tls is not None
        connection._tls.unsent = b"an answer"
        with anyio.fail_after(5.0), pytest.raises(TransportError, match="Broken pipe"):
            await connection.receive(30.0)

    over(exchange)


def test_tls_read_of_part_of_a_record_waits_for_the_rest(
    over: Callable[[Exchange], None],
) -> None:
    async def exchange(connection: Connection, peer: Peer) -> None:
        record = peer.records(b"hello")
        peer.sock.sendall(record[:7])  # readable, but no whole record
        with pytest.raises(StreamTimeout, match=r"read timed out after 0\.1 s") as info:
            await connection.receive(0.1)
        assert info.value.phase == "read"
        peer.sock.sendall(record[7:])
        assert await connection.receive(5.0) == b"hello"

    over(exchange)


def test_tls_read_cancelled_mid_read_leaves_a_usable_connection(
    over: Callable[[Exchange], None],
) -> None:
    async def exchange(connection: Connection, peer: Peer) -> None:
        with anyio.move_on_after(0.05) as scope:
            await connection.receive(30.0)
        assert scope.cancelled_caught
        peer.send(b"late")
        assert await connection.receive(5.0) == b"late"
        with anyio.CancelScope() as cancelled:
            cancelled.cancel()
            await connection.aclose()  # closes even when cancelled
        assert connection.closed
        assert peer.sock.recv(16) == b""  # closed at once: no close_notify awaited

    over(exchange)


def test_tls_write_that_blocks_times_out_as_a_write_timeout(
    over: Callable[[Exchange], None],
) -> None:
    async def exchange(connection: Connection, _: Peer) -> None:
        sock = connection.sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        with pytest.raises(StreamTimeout, match=r"write timed out after 0\.05 s") as info:
            await connection.send(BIG, 0.05)  # the server never reads
        assert info.value.phase == "write"

    over(exchange)


def test_tls_certificate_that_does_not_verify_is_a_transport_error(
    run: Backend, listener: socket.socket
) -> None:
    async def main() -> None:
        thread, peers = accepting(listener)
        port = listener.getsockname()[1]
        untrusting = ssl.create_default_context()
        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED") as info:
            await connect(("https", "127.0.0.1", port), 5.0, untrusting)
        assert str(info.value).startswith(f"cannot connect to 127.0.0.1:{port}: ")
        thread.join(5.0)
        assert isinstance(peers[0], ssl.SSLError)  # the client refused the certificate
        assert "ALERT_UNKNOWN_CA" in str(peers[0])  # and said why, in a TLS alert

    run(main)


@pytest.mark.parametrize("complete", [True, False], ids=["after-body", "mid-body"])
def test_tls_close_without_close_notify_ends_the_body_where_it_stands(
    run: Backend, listener: socket.socket, complete: bool
) -> None:
    """A server that closes without a close_notify: a body delimited by the close is
    complete, one cut short of its Content-Length is a `ProtocolError`."""
    sent = b"data: hi\n\n"
    length = len(sent) if complete else len(sent) + 100

    async def main() -> None:
        thread, peers = accepting(listener)

        def serve() -> None:
            thread.join(5.0)
            peer = peers[0]
            assert isinstance(peer, Peer)
            peer.request()
            head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            framing = b"content-length: %d\r\n" % length if not complete else b""
            peer.send(head + framing + b"\r\n" + sent)
            peer.sock.close()  # no close_notify: a ragged EOF

        server = threading.Thread(target=serve)
        server.start()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/v1"
        async with FastTransport(verify=trusting()) as transport:
            response = await transport.open(HTTPRequest("POST", url, body=b"{}"), Timeouts())
            received = b""
            try:
                async for chunk in response.chunks:
                    received += chunk
                assert complete
                assert response.complete
            except ProtocolError:
                assert not complete
            finally:
                await response.aclose()
        server.join(5.0)
        assert received == sent

    run(main)
