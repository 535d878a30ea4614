"""``eventide replay RECORD``, and the recording behind ``chat --record`` and
``batch --record-dir``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TextIO, final

import trio

from .._resource import AsyncResource
from ..record import RecordFormatError, ReplayProvider, read_record, record
from ._chat import run_chat

if TYPE_CHECKING:
    import argparse

    from .._request import Request
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from ..providers import Provider

__all__ = ["Recording", "recording", "run_replay"]


@final
class Recording(AsyncResource):
    """`provider`, every stream recorded to `path` (a file, or a directory ending in a
    separator), closed with it: the command owns both."""

    __slots__ = ("_inner", "_staged")

    def __init__(self, provider: Provider, path: str) -> None:
        self._inner = provider
        self._staged = record(provider, path)

    @property
    def name(self) -> str:
        """The recorded provider's name."""
        return self._inner.name

    @property
    def model(self) -> Any:
        """The recorded provider's default model, if it has one."""
        return getattr(self._inner, "model", None)

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The provider's stream, recorded."""
        return self._staged.stream(request, model=model, timeouts=timeouts)

    async def aclose(self) -> None:
        """Close the recorded provider."""
        await self._inner.aclose()


def recording(provider: Provider, path: str | None, *, directory: bool = False) -> Provider:
    """`provider`, recorded to `path` when one is given."""
    if not path:
        return provider
    return Recording(provider, os.path.join(path, "") if directory else path)


def run_replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print a record as ``eventide chat`` printed its stream (``--json``: the same JSON
    event lines); return the exit status.

    Raises:
        Error: The recorded stream failed (after its events are printed), as chat's does.
    """
    try:
        recorded = read_record(args.record)
    except (RecordFormatError, OSError) as exc:
        print(f"eventide: error: {exc}", file=err)
        return 1
    provider = ReplayProvider(recorded, timing=args.timing)
    return trio.run(run_chat, args, out, err, provider, recorded.request)
