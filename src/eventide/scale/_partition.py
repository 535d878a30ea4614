"""`run_partition`: one Dask partition of batch rows through this worker's client, into its
own crash-safe JSONL file, resumably.

A row is an ``eventide batch`` input line as a dict (``id``, ``messages`` or ``prompt``,
optionally ``model`` and OpenAI-style parameters); its output row is the ``eventide batch``
record, unchanged, plus ``attempts`` (tries the request took) and ``worker`` (host:pid). The
file is written as ``eventide batch`` writes OUT (`eventide.client._batch_output`): opened with
``O_APPEND``, one ``os.write`` per row, a torn last line cut off, the ids it holds skipped.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import attrs
import trio

from .._errors import BadRequestError
from ..client import AsyncClient, BatchResult
from ..client._batch_output import Item, open_output, record_of, write_line
from ..client._config import DEFAULT_MAX_RETRIES
from ..routing import Retrying
from ._clients import client_for
from ._config import RunConfig, prompt_set_hash
from ._files import check_header, partition_paths
from ._limits import SharedLimits, cluster_workers

if TYPE_CHECKING:
    from ._config import ProviderFactory

__all__ = [
    "Options",
    "bad_record",
    "check_options",
    "prepare",
    "run_partition",
    "run_requests",
    "split_rows",
    "worker_name",
    "write_partition",
]

Errors = Literal["record", "raise"]


def worker_name() -> str:
    """This process, as a row's ``worker``: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def attempts_of(result: BatchResult, max_retries: int | None) -> int:
    """How many tries a result took: the failed attempts its metadata lists, plus the one
    that answered; for a retryable failure, every try the retry policy allows."""
    completion = result.completion or (result.error.partial if result.error else None)
    listed = 0
    if completion is not None and completion.metadata is not None:
        listed = len(completion.metadata.attempts)
    if result.error is not None and result.error.retryable:
        retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
        return max(listed + 1, retries + 1)
    return listed + 1


def _bad_row(row: object, seen: set[Any]) -> str | None:
    """Why `row` names no request that can be resumed, or None."""
    if not isinstance(row, Mapping):
        return f"a row is a dict, not {type(row).__name__}"
    item_id = row.get("id")
    if isinstance(item_id, bool) or not isinstance(item_id, str | int):
        return f"id must be a string or an integer, not {type(item_id).__name__}"
    if item_id in seen:
        return f"duplicate id {item_id!r}"
    seen.add(item_id)
    return None


def bad_record(message: str, worker: str) -> dict[str, Any]:
    """The error row of an input row that names no request (id None, a ``bad_request``)."""
    error = BadRequestError(message)
    record = record_of(Item(None, None), BatchResult(None, 0, error=error), None)
    return {**record, "attempts": 0, "worker": worker}


