"""`record()`: a stage that writes each stream it sees to a record file, as it goes."""

from __future__ import annotations

import datetime
import os
import time
from typing import TYPE_CHECKING, BinaryIO, Final, final

from .._serde import json_line
from .._version import __version__
from ..stages import Staged
from ._errors import error_data
from ._format import event_lines, header_line
from ._key import request_key

if TYPE_CHECKING:
    from .._errors import Error
    from .._events import Event
    from .._request import Request
    from ..providers import Provider

__all__ = ["RecordStage", "record"]

_SUFFIX: Final = ".jsonl"


@final
class _Target:
    """Where the streams of one `record()` go: one file, or a directory of files."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.used = False

    def claim(self) -> None:
        """Take the target for one more stream (no I/O).

        Raises:
            ValueError: A file target that has had its stream.
        """
        if self._is_dir():
            return
        if self.used:
            raise ValueError(
                f"record({self.path!r}) records one stream and has recorded one: "
                "give a directory to record every stream"
            )
        self.used = True

    def _is_dir(self) -> bool:
        return self.path.endswith(os.sep) or os.path.isdir(self.path)

    def open(self, request: Request) -> tuple[str, BinaryIO]:
        """A new file for one stream's record (a directory: whether it is one now)."""
        if not self._is_dir():
            return self.path, open(self.path, "wb")
        os.makedirs(self.path, exist_ok=True)
        stem = os.path.join(self.path, request_key(request)[:16])
        counter = 1
        while True:  # exclusive creation: never overwrite a record, even another run's
            name = f"{stem}-{counter}{_SUFFIX}"
            try:
                return name, open(name, "xb")
            except FileExistsError:
                counter += 1


@final
class RecordStage:
    """The `Stage` of one recorded stream: the header with the first line written, then
    each network read's events in one write and flush (a crash loses at most the read in
    hand), then the error or the ``abandoned`` line, and the file is closed. The file is
    made at the first write: a stream that is never read leaves none.

    Writing is synchronous and small (a line per event), in the consumer's task.
    """

    __slots__ = ("_file", "_name", "_provider", "_request", "_start", "_started", "_target")

    def __init__(self, target: _Target, provider: str) -> None:
        self._target = target
        self._provider = provider
        self._file: BinaryIO | None = None
        self._name = ""
        self._request: Request | None = None
        self._start = 0.0
        self._started = ""

    @property
    def path(self) -> str:
        """The file this stream is recorded to ("" until it is opened)."""
        return self._name

    def start(self, request: Request) -> Request:
        self._target.claim()
        self._request = request
        self._start = time.monotonic()
        self._started = datetime.datetime.now(datetime.UTC).isoformat()
        return request

    def _write(self, data: bytes) -> None:
        """Write and flush `data`, after the header when it is the first write (a stream
        that is never read leaves no file)."""
        file = self._file
        if file is None:
            request = self._request
            if request is None:  # ended already
                return
            self._name, file = self._target.open(request)
            self._file = file
            header = header_line(
                request,
                provider=self._provider,
                model=request.model,
                started=self._started,
                version=__version__,
            )
            data = header + data
        file.write(data)
        file.flush()

    def _offset(self) -> float:
        return time.monotonic() - self._start

    def feed(self, events: list[Event]) -> list[Event]:
        self._write(event_lines(events, self._offset()))
        return events

    def end(self) -> list[Event]:
        self._write(b"")  # a stream with no event still leaves its record
        self._close()
        return []

    def fail(self, error: Error) -> Error:
        self._write(json_line({"t": round(self._offset(), 6), "error": error_data(error)}))
        self._close()
        return error

    def close(self) -> None:
        if self._file is not None:  # closed before any event: nothing was received to keep
            self._write(json_line({"t": round(self._offset(), 6), "abandoned": True}))
        self._close()

    def _close(self) -> None:
        self._request = None
        file, self._file = self._file, None
        if file is not None:
            file.close()


def record(
    provider: Provider,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    owned: bool = False,
) -> Staged:
    """`provider`, with every stream it serves written to a record as it streams.

    Args:
        provider: The provider (or router, or staged provider) to record.
        path: A file, for one stream; or a directory (an existing one, or a path ending
            in a separator), for one file per stream named by the request's key and a
            counter (``<key>-1.jsonl``, ``<key>-2.jsonl``, ...). Files are never overwritten
            in a directory; a file path is.
        name: The recorded provider's name (default: `provider`'s).
        owned: Close `provider` when the recording provider is closed (default: it stays
            the caller's).

    Returns:
        A provider (`Staged`): use it where you would use `provider`.

    A stream that fails records its error, one its consumer closes early records
    ``abandoned``. A second stream through a file path raises `StageError`.
    """
    target = _Target(path)
    served = name or provider.name
    return Staged(provider, lambda: RecordStage(target, served), name=name, owned=owned)
