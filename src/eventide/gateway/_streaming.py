"""Serving one request's `EventStream` in the client's dialect: streamed, or whole.

The response head is held until the first events arrive (a router has committed by then),
so a failure before that gets its real status and the dialect's error body; after it, a
failure is the dialect's in-band error frame and no terminal frame: never a short success.
One task group per request watches for the client leaving (`run_watched`), which cancels
the stream and so closes the upstream.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Protocol, final

import anyio

from .._errors import Error, ProtocolError, RequestError
from .._events import Finish
from ..collectors import collect
from ..routing._failures import as_error
from ._asgi import HTTPProblem, send_json
from ._errors import problem_for
from ._provenance import attempt_list, provenance
from ._watch import Watch, run_watched

if TYPE_CHECKING:
    from .._completion import Completion
    from .._events import Event, Metadata
    from .._request import Request
    from .._stream import EventStream
    from ..providers import Provider
    from ._asgi import Receive, Send
    from ._log import RequestLog

__all__ = ["Dialect", "serve_events"]

_STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class Dialect(Protocol):
    """How one API puts a stream, a whole answer and an error on the wire."""

    api: str
    """The API's name in the log line."""
    ping: bytes
    """The keep-alive frame."""
    attempts: bool
    """Whether the first frame and a whole answer carry the failed attempts."""

    def encode(self, event: Event) -> bytes:
        """The stream bytes for one event (b"" when it adds nothing yet)."""

    def error_frame(self, problem: HTTPProblem) -> bytes:
        """The in-band error frame, after the head."""

    def error_body(self, problem: HTTPProblem) -> dict[str, Any]:
        """The JSON error body, before the head."""

    def whole(self, completion: Completion) -> dict[str, Any]:
        """The JSON body of a whole answer."""


