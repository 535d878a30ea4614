"""The wire cassette: raw response bodies with their chunk boundaries, for decoder tests.

`WireRecorder` wraps a `Transport` and writes each exchange as JSONL, a chunk per line,
flushed as it arrives:

```text
{"eventide_wire": 1, "method": "POST", "url": "...", "status": 200, "headers": {...}}
{"chunk": "<base64 of one network read>"}
{"end": "complete"}          # or {"end": "closed"}, or {"error": {...}}
```

A request that failed before its response (refused connection, timeout) has ``"status":
null`` and its error line.

Credential headers (request and response) and credential query parameters are left out.
`WireCassette` is a `Transport` that answers request N with exchange N, chunk for chunk,
then raises the recorded transport error, if any.
"""

from __future__ import annotations

import base64
import json
import os
from typing import TYPE_CHECKING, Any, BinaryIO, Final, final
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio.lowlevel

from .._errors import Error
from .._resource import AsyncResource
from .._secrets import is_credential
from .._serde import json_line
from .._transport import TransportClosed
from .._transport._memory import MemoryResponse
from ._errors import RecordFormatError, error_data, error_from_data

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from .._timeouts import Timeouts
    from .._transport import HTTPRequest, Response, Transport

__all__ = ["WireCassette", "WireExchange", "WireRecorder", "read_wire"]

WIRE_VERSION: Final = 1


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_credential(k)
    ]
    return parts._replace(query=urlencode(query)).geturl()


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if not is_credential(k)}


@final
class _RecordingResponse:
    """A response whose chunks are written to the cassette as they are read."""

    __slots__ = ("_file", "_inner", "_iter", "_open")

    def __init__(self, inner: Response, file: BinaryIO) -> None:
        self._inner = inner
        self._file = file
        self._iter = inner.chunks
        self._open = True

    @property
    def status(self) -> int:
        return self._inner.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._inner.headers

    @property
    def complete(self) -> bool:
        return self._inner.complete

    @property
    def chunks(self) -> _RecordingResponse:
        return self

    def __aiter__(self) -> _RecordingResponse:
        return self

    def _line(self, data: dict[str, Any]) -> None:
        if self._open:
            self._file.write(json_line(data))
            self._file.flush()

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._iter.__anext__()
        except StopAsyncIteration:
            self._line({"end": "complete"})
            self._open = False
            raise
        except Error as exc:
            self._line({"error": error_data(exc)})
            self._open = False
            raise
        self._line({"chunk": base64.b64encode(chunk).decode("ascii")})
        return chunk

    async def aclose(self) -> None:
        self._line({"end": "closed"})
        self._open = False
        await self._inner.aclose()


@final
class WireRecorder(AsyncResource):
    """A `Transport` that sends through `transport` and appends each exchange to the wire
    cassette at `path` (created, or truncated, on the first request).

    Args:
        transport: The transport to send through (left open by `aclose`).
        path: The cassette file.
    """

    __slots__ = ("_file", "_path", "_transport")

    def __init__(self, transport: Transport, path: str | os.PathLike[str]) -> None:
        self._transport = transport
        self._path = os.fspath(path)
        self._file: BinaryIO | None = None

    async def open(self, request: HTTPRequest, timeouts: Timeouts) -> Response:
        """Send `request` through the wrapped transport, recording the response (or the
        error that kept it from coming: replayed as the same error)."""
        if self._file is None:
            self._file = open(self._path, "wb")  # noqa: ASYNC230, SIM115 - small local writes; aclose closes it
        file = self._file
        head: dict[str, Any] = {
            "eventide_wire": WIRE_VERSION,
            "method": request.method,
            "url": _safe_url(request.url),
        }
        try:
            response = await self._transport.open(request, timeouts)
        except Error as exc:
            file.write(json_line({**head, "status": None, "headers": {}}))
            file.write(json_line({"error": error_data(exc)}))
            file.flush()
            raise
        head["status"] = response.status
        head["headers"] = _safe_headers(response.headers)
        file.write(json_line(head))
        file.flush()
        return _RecordingResponse(response, file)

    async def aclose(self) -> None:
        """Close the cassette file (the wrapped transport stays the caller's)."""
        file, self._file = self._file, None
        if file is not None:
            file.close()


@final
class WireExchange:
    """One recorded response: status, headers, chunks and how it ended."""

    __slots__ = ("chunks", "end", "error", "headers", "method", "status", "url")

    def __init__(self, head: dict[str, Any]) -> None:
        self.method = str(head["method"])
        self.url = str(head["url"])
        self.status: int | None = None if head["status"] is None else int(head["status"])
        self.headers: dict[str, str] = {str(k): str(v) for k, v in dict(head["headers"]).items()}
        self.chunks: list[bytes] = []
        self.end: str | None = None
        self.error: dict[str, Any] | None = None


def read_wire(path: str | os.PathLike[str]) -> list[WireExchange]:
    """The exchanges of the wire cassette at `path`.

    Raises:
        RecordFormatError: A line is truncated or corrupted (naming the file and line).
    """
    name = os.fspath(path)
    exchanges: list[WireExchange] = []
    with open(name, "rb") as file:
        for number, raw in enumerate(file, 1):
            try:
                if not raw.endswith(b"\n"):
                    raise ValueError("truncated line (no newline at its end)")
                data = json.loads(raw)
                if "eventide_wire" in data:
                    if data["eventide_wire"] > WIRE_VERSION:
                        raise ValueError(f"wire format {data['eventide_wire']} is too new")
                    exchanges.append(WireExchange(data))
                elif not exchanges:
                    raise ValueError("a line before the first exchange's head")
                elif "chunk" in data:
                    exchanges[-1].chunks.append(base64.b64decode(data["chunk"], validate=True))
                elif "error" in data:
                    error_from_data(data["error"])
                    exchanges[-1].error = data["error"]
                else:
                    exchanges[-1].end = str(data["end"])
            except (ValueError, TypeError, KeyError) as exc:
                raise RecordFormatError(f"corrupted line: {exc}", path=name, line=number) from None
    return exchanges


async def _body(exchange: WireExchange) -> AsyncIterator[bytes]:
    for chunk in exchange.chunks:
        await anyio.lowlevel.checkpoint()
        yield chunk
    if exchange.error is not None:
        raise error_from_data(exchange.error)


@final
class WireCassette(AsyncResource):
    """A `Transport` that replays a wire cassette: request N gets exchange N's status,
    headers and body, in the recorded chunks.

    Args:
        path: The cassette file (`WireRecorder` wrote it).

    Raises:
        RecordFormatError: The file cannot be read.
    """

    __slots__ = ("_closed", "_exchanges")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._exchanges = read_wire(path)
        self._closed = False

    @property
    def remaining(self) -> int:
        """How many exchanges are still to be replayed."""
        return len(self._exchanges)

    async def open(self, request: HTTPRequest, timeouts: Timeouts) -> Response:
        """Answer with the next exchange.

        Raises:
            TransportClosed: The cassette was closed, or every exchange has been replayed.
        """
        await anyio.lowlevel.checkpoint()
        if self._closed or not self._exchanges:
            raise TransportClosed("the wire cassette is closed or has no exchange left")
        exchange = self._exchanges.pop(0)
        if exchange.status is None:  # the request failed before a response
            raise error_from_data(exchange.error)
        return MemoryResponse(exchange.status, exchange.headers, _body(exchange))

    async def aclose(self) -> None:
        """Refuse later requests."""
        self._closed = True
