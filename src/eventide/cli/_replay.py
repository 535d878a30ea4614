"""``eventide replay RECORD``, and the recording behind ``chat --record`` and
``batch --record-dir``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TextIO

import trio

from ..record import RecordFormatError, ReplayProvider, read_record, record
from ._arguments import hide_keys
from ._chat import run_chat

if TYPE_CHECKING:
    import argparse

    from ..providers import Provider

__all__ = ["recording", "run_replay"]


def recording(provider: Provider, path: str | None, *, directory: bool = False) -> Provider:
    """`provider`, recorded to `path` (a file, or with `directory` a directory) when one is
    given, and closed with it: the command owns both."""
    if not path:
        return provider
    return record(provider, os.path.join(path, "") if directory else path, owned=True)


def run_replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print a record as ``eventide chat`` printed its stream (``--json``: the same JSON
    event lines); return the exit status.

    Raises:
        Error: The recorded stream failed (after its events are printed), as chat's does.
    """
    try:
        recorded = read_record(args.record)
    except (RecordFormatError, OSError) as exc:
        print(f"eventide: error: {hide_keys(str(exc), [args.record], names=True)}", file=err)
        return 1
    provider = ReplayProvider(recorded, timing=args.timing)
    return trio.run(run_chat, args, out, err, provider, recorded.request)