def _retry_headers(seconds: float) -> list[tuple[bytes, bytes]]:
    """``retry-after-ms`` (what the official SDKs read first) and ``retry-after`` in whole
    seconds, both rounded up: a client told to wait 2.5 s must not come back after 2."""
    if not math.isfinite(seconds):  # not a wait anyone can keep: say nothing
        return []
    # Rounded to a microsecond first: 0.1 s is 100.00000000000001 ms in binary.
    ms = max(0, math.ceil(round(seconds * 1000, 3)))
    return [(b"retry-after", str(-(-ms // 1000)).encode()), (b"retry-after-ms", str(ms).encode())]


async def _send_problem(
    send: Send, exc: Error, request_id: str, dialect: Dialect, line: RequestLog
) -> None:
    problem, retry_after = problem_for(exc)
    line.outcome, line.status = f"error:{exc.kind}", problem.status
    line.write()
    headers = [(b"x-request-id", request_id.encode())]
    if retry_after is not None:
        headers += _retry_headers(retry_after)
    await send_json(send, problem.status, dialect.error_body(problem), headers=headers)


@final
class _Writer:
    """Writes one streaming response: the head with the first bytes (or ping), keep-alive
    frames after `keepalive` seconds of silence, one ``send`` at a time."""

    __slots__ = ("_keepalive", "_last", "_lock", "_ping", "_request_id", "_send", "head_sent")

    def __init__(self, send: Send, request_id: str, keepalive: float, ping: bytes) -> None:
        self._send = send
        self._request_id = request_id
        self._keepalive = keepalive
        self._ping = ping
        self._lock = anyio.Lock()
        self._last = time.monotonic()
        self.head_sent = False

    async def write(self, data: bytes, *, metadata: Metadata | None, end: bool = False) -> None:
        async with self._lock:
            if not self.head_sent:
                self.head_sent = True
                headers = _STREAM_HEADERS + provenance(metadata, self._request_id)
                await self._send({"type": "http.response.start", "status": 200, "headers": headers})
            if data or end:
                await self._send({"type": "http.response.body", "body": data, "more_body": not end})
            self._last = time.monotonic()

    async def keep_alive(self) -> None:
        """Send the ping frame whenever `keepalive` seconds pass without a write."""
        while True:
            await anyio.sleep(max(0.0, self._last + self._keepalive - time.monotonic()))
            if time.monotonic() - self._last >= self._keepalive:
                await self.write(self._ping, metadata=None)


async def _relay(events: EventStream, dialect: Dialect, writer: _Writer, line: RequestLog) -> None:
    while True:
        try:
            batch = await events.receive_batch()
        except StopAsyncIteration:
            raise ProtocolError("the stream ended without a finish") from None
        line.see(batch)
        data = b"".join([dialect.encode(event) for event in batch])
        if any(type(event) is Finish for event in batch):
            await events.aclose()
            line.outcome = "complete"
            line.write()  # bookkeeping first: a client may hang up right after the last frame
            await writer.write(data, metadata=line.metadata, end=True)
            return
        await writer.write(data, metadata=line.metadata)


async def _stream(
    events: EventStream,
    send: Send,
    request_id: str,
    dialect: Dialect,
    keepalive: float,
    line: RequestLog,
) -> None:
    writer = _Writer(send, request_id, keepalive, dialect.ping)
    async with anyio.create_task_group() as group:
        group.start_soon(writer.keep_alive)
        try:
            await _relay(events, dialect, writer, line)
        except Exception as raised:  # a provider's own exception too: the client hears of it
            exc = as_error(raised, doing="streaming", provider=events.provider)
            if not writer.head_sent:
                await _send_problem(send, exc, request_id, dialect, line)
            else:
                line.outcome = f"error:{exc.kind}"
                line.write()
                frame = dialect.error_frame(problem_for(exc)[0])
                await writer.write(frame, metadata=line.metadata, end=True)
        group.cancel_scope.cancel()


async def _whole(
    events: EventStream, send: Send, request_id: str, dialect: Dialect, line: RequestLog
) -> None:
    try:
        completion = await collect(events)
    except Exception as raised:
        exc = as_error(raised, doing="streaming", provider=events.provider)
        await _send_problem(send, exc, request_id, dialect, line)
        return
    line.metadata, line.usage = completion.metadata, completion.usage
    if completion.timing.to_first_content is not None:
        line.first = line.start + completion.timing.to_first_content
    line.outcome = "complete"
    line.write()
    body = dialect.whole(completion)
    if dialect.attempts:
        body["attempts"] = attempt_list(completion.metadata)
    headers = provenance(completion.metadata, request_id)
    await send_json(send, 200, body, headers=headers)


async def serve_events(
    provider: Provider,
    request: Request,
    *,
    stream: bool,
    dialect: Dialect,
    receive: Receive,
    send: Send,
    request_id: str,
    keepalive: float,
    line: RequestLog,
) -> None:
    """Serve one parsed request from `provider` in `dialect`, streamed or whole, watching for
    the client leaving (which cancels the stream and so closes the upstream), and write its
    log `line`: once, however it ends (``client_gone``, or ``cancelled`` when the server
    shuts down under it).

    Raises:
        HTTPProblem: 404 when the provider knows no such model (before any I/O).
    """
    try:
        events = provider.stream(request)
    except Exception as raised:
        if isinstance(raised, ValueError) and not isinstance(raised, RequestError):
            raise HTTPProblem(
                404, str(raised), kind="not_found_error", code="model_not_found"
            ) from None
        exc = as_error(raised, doing="opening the stream", provider=provider.name)
        await _send_problem(send, exc, request_id, dialect, line)
        return

    async def handler(watch: Watch) -> None:
        if stream:
            await _stream(events, send, request_id, dialect, keepalive, line)
        else:
            await _whole(events, send, request_id, dialect, line)

    try:
        async with events:
            await run_watched(receive, handler)
    except anyio.get_cancelled_exc_class():
        line.outcome = "cancelled"  # from outside: the server shuts down
        raise
    finally:
        line.write()  # once: unless written already, a client that left, or a shutdown
