"""Reads and writes of a non-blocking socket, plain or TLS, that never wait: each does
what it can at once and says what to wait for otherwise (`POLLIN`, `POLLOUT`). The waiting,
on the running loop's primitives, is `_connection`'s.

A TLS connection is a plain socket with a `Session`: OpenSSL's record layer in memory, fed
by plain reads.
"""

from __future__ import annotations

import select
import ssl
from typing import TYPE_CHECKING, Final, final

if TYPE_CHECKING:
    import socket

__all__ = [
    "POLLIN",
    "POLLOUT",
    "READ_SIZE",
    "Session",
    "is_ready",
    "tls_eof",
    "try_recv",
    "try_send",
]

READ_SIZE: Final = 64 * 1024
"""The most bytes one read takes."""
POLLIN: Final = getattr(select, "POLLIN", 1)  # select(2)'s stand-ins on Windows
POLLOUT: Final = getattr(select, "POLLOUT", 4)


def try_recv(sock: socket.socket, tls: Session | None) -> tuple[bytes, int]:
    """The next bytes (b"" at EOF; behind TLS, `Session.read`) and 0; or b"" and
    `POLLIN`: nothing to read yet."""
    if tls is not None:
        return tls.read(sock)
    try:
        return sock.recv(READ_SIZE), 0
    except BlockingIOError:
        return b"", POLLIN


@final
class Session:
    """TLS over a plain socket, OpenSSL's record layer in memory (an `ssl.SSLObject` on two
    `ssl.MemoryBIO`s), as asyncio's SSL transport does it.

    Why not an `ssl.SSLSocket`: its read returns one record, which OpenSSL reads from the
    socket itself in two system calls (header, then body: Python cannot turn its read-ahead
    on), and a server writes one record per event; about 3.2 µs a record where a plain read
    of up to `READ_SIZE` bytes fed to the memory BIO costs 1.2 to 2 µs a record.

    EOF is b"" whether the server sent a close_notify or not (a ragged EOF), as anyio's
    TLS stream (not standard-compatible) and then `ssl.SSLSocket` (`suppress_ragged_eofs`)
    did, and a reset too, as CPython's `SSLSocket` reports one; whether the body was
    complete is the response reader's to say. What a read makes OpenSSL write (the answer
    to a post-handshake certificate request, a TLS 1.2 renegotiation, a key update) is
    sent by that read, as `ssl.SSLSocket` sent it: a server may wait for it before it
    writes more. What the socket cannot take at once is sent by the next read (which waits
    for the socket to take it, rather than for data) or write, first.
    """

    __slots__ = ("eof", "failure", "incoming", "outgoing", "tls", "unsent")

    def __init__(self, context: ssl.SSLContext, host: str) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname=host)
        self.eof = False
        self.failure: OSError | None = None  # met after data the next read returns first
        self.unsent = b""  # records a read made that the socket could not take at once

    def read(self, sock: socket.socket) -> tuple[bytes, int]:
        """Every whole record's data already readable from `sock`, up to `READ_SIZE`
        bytes, and 0; b"" and 0 at EOF; or b"" and what to wait for: `POLLIN` (no whole
        record yet), `POLLOUT` (an answer the socket could not take yet).

        A record that fails (a bad MAC, a fatal alert) or a failed socket read after
        records already decrypted fails the next read: their data is returned first."""
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        chunks: list[bytes] = []
        size = 0
        try:
            while size < READ_SIZE and not self.eof:
                try:
                    data = self.tls.read(READ_SIZE - size)
                except ssl.SSLWantReadError:  # no whole record buffered: read the socket
                    try:
                        if not self._fill(sock):
                            break
                    except ConnectionResetError:  # the end, as CPython's SSLSocket reads it
                        self.incoming.write_eof()
                    continue
                except ssl.SSLError as exc:
                    if not tls_eof(exc):
                        raise
                    data = b""
                if not data:  # a close_notify (or a close without one)
                    self.eof = True
                    break
                chunks.append(data)
                size += len(data)
        except OSError as exc:  # ssl.SSLError included
            if not chunks:
                raise
            self.failure = exc
        if self.outgoing.pending or self.unsent:  # the read made OpenSSL answer the server
            self.answer(sock)
        if chunks:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks), 0
        if self.failure is not None:  # the answer could not be sent
            failure, self.failure = self.failure, None
            raise failure
        if self.eof:
            return b"", 0
        return b"", POLLOUT if self.unsent else POLLIN

    def _fill(self, sock: socket.socket) -> bool:
        """Move what `sock` holds into the session (its end as EOF); False: nothing yet."""
        try:
            data = sock.recv(READ_SIZE)
        except BlockingIOError:
            return False
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()
        return True

    def answer(self, sock: socket.socket) -> None:
        """Send what OpenSSL has written (a read's answer, a failed handshake's alert), as
        far as the socket takes it at once: the rest waits in `unsent`, which the next
        read, or write, sends first. A send that fails (not for a full socket) fails the
        read, after the data it returns, if any, unless the session has ended."""
        records = self.encrypt(b"")
        try:
            sent = sock.send(records)
        except BlockingIOError:
            sent = 0
        except OSError as exc:  # the connection has failed: nothing more goes out
            if not self.eof:  # (after the end, what is left to send does not matter)
                self.failure = self.failure or exc
            sent = len(records)
        self.unsent = records[sent:]

    def encrypt(self, data: bytes) -> bytes:
        """`data` as records, after whatever the session had still to write."""
        if data:
            self.tls.write(data)
        records = self.outgoing.read()
        if self.unsent:
            records, self.unsent = self.unsent + records, b""
        return records


def try_send(sock: socket.socket, data: bytes | memoryview) -> tuple[int, int]:
    """How many bytes of `data` went out at once, and 0; or 0 and `POLLOUT`."""
    try:
        return sock.send(data), 0
    except BlockingIOError:
        return 0, POLLOUT


def tls_eof(exc: ssl.SSLError) -> bool:
    """Whether `exc` is the end of a TLS stream: a close_notify, or a close without one."""
    eof = (ssl.SSLZeroReturnError, ssl.SSLEOFError)
    return isinstance(exc, eof) or "UNEXPECTED_EOF" in str(exc)


def is_ready(sock: socket.socket, event: int) -> bool:
    """Whether a read (POLLIN: data or EOF) or a write (POLLOUT) would return at once.
    poll(2) where there is one; else (Windows) select(2), whose limit there is a count of
    sockets, not a descriptor number."""
    if not hasattr(select, "poll"):  # pragma: no cover - Windows
        reads, writes = ([sock], []) if event == POLLIN else ([], [sock])
        readable, writable, _ = select.select(reads, writes, [], 0)
        return bool(readable or writable)
    poller = select.poll()
    poller.register(sock, event)
    return bool(poller.poll(0))
