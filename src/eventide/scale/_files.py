"""A run's directory: one ``part-<key>.jsonl`` of rows per partition, beside its header
``part-<key>.run.json``.

A partition's key is a digest of its row ids, so the same partitioning of the same input
finds the same files on a re-run (keep the partition count to resume). The header is written
(atomically: a temporary file, then a rename) before the first row; a re-run whose header
differs is refused before any request, with what differs.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

from .._errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["RunMismatchError", "check_header", "check_run", "partition_paths", "read_rows"]


@final
class RunMismatchError(ConfigurationError):
    """A run would resume into files written by a different run configuration."""


def partition_paths(out_dir: str | os.PathLike[str], ids: Iterable[Any]) -> tuple[Path, Path]:
    """The rows file and header file of the partition holding `ids` (made: the directory)."""
    digest = hashlib.sha256(
        json.dumps(list(ids), separators=(",", ":"), default=repr).encode()
    ).hexdigest()[:20]
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"part-{digest}.jsonl", directory / f"part-{digest}.run.json"


def check_header(path: Path, header: dict[str, Any]) -> None:
    """Write `header` at `path`, or check that the one there is the same.

    Raises:
        RunMismatchError: The header there differs (it says which fields).
    """
    try:
        existing = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(header, sort_keys=True) + "\n", "utf-8")
        os.replace(temporary, path)
        return
    except ValueError:
        existing = {}
    _refuse_other(path, existing, header, ())


def _refuse_other(
    path: Path, existing: dict[str, Any], header: dict[str, Any], ignored: tuple[str, ...]
) -> None:
    fields = sorted(
        key
        for key in header.keys() | existing.keys()
        if key not in ignored and existing.get(key) != header.get(key)
    )
    if fields:
        shown = ", ".join(
            f"{key}: {existing.get(key)!r} there, {header.get(key)!r} now" for key in fields
        )
        raise RunMismatchError(
            f"{path.parent} holds the rows of a different run ({shown}); "
            "write to a new out_dir, or run with the same configuration to resume"
        )


def check_run(out_dir: str | os.PathLike[str], header: dict[str, Any]) -> None:
    """Check that every header in `out_dir` is `header`, prompts aside (each file has its own).

    Raises:
        RunMismatchError: One differs (it says which fields).
    """
    for path in sorted(Path(out_dir).glob("part-*.run.json")):
        try:
            existing = json.loads(path.read_text("utf-8"))
        except ValueError:
            existing = {}
        _refuse_other(path, existing, header, ("prompts",))


def read_rows(out_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every row of a run's directory, partition file by partition file (a torn last line, left
    by a worker killed mid-write, is skipped: its request runs again on resume)."""
    for path in sorted(Path(out_dir).glob("part-*.jsonl")):
        with path.open("rb") as rows:
            for raw in rows:
                if raw.endswith(b"\n") and not raw.isspace():
                    yield json.loads(raw)
