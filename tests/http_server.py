"""A real, scripted HTTP/1.1 server for tests: trio sockets on 127.0.0.1, h11 for the framing.

Nothing is mocked: the library under test talks to a real socket, and the server sees what a
real server sees (including the client hanging up). A test scripts the responses with `Reply`:

- ``body`` is a sequence of pieces sent in order: ``bytes`` (each its own HTTP chunk, or written
  separately under ``Content-Length``), `Pause` (sleep between pieces), `Stall` (sleep until the
  client goes away or the server shuts down), `Cut` (close the TCP connection right there: no
  terminating chunk, a truncated ``Content-Length`` body; ``Cut(reset=True)`` sends a TCP RST)
  and `RawBytes` (written to the socket unframed, e.g. to break the chunked encoding);
- ``stall_before_headers`` / ``pause_before_headers`` delay the status line (timeout tests);
- `Reply.raw` writes nothing but its pieces: no status line, no headers, no framing.

`serve` runs the server in the current trio run; `serve_in_thread` runs it in its own
``trio.run`` in a background thread (for sync, asyncio or subprocess tests).

Clocks: ``disconnects`` are ``time.monotonic()`` timestamps in both modes, so a test compares
them with ``time.monotonic()`` taken on its side (not ``trio.current_time()``, which has its own
offset). A disconnect is recorded, once per response, when the client hangs up (EOF, reset, or a
failed send) before the response was written to its end: before the headers, during a `Pause` or
a `Stall`, or with pieces left. A concurrent reader watches the socket while a response is
written, so the hang-up is seen at once (well under 100 ms). Once the write of the response's
last bytes has begun, a hang-up counts only if that write fails: a client that read everything
and closed is no disconnect. A `Cut` is the server's doing and is not a disconnect either.

``completed`` goes up just before the last bytes are written (and down again if that write
fails), so a client that has read a whole response always finds it counted; ``requests`` gets a
request before its reply starts. ``open_connections`` drops after the server closes its side:
wait for it with `ScriptedServer.wait_for`.

Keep-alive works as in any HTTP/1.1 server: requests on one connection are served in turn; the
connection is closed after a `Cut`, a client hang-up, a raw reply or a reply containing
`RawBytes` (its framing can no longer be trusted), and when either side asks for
``Connection: close``.
"""

from __future__ import annotations

import collections
import enum
import json
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from functools import partial
from http import HTTPStatus
from typing import Any, TypeAlias

import attrs
import h11
import trio

__all__ = [
    "DISCONNECT_BUDGET",
    "Cut",
    "Pause",
    "Piece",
    "RawBytes",
    "Received",
    "Reply",
    "ReplyScript",
    "ScriptedServer",
    "Stall",
    "assert_disconnect_seen",
    "openai_chunks",
    "refused_url",
    "serve",
    "serve_in_thread",
    "slow",
    "sse",
]

_READ_SIZE = 65536
DISCONNECT_BUDGET = 0.1  # seconds from a client's close to the server noticing


@attrs.frozen
class Pause:
    """Sleep this many seconds before the next piece."""

    seconds: float


@attrs.frozen
class Stall:
    """Sleep forever: until the client goes away or the server shuts down."""


@attrs.frozen
class Cut:
    """Close the TCP connection right here, mid-response (FIN; a RST with ``reset=True``)."""

    reset: bool = False


@attrs.frozen
class RawBytes:
    """Bytes written to the socket as they are, outside any framing."""

    data: bytes


Piece: TypeAlias = bytes | Pause | Stall | Cut | RawBytes


@attrs.frozen
class Reply:
    """One scripted response.

    Attributes:
        status: The status code (a final one: 200 or more).
        headers: Response headers, in order. With neither ``content-length`` nor
            ``transfer-encoding`` here, the body is chunked (``content_length=False``). A
            ``content-length`` given here is sent as is and h11 holds the body to it: a body
            that does not match is a script error (use `Cut` to truncate).
        body: Pieces sent in order; see the module docstring.
        content_length: Send ``Content-Length`` (the total of the ``bytes`` pieces) and a plain
            body instead of chunked encoding; the pieces are still written one by one, and a
            `Cut` before the end truncates the body.
        stall_before_headers: Sleep forever before the status line.
        pause_before_headers: Seconds to sleep before the status line.
        framed: False for raw mode (see `Reply.raw`): no status line, no headers, every piece
            written verbatim.
    """

    status: int = 200
    headers: Sequence[tuple[str, str]] = (("content-type", "text/event-stream"),)
    body: Sequence[Piece] = ()
    content_length: bool = False
    stall_before_headers: bool = False
    pause_before_headers: float = 0.0
    framed: bool = True

    @classmethod
    def raw(cls, *pieces: Piece) -> Reply:
        """A reply that writes exactly ``pieces`` (bytes verbatim; pauses, stalls, cuts apply).

        ``Reply.raw(b"HTTP/1.1 200 OK\\r\\n...")``. The connection is closed afterwards.
        """
        return cls(body=pieces, framed=False)


