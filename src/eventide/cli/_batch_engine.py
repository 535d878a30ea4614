"""``eventide batch --engine dask|ray``: the same batch on a cluster, one merged OUT.

The requests of IN are read, checked and resumed here exactly as for a local run; they are
then run on the cluster by `eventide.scale` (each worker one reused client, a sliding window
of ``--concurrency`` requests), and every record is appended to OUT here, in this process,
as it comes back. So OUT is one file in the format of a local run, plus each record's
``attempts`` and ``worker``, and resuming works as it does locally: re-running the command
skips the ids OUT holds. The workers need no shared filesystem.

A cluster is local (``--workers`` processes, one thread each) unless ``--address`` names an
existing Dask scheduler (or Ray cluster). The provider travels to the workers by name, with
``--base-url`` and ``--model``; its key comes from the workers' environment (a local cluster
inherits this one's).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from ..providers import configured_provider_name
from ..scale._engine import dask_records, missing_extra, ray_records
from ._input import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

__all__ = ["check_engine", "engine_records"]


def check_engine(args: argparse.Namespace) -> None:
    """Refuse what the chosen engine cannot do, before anything runs.

    Raises:
        ConfigurationError: The engine's extra is not installed.
        UsageError: An option only a local run has.
    """
    if args.engine == "local":
        if args.address is not None:
            raise UsageError("--address is for --engine dask or ray")
        return
    for option, given in (("--ordered", args.ordered), ("--record-dir", args.record_dir)):
        if given:
            raise UsageError(f"{option} is for a local run, not --engine {args.engine}")
    missing = missing_extra(args.engine)
    if missing is not None:
        raise ConfigurationError(missing)


def engine_records(
    args: argparse.Namespace, rows: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The records of `rows`, run on ``args.engine``, as they come back (each id once)."""
    kind = args.provider or ("openai" if args.base_url else None) or configured_provider_name()
    options: dict[str, Any] = {
        "provider": kind or "demo",
        "model": args.model,
        "base_url": args.base_url,
        "max_concurrency": args.concurrency,
    }
    if args.engine == "ray":
        _quiet_ray()
    run = dask_records if args.engine == "dask" else ray_records
    return run(rows, address=args.address, workers=args.workers, **options)


def _quiet_ray() -> None:
    """Keep Ray Data's progress bars and notices off stderr: the progress is this
    command's."""
    import ray.data

    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False