def split_rows(config: RunConfig, rows: Iterable[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The requests of `rows` (the run's parameters under each row's own), and why each row
    that names no resumable request does not (``offset N: ...``)."""
    requests: list[dict[str, Any]] = []
    bad: list[str] = []
    seen: set[Any] = set()
    for offset, row in enumerate(rows):
        problem = _bad_row(row, seen)
        if problem is None:
            parameters = config.parameters
            # a row as it is when there is nothing to add: no copy of every row in memory
            plain = not parameters and type(row) is dict
            requests.append(row if plain else {**dict(parameters), **row})
        else:
            bad.append(f"offset {offset}: {problem}")
    return requests, bad


async def run_requests(
    client: AsyncClient,
    config: RunConfig,
    requests: list[dict[str, Any]],
    put: Callable[[dict[str, Any]], None],
    *,
    max_concurrency: int,
    errors: Errors,
) -> None:
    """Run `requests` through `client`'s batch (a sliding window of `max_concurrency`) and
    `put` each record as it finishes; with ``errors="raise"``, raise the first failure after
    its record is put."""
    worker = worker_name()
    models = {row["id"]: row["model"] for row in requests if row.get("model")}  # own models
    provider = client.provider  # with limits, the provider is inside a Retrying
    default = getattr(
        provider.provider if isinstance(provider, Retrying) else provider, "model", None
    )
    default = default if isinstance(default, str) else None
    batch = client.batch(requests, max_concurrency=max_concurrency, model=config.model)
    async with batch as results:
        async for result in results:
            model = models.get(result.id, config.model)
            item = Item(result.id, model if isinstance(model, str) else None)
            record = record_of(item, result, default)
            record["attempts"] = attempts_of(result, config.max_retries)
            record["worker"] = worker
            put(record)
            if errors == "raise" and result.error is not None:
                raise result.error


async def write_partition(
    client: AsyncClient,
    config: RunConfig,
    rows: Iterable[Any],
    *,
    out_dir: str | os.PathLike[str],
    max_concurrency: int,
    errors: Errors,
    put: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Run the rows not yet in their partition's file and append their records (also handed
    to `put`); return how many were written (see `run_partition`)."""
    requests, bad = split_rows(config, rows)
    rows_path, header_path = partition_paths(out_dir, [row["id"] for row in requests])
    check_header(header_path, config.header(client.provider.name, prompt_set_hash(requests)))
    fd, resumed = open_output(str(rows_path))
    written = 0

    def write(record: dict[str, Any]) -> None:
        nonlocal written
        write_line(fd, record)
        written += 1
        if put is not None:
            put(record)

    try:
        if None not in resumed.ok:  # a re-run: the bad rows are already there
            worker = worker_name()
            for message in bad:
                write(bad_record(f"{rows_path.name}: {message}", worker))
        todo = [row for row in requests if row["id"] not in resumed.ok]
        await run_requests(
            client, config, todo, write, max_concurrency=max_concurrency, errors=errors
        )
    finally:
        os.close(fd)
    return written


def check_options(max_concurrency: int, errors: str) -> None:
    """Refuse a `max_concurrency` or `errors` that is not one.

    Raises:
        TypeError, ValueError: Not a positive integer, or not ``"record"``/``"raise"``.
    """
    if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
        raise TypeError(f"max_concurrency must be an integer, not {type(max_concurrency).__name__}")
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
    if errors not in ("record", "raise"):
        raise ValueError(f"errors must be 'record' or 'raise', not {errors!r}")


class Options(TypedDict, total=False):
    """The options of `run_partition` and `RayBatchRunner`.

    Attributes:
        provider: A provider name, a factory of a provider or router importable on the workers,
            or None for the environment's.
        model: The model of rows that name none.
        base_url: API root of an OpenAI-compatible server.
        api_key: The key (default: the provider's environment variable on the worker).
        max_retries: Retries of a retryable failure (default: the client's, 2).
        timeout: Seconds per request (default: the client's).
        parameters: OpenAI-style parameters for rows that do not set them.
        max_concurrency: Requests in flight at once in this worker (default 16).
        limits: The run's limits per provider, over all workers (`SharedLimits`; default:
            none but `max_concurrency`).
        errors: ``"record"`` (default): a failure is an error row; ``"raise"``: the first
            failure is raised after its row is written (the engine then fails the task).
    """

    provider: str | ProviderFactory | None
    model: str | None
    base_url: str | None
    api_key: str | None
    max_retries: int | None
    timeout: float | None
    parameters: Mapping[str, Any] | None
    limits: SharedLimits | None
    max_concurrency: int
    errors: Errors


def prepare(options: Options) -> tuple[RunConfig, int, Errors]:
    """The run configuration, window size and error mode `options` give.

    Raises:
        TypeError, ValueError: An unknown option, or a bad value.
    """
    settings: dict[str, Any] = dict(options)
    max_concurrency = settings.pop("max_concurrency", 16)
    errors = settings.pop("errors", "record")
    check_options(max_concurrency, errors)
    return RunConfig(**settings), max_concurrency, errors


def run_partition(
    rows: Iterable[Any], *, out_dir: str | os.PathLike[str], **options: Unpack[Options]
) -> list[int]:
    """Run one partition of batch rows (for ``bag.map_partitions``) and write its records to
    its own file in `out_dir`; return ``[rows written]`` (a one-element partition).

    The worker process's client for this configuration is made once and reused by every
    partition; at most `max_concurrency` requests are in flight, a new one starting as soon as
    one finishes. Retryable failures (429, 5xx, connection errors) are retried first, up to
    `max_retries` times, waiting as ``Retry-After`` says; what still fails is an error row.
    Ids already in the partition's file are skipped, so re-running the job resumes it.

    Args:
        rows: ``eventide batch`` input lines as dicts, each with a unique ``id``.
        out_dir: The run's directory (see `read_rows`); made if missing.
        **options: See `Options`.

    Raises:
        RunMismatchError: `out_dir` holds this partition's rows from another configuration.
        eventide.ConfigurationError: No provider is configured on the worker.
        eventide.Error: The first failure, with ``errors="raise"``.
        TypeError, ValueError: An unknown option, or a bad value.
    """
    config, max_concurrency, errors = prepare(options)
    limits = config.limits
    if limits is not None and limits.backend == "split" and limits.workers is None:
        workers = cluster_workers()
        if workers is not None:  # the cluster's size when this partition runs
            config = attrs.evolve(config, limits=attrs.evolve(limits, workers=workers))
    client = client_for(config)
    written = client._call(
        lambda: write_partition(
            client._async,
            config,
            rows,
            out_dir=out_dir,
            max_concurrency=max_concurrency,
            errors=errors,
        )
    )
    return [written]


def run_partition_fresh(
    rows: Iterable[Any], *, out_dir: str | os.PathLike[str], max_concurrency: int, **options: Any
) -> list[int]:
    """`run_partition` with a new event loop and client for this partition alone (what
    `run_partition` avoids; kept to measure the difference)."""
    config = RunConfig(**options)

    async def run() -> int:
        async with AsyncClient(**config.client_arguments()) as client:
            return await write_partition(
                client,
                config,
                rows,
                out_dir=out_dir,
                max_concurrency=max_concurrency,
                errors="record",
            )

    return [trio.run(run)]
