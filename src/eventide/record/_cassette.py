"""`cassette()`: VCR-style record modes for tests, keyed by the request.

The modes are vcrpy's (its ``record_mode``):

- ``"none"``: replay the records; a request with no record left is a `CassetteMiss`,
  raised before any I/O (the provider is never asked).
- ``"once"``: a cassette with records is ``"none"``; an empty or missing one records.
- ``"new_episodes"``: replay the records; record requests that have none.
- ``"all"``: never replay; record every request, replacing the records of its key.

The same request asked twice takes the records of its key in the order they were written.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, final, get_args

from .._request import as_request
from .._resource import AsyncResource
from ..stages import Staged
from ._format import Record, read_record
from ._key import request_key
from ._recorder import RecordStage, _Target
from ._replay import Timing, _speed, replay_stream

if TYPE_CHECKING:
    from .._request import Request
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from ..providers import Provider

__all__ = ["Cassette", "CassetteMiss", "Mode", "cassette"]

Mode: TypeAlias = Literal["none", "once", "new_episodes", "all"]
_MODES: Final[tuple[str, ...]] = get_args(Mode)
_FILE: Final = re.compile(r"^([0-9a-f]{16})-(\d+)\.jsonl$")


class CassetteMiss(LookupError):
    """A cassette that may not record got a request it has no record for."""


def _excerpt(request: Request) -> str:
    last = request.messages[-1].content if request.messages else ""
    text = last if isinstance(last, str) else "[parts]"
    return text if len(text) <= 60 else text[:57] + "..."


@final
class Cassette(AsyncResource):
    """A provider that replays a directory of records, or records into it (see the module
    docstring for the modes). Make one with `cassette()`."""

    __slots__ = ("_index", "_mode", "_path", "_provider", "_recorder", "_replaced", "_speed")

    def __init__(
        self, provider: Provider, path: str | os.PathLike[str], *, mode: Mode, timing: Timing
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, not {mode!r}")
        self._provider = provider
        self._path = os.fspath(path)
        self._speed = _speed(timing)
        self._index: dict[str, list[Record]] | None = None
        self._replaced: set[str] = set()
        if mode == "once":
            mode = "none" if self._files() else "all"
        self._mode: Mode = mode
        target = _Target(self._path + os.sep)
        self._recorder = Staged(provider, lambda: RecordStage(target, provider.name))

    def __repr__(self) -> str:
        return f"Cassette({self._path!r}, mode={self._mode!r})"

    @property
    def name(self) -> str:
        """The recorded provider's name."""
        return self._provider.name

    @property
    def mode(self) -> Mode:
        """The mode in force (``"once"`` has become ``"none"`` or ``"all"``)."""
        return self._mode

    def _files(self) -> list[tuple[str, int, str]]:
        """``(key prefix, counter, path)`` of every record file, in order."""
        if not os.path.isdir(self._path):
            return []
        found = [
            (m[1], int(m[2]), name) for name in os.listdir(self._path) if (m := _FILE.match(name))
        ]
        return [(key, n, os.path.join(self._path, name)) for key, n, name in sorted(found)]

    def _records(self) -> dict[str, list[Record]]:
        if self._index is None:
            index: dict[str, list[Record]] = {}
            for _, _, path in self._files():
                record = read_record(path)
                index.setdefault(request_key(record.request), []).append(record)
            self._index = index
        return self._index

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The recorded stream of `request`, or the provider's, recorded.

        Raises:
            CassetteMiss: Mode ``"none"`` and no record is left for the request.
            RecordFormatError: A record in the cassette cannot be read.
        """
        request = as_request(request, model=model)
        key = request_key(request)
        if self._mode != "all":
            records = self._records().get(key)
            if records:
                return replay_stream(records.pop(0), self._speed)
            if self._mode == "none":
                raise CassetteMiss(
                    f"cassette {self._path!r} (mode 'none') has no record left for this "
                    f"request (key {key[:16]}, model {request.model!r}, last message "
                    f"{_excerpt(request)!r}): record it with mode='new_episodes' or 'all'"
                )
        elif key not in self._replaced:
            self._replaced.add(key)
            for prefix, _, path in self._files():
                if prefix == key[:16]:
                    os.remove(path)
        return self._recorder.stream(request, timeouts=timeouts)

    async def aclose(self) -> None:
        """Nothing to release: the recorded provider stays the caller's."""


def cassette(
    provider: Provider,
    path: str | os.PathLike[str],
    *,
    mode: Mode = "once",
    timing: Timing = "compressed",
) -> Cassette:
    """A provider that replays the records in directory `path` by request, and records
    what it has none for into it, as `mode` says (vcrpy's record modes).

    Args:
        provider: The provider to record from (never asked in mode ``"none"``).
        path: The cassette: a directory of record files (made when the first is written).
        mode: ``"none"``, ``"once"`` (default), ``"new_episodes"`` or ``"all"``.
        timing: How replays are timed, as for `ReplayProvider`.

    Raises:
        ValueError: An unknown mode or timing.
    """
    return Cassette(provider, path, mode=mode, timing=timing)
