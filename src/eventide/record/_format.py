"""The record format: JSONL, one stream per file.

Line 1, the header:

```text
{"eventide_record": 1, "eventide": "0.1.0", "provider": "openai", "model": "gpt-4o-mini",
 "started": "2026-12-04T23:59:00.000000+00:00", "request": {...}}
```

``request`` is the cattrs form of the `Request` (`eventide._serde`), credentials removed
(`safe_request`). Then one line per event, its cattrs form and ``t``, seconds since the
start:

```json
{"t": 0.1234, "event": {"kind": "text_delta", "text": "Hi"}}
```

Events of one network read share their ``t`` (so a replay gives them as one batch). Last,
for a failed stream, ``{"t": ..., "error": {...}}`` (`eventide.record._errors`), or for a
stream its consumer closed before its end, ``{"t": ..., "abandoned": true}``. A reader of
version N reads every version up to N.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, Final, final

import attrs
import cattrs

from .._events import Event
from .._request import Request
from .._secrets import is_credential
from .._serde import json_line, structure, unstructure
from ._errors import RecordFormatError, error_from_data

if TYPE_CHECKING:
    from .._errors import Error

__all__ = [
    "FORMAT_VERSION",
    "Record",
    "event_lines",
    "header_line",
    "read_record",
    "safe_request",
]

FORMAT_VERSION: Final = 1
"""The version this eventide writes (and the newest it reads)."""

# Names of body fields that hold a credential (``api_key``, ``access_token``...), and not
# those that merely mention one (``max_tokens``).
_SECRET_FIELD: Final = re.compile(
    r"^(api[_-]?key|key|auth|authorization|password|secret|client[_-]?secret|"
    r"(access|refresh|id|auth|bearer)?[_-]?token|cookie|session([_-]?id)?)$",
    re.IGNORECASE,
)


def _scrubbed(value: Any) -> Any:
    """JSON data with every field named like a credential removed, at any depth."""
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items() if not _SECRET_FIELD.match(str(k))}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def safe_request(request: Request) -> dict[str, Any]:
    """The cattrs form of `request`, every credential removed: headers and query
    parameters named like one (``authorization``, ``x-api-key``, ...), and body fields
    (``extra``, ``openai_params``) named like one, at any depth."""
    data = unstructure(request)
    data["headers"] = {k: v for k, v in request.headers.items() if not is_credential(k)}
    data["query"] = {k: v for k, v in request.query.items() if not is_credential(k)}
    data["extra"] = _scrubbed(data["extra"])
    data["openai_params"] = _scrubbed(data["openai_params"])
    return data


def header_line(
    request: Request, *, provider: str, model: str | None, started: str, version: str
) -> bytes:
    """The header line of a record."""
    return json_line(
        {
            "eventide_record": FORMAT_VERSION,
            "eventide": version,
            "provider": provider,
            "model": model,
            "started": started,
            "request": safe_request(request),
        }
    )


# One encoder, made once: `json.dumps` with options makes a new one per call (most of its
# cost on a short event). Its output is `eventide._serde.dumps`'s.
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def event_lines(events: list[Event], offset: float) -> bytes:
    """The lines of one network read's events (as `json_line` writes them)."""
    head = '{"t":%r,"event":' % round(offset, 6)  # noqa: UP031 - the float's repr is its JSON
    text = "".join([f"{head}{_ENCODE(unstructure(event))}}}\n" for event in events])
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate: json_line keeps it, escaped
        t = round(offset, 6)
        return b"".join(json_line({"t": t, "event": unstructure(event)}) for event in events)


@final
@attrs.frozen
class Record:
    """One recorded stream, as read back.

    Attributes:
        request: The request (credentials were never written).
        provider: The provider that was asked.
        model: The requested model, if the request named one.
        started: When the stream started (ISO 8601, UTC).
        batches: The events, one ``(t, events)`` pair per network read, ``t`` in seconds
            since the start.
        error: The error data of a failed stream, else None (`failure()` makes the error).
        error_at: When the stream failed or was abandoned (seconds since the start).
        abandoned: Whether the consumer closed the stream before its end.
        version: The format version it was written in.
        eventide: The eventide version that wrote it.
        path: The file it was read from, if any.
    """

    request: Request
    provider: str
    model: str | None
    started: str
    batches: tuple[tuple[float, tuple[Event, ...]], ...]
    error: dict[str, Any] | None = attrs.field(default=None, hash=False)
    error_at: float = 0.0
    abandoned: bool = False
    version: int = FORMAT_VERSION
    eventide: str = ""
    path: str | None = None

    @property
    def events(self) -> list[Event]:
        """Every recorded event, in order."""
        return [event for _, events in self.batches for event in events]

    def failure(self) -> Error | None:
        """A new typed error like the one the stream failed with, or None."""
        return None if self.error is None else error_from_data(self.error)


