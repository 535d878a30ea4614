"""The batch record file (``eventide batch``'s OUT, and each partition file of
`eventide.scale`): the ids it already holds, and one record per result.

It sits below the CLI, beside the batch runner, so that the library (`eventide.scale`) writes
the records the command writes without depending on the command.

A record is written by the one cattrs converter (a copy of it, with three hooks: a tool call
keeps id, name and arguments; timings are rounded to the microsecond; an error becomes its
kind, message, status, retryability and partial text):

```text
{"id", "provider", "model", "text", "reasoning", "tool_calls": [{"id", "name", "arguments"}],
 "usage": {...} | null, "finish_reason", "timing": {"to_metadata", "to_first_content",
 "total"}, "error": null | {"kind", "message", "status_code", "retryable", "partial_text"}}
```

OUT is opened with ``O_APPEND`` and each record is one ``os.write`` of a complete line, so a
crash or a kill leaves whole lines only; a torn last line is cut off before appending.
Resuming needs OUT to be a regular file: a pipe or a device (``-o /dev/stdout``) is only
written to, never read back, and every request runs.
"""

from __future__ import annotations

import json
import os
import stat
from typing import TYPE_CHECKING, Any, final

import attrs
from cattrs.gen import make_dict_unstructure_fn, override

from .._completion import CompletedToolCall, Timing
from .._errors import Error
from .._serde import converter, json_line

if TYPE_CHECKING:
    from ._batch import BatchResult

__all__ = ["Item", "Resumed", "open_output", "record_of", "write_line"]


@final
@attrs.frozen
class Item:
    """What the output record needs to know about a request in flight."""

    id: Any
    model: str | None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _error(error: Error) -> dict[str, Any]:
    status = getattr(error, "status_code", None)
    return {
        "kind": error.kind,
        "message": error.message,
        "status_code": status if isinstance(status, int) else None,
        "retryable": error.retryable,
        "partial_text": error.partial.text if error.partial is not None else "",
    }


_records = converter.copy()
_records.register_unstructure_hook(
    CompletedToolCall,
    make_dict_unstructure_fn(
        CompletedToolCall, _records, parsed=override(omit=True), arguments_valid=override(omit=True)
    ),
)
_rounded = override(unstruct_hook=_seconds)
_records.register_unstructure_hook(
    Timing,
    make_dict_unstructure_fn(
        Timing, _records, to_metadata=_rounded, to_first_content=_rounded, total=_rounded
    ),
)
_records.register_unstructure_hook(Error, _error)


def record_of(item: Item, result: BatchResult, default_model: str | None) -> dict[str, Any]:
    """The output record of one result (a failure's text and reasoning are null: what did
    arrive is its ``error.partial_text``)."""
    completion, error = result.completion, result.error
    shown = completion if completion is not None else error.partial if error is not None else None
    unstructure = _records.unstructure
    return {
        "id": item.id,
        "provider": result.provider,
        "model": result.model or item.model or default_model,
        "text": completion.text if completion is not None else None,
        "reasoning": completion.reasoning if completion is not None else None,
        "tool_calls": unstructure(completion.tool_calls if completion is not None else ()),
        "usage": unstructure(shown.usage if shown is not None else None),
        "finish_reason": completion.finish_reason if completion is not None else None,
        "timing": unstructure(shown.timing if shown is not None else Timing()),
        "error": unstructure(error),
    }


def write_line(fd: int, record: dict[str, Any]) -> None:
    """Append one record as one line, with one ``os.write`` (O_APPEND: a complete line)."""
    view = memoryview(json_line(record))
    while view:  # a regular file takes it all at once, short of a full disk
        view = view[os.write(fd, view) :]


@final
@attrs.frozen
class Resumed:
    """What OUT already holds: its ids, whether each succeeded, and what was repaired.

    ``regular`` is False for an OUT that is not a regular file (a pipe, a terminal,
    ``/dev/stdout``): it is written to and never read back, so nothing is resumed.
    """

    ok: dict[Any, bool]
    torn_bytes: int = 0
    bad_lines: tuple[int, ...] = ()
    regular: bool = True


def open_output(path: str) -> tuple[int, Resumed]:
    """Open OUT for appending (made if missing); a regular file is read first, for the ids
    it holds, and a torn last line is cut off. Return the file descriptor and what was found.

    Raises:
        OSError: OUT cannot be opened for writing, or (a regular file) read.
    """
    binary = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | binary, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return fd, Resumed({}, regular=False)  # a pipe: reading it back would wait forever
        ok: dict[Any, bool] = {}
        bad: list[int] = []
        end = 0  # offset just past the last complete line
        with open(path, "rb") as existing:
            for number, raw in enumerate(existing, 1):
                if not raw.endswith(b"\n"):
                    break
                end += len(raw)
                if raw.isspace():
                    continue
                try:
                    record = json.loads(raw)
                    item_id = record["id"]
                    ok[item_id] = record.get("error") is None
                except (ValueError, TypeError, KeyError):  # JSON, not an object, no id
                    bad.append(number)
        size = os.fstat(fd).st_size
        if size > end:
            os.ftruncate(fd, end)
        return fd, Resumed(ok, size - end, tuple(bad))
    except BaseException:
        os.close(fd)
        raise
