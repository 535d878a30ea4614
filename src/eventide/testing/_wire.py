"""The scripted server's side of the wire: a reply's bytes, served by an in-memory
transport that records what was sent to it (with every credential redacted)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, final
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio
import anyio.lowlevel
import attrs

from .._errors import TransportError
from .._events import Metadata
from .._secrets import REDACTED, Redactor, is_credential, secret_headers
from .._transport import TransportClosed
from .._transport._memory import MemoryResponse
from ..wire import ChatStreamEncoder
from ._reply import Disconnect, StreamError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from .._timeouts import Timeouts
    from .._transport import HTTPRequest
    from ._reply import Reply

__all__ = ["ScriptedTransport", "SentRequest", "render"]

RESET: Final = "connection lost while reading: the scripted server reset the connection"


@final
@attrs.frozen
class SentRequest:
    """One HTTP request as it reached the scripted server, every credential redacted.

    Attributes:
        method: ``"POST"``.
        url: The URL (a credential in its query string redacted).
        headers: The headers, by lower-case name; a credential's value (``authorization``,
            ``x-api-key``, ``x-goog-api-key``, ...) is ``"[redacted]"``.
        body: The body bytes (any secret in them redacted).
    """

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body, decoded from JSON."""
        return json.loads(self.body)


def sent_request(request: HTTPRequest) -> SentRequest:
    """`request` with its credentials redacted, by header name and wherever their values
    appear in the URL and the body."""
    headers = {name.lower(): value for name, value in request.headers}
    redactor = Redactor(secret_headers(headers))
    parts = urlsplit(request.url)
    query = [
        (name, REDACTED if is_credential(name) else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    url = redactor.text(parts._replace(query=urlencode(query, safe="[]")).geturl())
    body = redactor.text(request.body.decode("utf-8", "replace")).encode()
    shown = {name: REDACTED if is_credential(name) else value for name, value in headers.items()}
    return SentRequest(request.method, url, shown, body)


def render(reply: Reply, requested_model: str) -> list[bytes]:
    """The body of `reply`, in network reads, up to its failure (if any)."""
    after = reply.fail.after if reply.fail is not None else None
    if reply.script is None:
        frames = list(reply.frames)
    else:
        encoder = ChatStreamEncoder()
        metadata, *rest = reply.script
        assert type(metadata) is Metadata  # checked_script puts it first
        model = metadata.model or requested_model
        frames = [encoder.encode(attrs.evolve(metadata, model=model))]
        frames += [encoder.encode(event) for event in rest]
        after = None if after is None else after + 1  # Metadata's frame comes first
    if after is not None:
        frames = frames[:after]
    if isinstance(reply.fail, StreamError):
        fail = reply.fail
        error = {"message": fail.message, "type": fail.type, "code": fail.code}
        frames.append(b"data: " + json.dumps({"error": error}).encode() + b"\n\n")
    size = reply.chunk_size
    if size is not None:
        body = b"".join(frames)
        frames = [body[i : i + size] for i in range(0, len(body), size)]
    return [frame for frame in frames if frame]


async def _body(frames: list[bytes], delay: float, disconnect: bool) -> AsyncIterator[bytes]:
    for frame in frames:
        await anyio.sleep(delay)  # a checkpoint per read, as a socket's
        yield frame
    if disconnect:
        raise TransportError(RESET)


@final
class ScriptedTransport:
    """A `Transport` that answers its one request with `reply`, and hands what was sent
    (redacted) to `record`.

    Args:
        reply: The response.
        record: Receives the request as sent.
        closed: Whether the scripted provider has been closed (then nothing is sent).
    """

    __slots__ = ("_closed", "_record", "_reply")

    def __init__(
        self, reply: Reply, *, record: Callable[[SentRequest], None], closed: Callable[[], bool]
    ) -> None:
        self._reply = reply
        self._record = record
        self._closed = closed

    async def open(self, request: HTTPRequest, timeouts: Timeouts) -> MemoryResponse:
        """Record `request` and answer it (see `Transport.open`)."""
        if self._closed():
            raise TransportClosed("the provider has been closed: make a new one to send again")
        await anyio.lowlevel.checkpoint()
        sent = sent_request(request)
        self._record(sent)
        reply = self._reply
        if reply.latency:
            await anyio.sleep(reply.latency)
        model = ""
        if reply.script is not None:
            model = str(sent.json.get("model") or "")
        frames = render(reply, model)
        body = _body(frames, reply.delay, isinstance(reply.fail, Disconnect))
        return MemoryResponse(reply.status, reply.headers, body)

    async def aclose(self) -> None:
        """Nothing to release: the scripted provider owns the replies."""