def _reason(exc: Exception) -> str:
    """What is wrong with a line, in words (cattrs: each field's problem and path)."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, path="line"))
    return str(exc) or type(exc).__name__


@final
class _Reader:
    """Builds a `Record` from its lines, naming the line of any fault."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.header: dict[str, Any] | None = None
        self.batches: list[tuple[float, list[Event]]] = []
        self.error: dict[str, Any] | None = None
        self.error_at = 0.0
        self.abandoned = False
        self.ended_at: int | None = None  # the line of the error or abandoned line

    def fail(self, message: str, line: int | None = None) -> RecordFormatError:
        return RecordFormatError(message, path=self.path, line=line)

    def line(self, number: int, raw: bytes) -> None:
        if not raw.endswith(b"\n"):
            raise self.fail("truncated line (no newline at its end): the write was cut", number)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise self.fail(f"corrupted line, not JSON: {exc}", number) from None
        if not isinstance(data, dict):
            raise self.fail("corrupted line, not a JSON object", number)
        if self.header is None:
            self._header(number, data)
            return
        if self.ended_at is not None:
            raise self.fail(f"a line after the end of the stream (line {self.ended_at})", number)
        t = data.get("t")
        if not isinstance(t, int | float) or isinstance(t, bool):
            raise self.fail("corrupted line: no time offset 't'", number)
        try:
            self._body(data, float(t))
        except Exception as exc:  # cattrs raises groups of any error a field may give
            raise self.fail(f"corrupted line: {_reason(exc)}", number) from None
        if self.error is not None or self.abandoned:
            self.ended_at = number

    def _header(self, number: int, data: dict[str, Any]) -> None:
        version = data.get("eventide_record")
        if not isinstance(version, int) or isinstance(version, bool):
            raise self.fail("not an eventide record (no 'eventide_record' header)", number)
        if version > FORMAT_VERSION:
            raise self.fail(
                f"record format {version} is newer than this eventide reads "
                f"({FORMAT_VERSION}): upgrade eventide",
                number,
            )
        try:
            structure(data["request"], Request)
            str(data["provider"])
        except Exception as exc:
            raise self.fail(f"corrupted header: {_reason(exc)}", number) from None
        self.header = data

    def _body(self, data: dict[str, Any], t: float) -> None:
        if "event" in data:
            event: Event = structure(data["event"], Event)  # type: ignore[arg-type]
            if self.batches and self.batches[-1][0] == t:
                self.batches[-1][1].append(event)
            else:
                self.batches.append((t, [event]))
        elif "error" in data:
            error_from_data(data["error"])  # checked now, not at replay
            self.error, self.error_at = data["error"], t
        elif data.get("abandoned") is True:
            self.abandoned, self.error_at = True, t
        else:
            raise ValueError("neither an event, an error nor 'abandoned'")

    def record(self) -> Record:
        header = self.header
        if header is None:
            raise self.fail("empty file: no record header")
        return Record(
            request=structure(header["request"], Request),
            provider=str(header["provider"]),
            model=header.get("model"),
            started=str(header.get("started", "")),
            batches=tuple((t, tuple(events)) for t, events in self.batches),
            error=self.error,
            error_at=self.error_at,
            abandoned=self.abandoned,
            version=header["eventide_record"],
            eventide=str(header.get("eventide", "")),
            path=self.path,
        )


def read_record(path: str | os.PathLike[str]) -> Record:
    """Read the record at `path`.

    Raises:
        RecordFormatError: A line is truncated or corrupted (the message names the file
            and the line), the file is empty, or its format is newer than this eventide.
        OSError: The file cannot be read.
    """
    name = os.fspath(path)
    reader = _Reader(name)
    with open(name, "rb") as file:
        for number, raw in enumerate(file, 1):
            reader.line(number, raw)
    return reader.record()