@attrs.frozen
class Received:
    """A request as the server received it.

    ``headers`` has lower-cased names (repeated headers joined with ``", "``); ``connection`` is
    the 0-based index of the connection it came on (in accept order).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int = 0

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


ReplyScript: TypeAlias = Reply | Callable[[Received], Reply]


class _Outcome(enum.Enum):
    COMPLETE = "complete"
    CUT = "cut"
    RESET = "reset"
    GONE = "gone"


@attrs.define
class _Exchange:
    """One response on its connection, and its state, shared by its writer and its watcher."""

    stream: trio.SocketStream
    conn: h11.Connection
    reply: Reply
    method: str
    client_gone: bool = False
    counted: bool = False  # the write of the response's last bytes has begun
    peer_eof: bool = False


class ScriptedServer:
    """The server's script and what it observed. Made by `serve` or `serve_in_thread`.

    Attributes:
        url: ``"http://127.0.0.1:PORT"``.
        requests: Every request received, in order (appended before its reply starts).
        disconnects: ``time.monotonic()`` at each client hang-up seen mid-response.
        completed: Responses written to their end.
        open_connections: Connections accepted and not yet closed by the server.
        connections_accepted: Connections accepted so far.
    """

    def __init__(self, reply: ReplyScript | None = None) -> None:
        self.url = ""
        self.requests: list[Received] = []
        self.disconnects: list[float] = []
        self.completed = 0
        self.open_connections = 0
        self.connections_accepted = 0
        self._default: ReplyScript = Reply() if reply is None else reply
        self._queue: collections.deque[ReplyScript] = collections.deque()
        self._changed = threading.Condition()
        self._waiters: list[tuple[trio.lowlevel.TrioToken, trio.Event]] = []
        self._disconnects_returned = 0

    # -- the script --------------------------------------------------------------------------

    def reply(self, reply: ReplyScript) -> None:
        """Answer every request (after the queue) with ``reply``, or with ``reply(request)``."""
        self._default = reply

    def queue(self, *replies: ReplyScript) -> None:
        """Answer the next requests with ``replies``, one each, before the default reply."""
        self._queue.extend(replies)

    def _pick(self, request: Received) -> Reply:
        script = self._queue.popleft() if self._queue else self._default
        return script if isinstance(script, Reply) else script(request)

    # -- waiting -----------------------------------------------------------------------------

    async def wait_disconnect(self, timeout: float) -> float:
        """The next disconnect not returned by an earlier wait, waiting up to ``timeout`` s.

        Returns its ``time.monotonic()`` timestamp; raises `TimeoutError` if none comes. A
        disconnect that happened before the call counts. Works in both modes, from trio.
        """
        await self.wait_for(self._disconnect_pending, timeout, "a client disconnect")
        return self._take_disconnect()

    def wait_disconnect_sync(self, timeout: float) -> float:
        """`wait_disconnect` for sync code (the `serve_in_thread` mode): blocks the thread."""
        self.wait_for_sync(self._disconnect_pending, timeout, "a client disconnect")
        return self._take_disconnect()

    async def wait_for(
        self, condition: Callable[[], bool], timeout: float, what: str = "the condition"
    ) -> None:
        """Wait until ``condition()`` is true (e.g. ``lambda: server.open_connections == 0``).

        The condition is checked again whenever the server's state changes (a request, a
        response completed, a disconnect, a connection opened or closed). Raises `TimeoutError`
        after ``timeout`` seconds. Works in both modes, from any trio run.
        """
        waiter = (trio.lowlevel.current_trio_token(), trio.Event())
        with trio.move_on_after(timeout):
            while True:
                with self._changed:
                    self._waiters.append(waiter)
                try:
                    if condition():
                        return
                    await waiter[1].wait()
                finally:
                    with self._changed:
                        self._waiters.remove(waiter)
                waiter = (waiter[0], trio.Event())
        raise TimeoutError(f"timed out after {timeout} s waiting for {what}")

    def wait_for_sync(
        self, condition: Callable[[], bool], timeout: float, what: str = "the condition"
    ) -> None:
        """`wait_for` for sync code (the `serve_in_thread` mode): blocks the thread."""
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise TimeoutError(f"timed out after {timeout} s waiting for {what}")

    def _disconnect_pending(self) -> bool:
        return len(self.disconnects) > self._disconnects_returned

    def _take_disconnect(self) -> float:
        when = self.disconnects[self._disconnects_returned]
        self._disconnects_returned += 1
        return when

    def _touch(self) -> None:
        """The state changed: wake every waiter, in whichever thread or trio run it waits."""
        with self._changed:
            self._changed.notify_all()
            waiters = list(self._waiters)
        for token, event in waiters:
            with suppress(trio.RunFinishedError):
                token.run_sync_soon(event.set)  # thread-safe, and fine from the same run

    # -- serving -----------------------------------------------------------------------------

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        async with trio.open_nursery() as nursery:
            listeners: list[trio.SocketListener] = await nursery.start(
                partial(trio.serve_tcp, self._handle_connection, 0, host="127.0.0.1")
            )
            host, port = listeners[0].socket.getsockname()[:2]
            self.url = f"http://{host}:{port}"
            try:
                yield
            finally:
                nursery.cancel_scope.cancel()

    async def _handle_connection(self, stream: trio.SocketStream) -> None:
        index = self.connections_accepted
        self.connections_accepted += 1
        self.open_connections += 1
        self._touch()
        reset = False
        try:
            reset = await self._serve_connection(stream, index)
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.RemoteProtocolError):
            pass  # the client went away between requests, or sent garbage: just close
        finally:
            if reset:
                stream.socket.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            stream.socket.close()  # synchronous: done even when cancelled
            self.open_connections -= 1
            self._touch()

    async def _serve_connection(self, stream: trio.SocketStream, index: int) -> bool:
        """Serve requests until the connection must close; True to close it with a RST."""
        conn = h11.Connection(h11.SERVER)
        while True:
            received = await self._read_request(stream, conn, index)
            if received is None:
                return False
            self.requests.append(received)
            self._touch()
            reply = self._pick(received)
            exchange = _Exchange(stream, conn, reply, received.method)
            outcome = await self._respond(exchange)
            if outcome is _Outcome.RESET:
                return True
            if outcome is not _Outcome.COMPLETE:
                return False
            if (
                exchange.peer_eof
                or not reply.framed
                or any(isinstance(piece, RawBytes) for piece in reply.body)
                or conn.our_state is not h11.DONE
                or conn.their_state is not h11.DONE
            ):
                return False
            conn.start_next_cycle()

    async def _read_request(
        self, stream: trio.SocketStream, conn: h11.Connection, index: int
    ) -> Received | None:
        request: h11.Request | None = None
        body: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                try:
                    data = await stream.receive_some(_READ_SIZE)
                except trio.BrokenResourceError:
                    data = b""
                conn.receive_data(data)
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                assert request is not None
                headers: dict[str, str] = {}
                for name, value in request.headers:
                    key, text = name.decode("latin-1"), value.decode("latin-1")
                    headers[key] = f"{headers[key]}, {text}" if key in headers else text
                return Received(
                    method=request.method.decode("ascii"),
                    path=request.target.decode("latin-1"),
                    headers=headers,
                    body=b"".join(body),
                    connection=index,
                )
            else:  # ConnectionClosed, or PAUSED after the client sent something we can't use
                return None

    async def _respond(self, exchange: _Exchange) -> _Outcome:
        outcome = _Outcome.GONE
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._watch, exchange, nursery.cancel_scope)
            try:
                outcome = await self._write(exchange)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                self._client_gone(exchange)
            nursery.cancel_scope.cancel()
        if exchange.client_gone:
            outcome = _Outcome.GONE
        if exchange.counted and outcome is not _Outcome.COMPLETE:
            self.completed -= 1  # the last bytes never went out
            self._touch()
        return outcome

    async def _watch(self, exchange: _Exchange, writer: trio.CancelScope) -> None:
        """Read while the reply is written, so that a client hang-up is seen at once."""
        while True:
            try:
                data = await exchange.stream.receive_some(_READ_SIZE)
            except trio.BrokenResourceError:  # connection reset
                data = b""
            if not data:
                exchange.peer_eof = True
                if not exchange.counted:
                    self._client_gone(exchange)
                    writer.cancel()
                # Else the last bytes are being written, or were, and the writer is yet to
                # resume (in thread mode, a client that read them all can close first): let it
                # finish; a send that fails is a disconnect all the same.
                return
            exchange.conn.receive_data(data)  # the client spoke early: keep it for the next request

    def _client_gone(self, exchange: _Exchange) -> None:
        if exchange.client_gone:
            return
        exchange.client_gone = True
        self.disconnects.append(time.monotonic())
        self._touch()

    async def _write(self, exchange: _Exchange) -> _Outcome:
        reply = exchange.reply
        plan = _plan(exchange.conn, reply, exchange.method)
        # `completed` goes up just before the response's last bytes are handed to the socket, so
        # a client that has read the whole response always finds it counted.
        completes = not reply.stall_before_headers and not any(
            isinstance(op, Stall | Cut) for op in plan
        )
        sends = [i for i, op in enumerate(plan) if isinstance(op, bytes)]
        last_send = sends[-1] if completes and sends else -1
        if completes and last_send < 0:
            self._count_completed(exchange)
        if reply.stall_before_headers:
            await trio.sleep_forever()
        if reply.pause_before_headers > 0:
            await trio.sleep(reply.pause_before_headers)
        for i, op in enumerate(plan):
            if isinstance(op, bytes):
                if i == last_send:
                    self._count_completed(exchange)
                await exchange.stream.send_all(op)
            elif isinstance(op, Pause):
                await trio.sleep(op.seconds)
            elif isinstance(op, Stall):
                await trio.sleep_forever()
            else:
                return _Outcome.RESET if op.reset else _Outcome.CUT
        return _Outcome.COMPLETE

    def _count_completed(self, exchange: _Exchange) -> None:
        exchange.counted = True
        self.completed += 1
        self._touch()


def _plan(conn: h11.Connection, reply: Reply, method: str) -> list[bytes | Pause | Stall | Cut]:
    """The reply as the bytes to write (framed by h11), sleeps and the cut, in order."""
    plan: list[bytes | Pause | Stall | Cut] = []

    def framed(event: h11.Event) -> None:
        data = conn.send(event)
        if data:
            plan.append(data)

    if reply.framed:
        framed(_response_head(reply))
    for piece in reply.body:
        if isinstance(piece, bytes):
            if not piece:
                continue  # an empty chunk would end a chunked body
            if not reply.framed:
                plan.append(piece)
            elif method != "HEAD":
                framed(h11.Data(data=piece))
        elif isinstance(piece, RawBytes):
            if piece.data:
                plan.append(piece.data)
        else:
            plan.append(piece)
            if isinstance(piece, Cut):
                return plan
    if reply.framed:
        framed(h11.EndOfMessage())
    return plan


def _response_head(reply: Reply) -> h11.Response:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers]
    names = {name.lower() for name, _ in headers}
    if reply.content_length and b"content-length" not in names:
        length = sum(len(piece) for piece in reply.body if isinstance(piece, bytes))
        headers.append((b"content-length", str(length).encode("ascii")))
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = ""
    return h11.Response(status_code=reply.status, headers=headers, reason=reason)


@asynccontextmanager
async def serve(reply: ReplyScript | None = None) -> AsyncIterator[ScriptedServer]:
    """Run a `ScriptedServer` in the current trio run, on 127.0.0.1 and a free port.

    On exit every connection and the listener are closed (and any handler task cancelled).
    """
    server = ScriptedServer(reply)
    async with server._running():
        yield server


@contextmanager
def serve_in_thread(reply: ReplyScript | None = None) -> Iterator[ScriptedServer]:
    """Run a `ScriptedServer` in its own ``trio.run`` in a background thread.

    For code that is not in a trio run: sync tests, asyncio, a subprocess pointed at
    ``server.url``. Read the server's attributes from the test's thread; wait for disconnects
    with `ScriptedServer.wait_disconnect_sync`. On exit the server is stopped and its thread
    joined; if the server itself crashed, its exception is raised (or noted on the test's).
    """
    server = ScriptedServer(reply)
    ready = threading.Event()
    errors: list[BaseException] = []
    token: list[trio.lowlevel.TrioToken] = []
    scope = trio.CancelScope()

    async def main() -> None:
        with scope:
            async with server._running():
                token.append(trio.lowlevel.current_trio_token())
                ready.set()
                await trio.sleep_forever()

    def run() -> None:
        try:
            trio.run(main)
        except BaseException as exc:
            errors.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="scripted-http-server", daemon=True)
    thread.start()

    def stop() -> None:
        if token:
            # Not trio.from_thread: that refuses to run from a thread inside a trio run.
            with suppress(trio.RunFinishedError):
                token[0].run_sync_soon(scope.cancel)
        thread.join(timeout=10)
        if thread.is_alive():  # pragma: no cover - a bug in the server
            raise RuntimeError("the scripted HTTP server thread did not stop")

    ready.wait()
    if errors:
        thread.join()
        raise RuntimeError("the scripted HTTP server failed to start") from errors[0]
    try:
        yield server
    except BaseException as exc:
        stop()
        if errors:
            exc.add_note(f"the scripted HTTP server crashed: {errors[0]!r}")
        raise
    stop()
    if errors:
        raise RuntimeError("the scripted HTTP server crashed") from errors[0]


async def assert_disconnect_seen(server: ScriptedServer, since: float) -> None:
    """Assert that `server` sees the client hang up within `DISCONNECT_BUDGET` of `since` (a
    ``time.monotonic()`` taken when the client closed)."""
    seen = await server.wait_disconnect(timeout=2)
    assert seen - since < DISCONNECT_BUDGET, f"server saw the close after {seen - since:.3f} s"


def refused_url() -> str:
    """``http://127.0.0.1:PORT`` with a port that nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# -- bodies ----------------------------------------------------------------------------------


def slow(pieces: Sequence[bytes], pause: float = 0.01) -> list[Piece]:
    """The pieces with a pause before each, as a model generating tokens would send them."""
    return [part for piece in pieces for part in (Pause(pause), piece)]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sse(*events: str | Mapping[str, Any]) -> bytes:
    """Server-sent events, one ``data:`` event each: mappings JSON-encoded compactly.

    ``sse({"a": 1}, "[DONE]") == b'data: {"a":1}\\n\\ndata: [DONE]\\n\\n'``. A string with
    newlines becomes one ``data:`` line per line, as the SSE format requires.
    """
    out: list[str] = []
    for event in events:
        payload = event if isinstance(event, str) else _dumps(event)
        out.extend(f"data: {line}\n" for line in payload.split("\n"))
        out.append("\n")
    return "".join(out).encode("utf-8")


_CHUNK_ID = "chatcmpl-BkRv7hQy3uTnZpXa2LcE9sWmD4fGj"
_CREATED = 1750000000
_FINGERPRINT = "fp_34a54ae93c"


def openai_chunks(
    texts: Sequence[str],
    *,
    model: str = "gpt-4o-mini",
    usage: bool = True,
    finish_reason: str = "stop",
    prompt_tokens: int = 12,
) -> list[bytes]:
    """An OpenAI Chat Completions streaming body, one SSE event per piece.

    A first chunk with the assistant role and empty content, one chunk per text, a finish chunk,
    a usage chunk with empty ``choices`` (``usage=True``, as with
    ``stream_options.include_usage``, which also puts ``"usage":null`` on every other chunk;
    completion tokens are ``len(texts)``), then ``data: [DONE]``.
    """

    def chunk(delta: dict[str, Any] | None, finish: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": _CHUNK_ID,
            "object": "chat.completion.chunk",
            "created": _CREATED,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": _FINGERPRINT,
            "choices": []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if usage:
            data["usage"] = None
        return data

    pieces = [sse(chunk({"role": "assistant", "content": "", "refusal": None}))]
    pieces.extend(sse(chunk({"content": text})) for text in texts)
    pieces.append(sse(chunk({}, finish_reason)))
    if usage:
        last = chunk(None)
        last["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(texts),
            "total_tokens": prompt_tokens + len(texts),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        pieces.append(sse(last))
    pieces.append(sse("[DONE]"))
    return pieces
