"""``POST /v1/chat/completions``: an OpenAI request in, the provider's `EventStream` out.

The request is parsed by the client's own OpenAI parameter handling (`request_from_openai`),
so the gateway accepts and refuses exactly what ``eventide``'s OpenAI-style client does. A
stream is written with the OpenAI chat encoder (`ChatStreamEncoder`), a whole answer with
the OpenAI shapes (`ChatCompletion`): one encoding of each, shared with the library.

The response head is held until the first events arrive (a router has committed by then),
so a failure before that gets its real status and an OpenAI error body; after it, a failure
is an in-band ``data: {"error": ...}`` frame and no ``[DONE]``: never a short success.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, final

import anyio

from .._errors import Error, ProtocolError
from .._events import CONTENT_EVENTS, Finish, Metadata, Usage
from ..client._params import include_usage, request_from_openai
from ..client._shapes import ChatCompletion
from ..collectors import collect
from ..wire import ChatStreamEncoder, ChatStyle
from ._asgi import HTTPProblem, send_json
from ._errors import error_body, problem_for
from ._watch import Watch, run_watched

if TYPE_CHECKING:
    from .._completion import Completion
    from .._events import Event
    from .._request import Request
    from .._stream import EventStream
    from ..providers import Provider
    from ._asgi import Receive, Send
    from ._settings import Settings

__all__ = ["chat_completions", "parse_chat"]

log = logging.getLogger("eventide.gateway")

_CONTENT = frozenset(CONTENT_EVENTS)
_STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def parse_chat(body: dict[str, Any], settings: Settings) -> tuple[Request, bool, bool]:
    """The `Request` of a Chat Completions body, whether to stream, and whether to send usage.

    Raises:
        HTTPProblem: 400 for a body ``chat.completions.create`` would refuse.
    """
    params = dict(body)
    stream = params.pop("stream", False)
    try:
        if stream is not None and not isinstance(stream, bool):
            raise TypeError(f"stream must be a boolean, not {type(stream).__name__}")
        if "messages" not in params:
            raise ValueError("messages is required")
        usage = include_usage(params.get("stream_options")) or settings.include_usage
        request = request_from_openai(**params)
    except (TypeError, ValueError) as exc:
        raise HTTPProblem(400, str(exc), kind="invalid_request_error") from None
    return request, bool(stream), usage


def _provenance(metadata: Metadata | None, request_id: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"x-request-id", request_id.encode())]
    if metadata is not None:
        headers += [
            (b"x-eventide-provider", metadata.provider.encode()),
            (b"x-eventide-model", metadata.model.encode()),
            (b"x-eventide-attempts", str(len(metadata.attempts)).encode()),
        ]
    return headers


async def _send_problem(send: Send, exc: Error, request_id: str) -> None:
    problem, retry_after = problem_for(exc)
    headers = [(b"x-request-id", request_id.encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(max(0, round(retry_after))).encode()))
    await send_json(send, problem.status, error_body(problem), headers=headers)


@final
class _Line:
    """The one log line of a request: who served, how, and how it ended (no content)."""

    __slots__ = ("first", "metadata", "outcome", "start", "status", "usage")

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.first: float | None = None
        self.metadata: Metadata | None = None
        self.usage: Usage | None = None
        self.outcome = "client_gone"
        self.status = 200

    def see(self, events: list[Event]) -> None:
        for event in events:
            if type(event) is Metadata:
                self.metadata = event
            elif type(event) is Usage:
                self.usage = event
            elif self.first is None and type(event) in _CONTENT:
                self.first = time.monotonic()

    def write(self) -> None:
        metadata, usage = self.metadata, self.usage
        ttft = "-" if self.first is None else f"{(self.first - self.start) * 1000:.0f}ms"
        log.info(
            "chat provider=%s model=%s attempts=%s tokens_in=%s tokens_out=%s ttft=%s "
            "time=%.0fms status=%s outcome=%s",
            metadata.provider if metadata else "-",
            metadata.model if metadata else "-",
            len(metadata.attempts) if metadata else "-",
            usage.input_tokens if usage else "-",
            usage.output_tokens if usage else "-",
            ttft,
            (time.monotonic() - self.start) * 1000,
            self.status,
            self.outcome,
        )


@final
class _StreamWriter:
    """Writes one streaming response: the head when the first bytes (or a ping) go out,
    keep-alive comments after `keepalive` seconds of silence, one ``send`` at a time."""

    __slots__ = ("_keepalive", "_last", "_lock", "_request_id", "_send", "head_sent")

    def __init__(self, send: Send, request_id: str, keepalive: float) -> None:
        self._send = send
        self._request_id = request_id
        self._keepalive = keepalive
        self._lock = anyio.Lock()
        self._last = time.monotonic()
        self.head_sent = False

    async def write(self, data: bytes, *, metadata: Metadata | None, end: bool = False) -> None:
        async with self._lock:
            if not self.head_sent:
                self.head_sent = True
                headers = _STREAM_HEADERS + _provenance(metadata, self._request_id)
                await self._send({"type": "http.response.start", "status": 200, "headers": headers})
            if data or end:
                await self._send({"type": "http.response.body", "body": data, "more_body": not end})
            self._last = time.monotonic()

    async def ping(self) -> None:
        """Send ``: ping`` whenever `keepalive` seconds pass without a write."""
        while True:
            await anyio.sleep(max(0.0, self._last + self._keepalive - time.monotonic()))
            if time.monotonic() - self._last >= self._keepalive:
                await self.write(b": ping\n\n", metadata=None)


async def _stream(
    events: EventStream, send: Send, request_id: str, usage: bool, settings: Settings, line: _Line
) -> None:
    writer = _StreamWriter(send, request_id, settings.keepalive)
    encoder = ChatStreamEncoder(style=ChatStyle(provider=True, created=int(time.time())))
    async with anyio.create_task_group() as group:
        group.start_soon(writer.ping)
        try:
            await _relay(events, encoder, writer, usage, line)
        except Error as exc:
            line.outcome = f"error:{exc.kind}"
            if not writer.head_sent:
                line.status = problem_for(exc)[0].status
                line.write()
                await _send_problem(send, exc, request_id)
            else:
                line.write()
                problem, _ = problem_for(exc)
                frame = b"data: " + json.dumps(error_body(problem)).encode() + b"\n\n"
                await writer.write(frame, metadata=line.metadata, end=True)
        group.cancel_scope.cancel()


async def _relay(
    events: EventStream,
    encoder: ChatStreamEncoder,
    writer: _StreamWriter,
    usage: bool,
    line: _Line,
) -> None:
    while True:
        try:
            batch = await events.receive_batch()
        except StopAsyncIteration:
            raise ProtocolError("the stream ended without a finish") from None
        line.see(batch)
        data = b"".join(
            [encoder.encode(event) for event in batch if usage or type(event) is not Usage]
        )
        if any(type(event) is Finish for event in batch):
            await events.aclose()
            line.outcome = "complete"
            line.write()  # bookkeeping first: a client may hang up right after [DONE]
            await writer.write(data, metadata=line.metadata, end=True)
            return
        await writer.write(data, metadata=line.metadata)


async def _whole(events: EventStream, send: Send, request_id: str, line: _Line) -> None:
    try:
        completion: Completion = await collect(events)
    except Error as exc:
        line.outcome = f"error:{exc.kind}"
        line.status = problem_for(exc)[0].status
        line.write()
        await _send_problem(send, exc, request_id)
        return
    line.metadata, line.usage = completion.metadata, completion.usage
    line.outcome = "complete"
    line.write()
    shaped = ChatCompletion.from_completion(completion, created=int(time.time()))
    headers = _provenance(completion.metadata, request_id)
    await send_json(send, 200, shaped.to_dict(), headers=headers)


async def chat_completions(
    provider: Provider,
    request: Request,
    *,
    stream: bool,
    usage: bool,
    receive: Receive,
    send: Send,
    request_id: str,
    settings: Settings,
) -> None:
    """Serve one parsed Chat Completions request from `provider`, watching for the client
    leaving (which cancels the stream and so closes the upstream).

    Raises:
        HTTPProblem: 404 when the provider knows no such model (before any I/O).
    """
    try:
        events = provider.stream(request)
    except ValueError as exc:
        raise HTTPProblem(
            404, str(exc), kind="invalid_request_error", code="model_not_found"
        ) from None
    line = _Line()

    async def handler(watch: Watch) -> None:
        if stream:
            await _stream(events, send, request_id, usage, settings, line)
        else:
            await _whole(events, send, request_id, line)

    async with events:
        watch = await run_watched(receive, handler)
    if watch.client_gone and line.outcome != "complete" and not line.outcome.startswith("error"):
        line.write()
