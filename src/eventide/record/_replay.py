"""`ReplayProvider`: recorded streams, served again through `EventStream`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, final

import anyio
import anyio.lowlevel

from .._errors import ProtocolError
from .._request import as_request
from .._resource import AsyncResource
from .._stream import EventStream
from ._format import Record, read_record

if TYPE_CHECKING:
    from .._events import Event
    from .._request import Request
    from .._timeouts import Timeouts

__all__ = ["RecordLike", "ReplayExhausted", "ReplayProvider", "Timing", "as_records"]

Timing: TypeAlias = Literal["compressed", "preserved"] | float
"""How fast a replay goes: ``"compressed"`` (no waiting), ``"preserved"`` (each network
read when it came), or a speed factor (``2.0``: twice as fast)."""

RecordLike: TypeAlias = Record | str | os.PathLike[str]


class ReplayExhausted(LookupError):
    """A replay provider got a request after its last record was served."""


def as_records(records: RecordLike | Iterable[RecordLike]) -> list[Record]:
    """`records` read: a `Record`, a path, or any iterable of them.

    Raises:
        RecordFormatError: A file is not a readable record.
        TypeError: Something else was given.
    """
    if isinstance(records, Record | str | os.PathLike):
        records = [records]
    if not isinstance(records, Iterable):
        raise TypeError(f"a record, a path or a list of them, not {records!r}")
    out: list[Record] = []
    for item in records:
        if isinstance(item, Record):
            out.append(item)
        elif isinstance(item, str | os.PathLike):
            out.append(read_record(item))
        else:
            raise TypeError(f"a record, a path or a list of them, not {item!r}")
    return out


def _speed(timing: Timing) -> float | None:
    """Seconds of record per second of replay; None: compressed."""
    if timing == "compressed":
        return None
    if timing == "preserved":
        return 1.0
    if isinstance(timing, int | float) and not isinstance(timing, bool) and timing > 0:
        return float(timing)
    raise ValueError(f"timing must be 'compressed', 'preserved' or a speed > 0, not {timing!r}")


@final
class ReplaySource:
    """The `Source` of a replayed stream: a record's batches, its error at the end."""

    __slots__ = ("_batches", "_pos", "_record", "_speed", "_start")

    def __init__(self, record: Record, speed: float | None) -> None:
        self._record = record
        self._speed = speed
        self._batches = record.batches
        self._pos = 0
        self._start: float | None = None

    @property
    def provider(self) -> str:
        return self._record.provider

    @property
    def model(self) -> str:
        return self._record.model or self._record.request.model or ""

    async def open(self) -> None:
        await anyio.lowlevel.checkpoint()
        if self._start is None:
            self._start = anyio.current_time()
        if not self._batches:
            self._raise_end()

    async def _wait_until(self, offset: float) -> None:
        if self._speed is None or self._start is None:
            await anyio.lowlevel.checkpoint()
            return
        delay = self._start + offset / self._speed - anyio.current_time()
        await anyio.sleep(max(delay, 0.0))

    async def receive(self) -> list[Event]:
        if self._start is None:
            await self.open()
        if self._pos < len(self._batches):
            offset, events = self._batches[self._pos]
            self._pos += 1
            await self._wait_until(offset)
            return list(events)
        await self._wait_until(self._record.error_at)
        self._raise_end()
        return []

    def _raise_end(self) -> None:
        record = self._record
        error = record.failure()
        if error is not None:
            raise error
        if record.abandoned:
            raise ProtocolError(
                "the recorded stream was closed by its consumer here, before its end: "
                "there is nothing more to replay",
                provider=record.provider,
            )

    async def aclose(self) -> None:
        self._pos = len(self._batches)

    def abandon(self) -> Any:
        return None


@final
class ReplayProvider(AsyncResource):
    """A provider that serves recorded streams again, one per request, in order, through
    the same `EventStream` a live provider gives: the same events in the same batches,
    then the recorded error (a new instance of the same typed error).

    A record of a stream its consumer closed early replays its events, then raises
    `ProtocolError` (a record has nothing past that point).

    Args:
        records: A record file, a `Record`, or an iterable of them.
        timing: ``"compressed"`` (default: no waiting), ``"preserved"`` (each network read
            at its recorded offset), or a speed factor (``2.0``: twice as fast).
        name: The provider's name (default: the first record's provider).

    Raises:
        RecordFormatError: A file is not a readable record.
        ValueError: No records, or a bad `timing`.
    """

    __slots__ = ("_name", "_records", "_speed")

    def __init__(
        self,
        records: RecordLike | Iterable[RecordLike],
        *,
        timing: Timing = "compressed",
        name: str | None = None,
    ) -> None:
        self._speed = _speed(timing)
        self._records = as_records(records)
        if not self._records:
            raise ValueError("ReplayProvider needs at least one record")
        self._name = name or self._records[0].provider

    def __repr__(self) -> str:
        return f"ReplayProvider(name={self._name!r}, {len(self._records)} records left)"

    @property
    def name(self) -> str:
        """The provider's name."""
        return self._name

    @property
    def remaining(self) -> int:
        """How many records are still to be served."""
        return len(self._records)

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The next record's events; `request` is not compared with the recorded one (a
        `cassette` does that).

        Raises:
            ReplayExhausted: Every record has been served.
        """
        as_request(request, model=model)
        if not self._records:
            raise ReplayExhausted(f"{self._name}: every record has been replayed")
        return replay_stream(self._records.pop(0), self._speed)

    async def aclose(self) -> None:
        """Nothing to release."""


def replay_stream(record: Record, speed: float | None = None) -> EventStream:
    """An `EventStream` of one record (`speed`: see `ReplayProvider`'s timing; None: no
    waiting)."""
    return EventStream(ReplaySource(record, speed))
