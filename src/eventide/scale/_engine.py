"""`dask_records` and `ray_records`: run batch rows on a cluster from this process and get
their records back as they finish, for a caller that writes one file (``eventide batch
--engine dask|ray``).

On Ray, the rows go through `RayBatchRunner` in an actor pool of `workers`, each row and
record carried as one JSON string (so that no value changes shape in Arrow), and the records
come back batch by batch as Ray Data streams them.

On Dask: each task runs one partition through its worker's reused client (a sliding window, as
`run_partition`) and returns the partition's records; each record is also logged as a worker
event on a topic the caller subscribes to, so the caller sees it at once. The events are a best
effort (fire and forget): a task's returned records are the complete account, and a record
published and returned is given once. A worker lost mid-partition makes Dask run the partition
again elsewhere; its records already given are not given twice.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import uuid
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Unpack

from .._errors import ConfigurationError, TransportError
from ._clients import client_for
from ._partition import prepare, run_requests, split_rows
from ._ray import RECORD_COLUMNS, RayBatchRunner

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._partition import Options

__all__ = ["JsonRayRunner", "dask_records", "missing_extra", "ray_records", "run_rows"]

_POLL = 0.2  # seconds between looks at the finished tasks while records are published
_REACH = 5.0  # seconds to open a TCP connection to a cluster's address before giving up


def missing_extra(engine: str) -> str | None:
    """What to install for `engine` (``"dask"`` or ``"ray"``), or None when it is there."""
    module = "distributed" if engine == "dask" else "ray"
    try:
        __import__(module)
    except ImportError:
        return f"--engine {engine} needs the {engine} extra: pip install 'eventide[{engine}]'"
    return None


def run_rows(
    rows: list[dict[str, Any]], *, topic: str | None = None, **options: Unpack[Options]
) -> list[dict[str, Any]]:
    """Run `rows` through this worker's client (a Dask task) and return their records, each
    also logged as an event on `topic` as it finishes (when given)."""
    from distributed import get_worker

    config, max_concurrency, errors = prepare(options)
    requests, _ = split_rows(config, rows)
    client = client_for(config)
    worker = get_worker() if topic is not None else None
    records: list[dict[str, Any]] = []

    def put(record: dict[str, Any]) -> None:
        records.append(record)
        if worker is not None and topic is not None:
            worker.log_event(topic, record)  # thread-safe: handed to the worker's loop

    client._call(
        lambda: run_requests(
            client._async, config, requests, put, max_concurrency=max_concurrency, errors=errors
        )
    )
    return records


def _chunks(rows: list[dict[str, Any]], count: int) -> list[list[dict[str, Any]]]:
    size = -(-len(rows) // count) if rows else 1
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def dask_records(
    rows: list[dict[str, Any]],
    *,
    address: str | None = None,
    workers: int = 2,
    partitions: int | None = None,
    **options: Unpack[Options],
) -> Iterator[dict[str, Any]]:
    """The records of `rows`, run on a Dask cluster, as they finish (each id once).

    Args:
        rows: Batch rows, each with a unique ``id``.
        address: An existing scheduler's address; None: a local cluster of `workers`
            processes (one thread each), closed at the end.
        workers: The local cluster's worker processes.
        partitions: Tasks to split `rows` into (default: two per worker).
        **options: See `Options`.

    Raises:
        eventide.ConfigurationError: The ``dask`` extra is missing.
        eventide.TransportError: The scheduler at `address` cannot be reached.
        eventide.Error: What a task raised (``errors="raise"``, no provider configured, ...).
    """
    missing = missing_extra("dask")
    if missing is not None:
        raise ConfigurationError(missing)
    prepare(options)  # a bad option fails here, not in every task
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if address is None:
            cluster = stack.enter_context(
                LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        else:
            try:
                client = Client(address, timeout="5s")  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError) as exc:
                raise TransportError(
                    f"cannot reach the Dask scheduler at {address}: {exc}"
                ) from None
            stack.enter_context(client)
            workers = max(1, len(client.nthreads()))  # type: ignore[no-untyped-call]
        topic = f"eventide-batch-{uuid.uuid4().hex}"
        events: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        client.subscribe_topic(topic, lambda event: events.put(event[1]))
        stack.callback(client.unsubscribe_topic, topic)
        chunks = _chunks(rows, partitions or 2 * workers)
        futures = [
            client.submit(run_rows, chunk, topic=topic, pure=False, **options) for chunk in chunks
        ]
        stack.callback(client.cancel, futures)
        yield from _gather(futures, events)


def _gather(
    futures: list[Any], events: queue.SimpleQueue[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The records of `events` (as tasks log them) and of `futures`, each id once."""
    given: set[Any] = set()
    pending = list(futures)
    while pending:
        try:
            record: dict[str, Any] | None = events.get(timeout=_POLL)
        except queue.Empty:
            record = None
        found = [record] if record is not None else []
        running = []
        for future in pending:
            if future.done():
                found.extend(future.result())
            else:
                running.append(future)
        pending = running
        for record in found:
            if record["id"] not in given:
                given.add(record["id"])
                yield record


class JsonRayRunner:
    """`RayBatchRunner` over a ``row`` column of JSON texts, giving a ``record`` column of
    JSON texts (for `ray_records`)."""

    def __init__(self, **options: Unpack[Options]) -> None:
        self._runner = RayBatchRunner(**options)

    def __call__(self, batch: Any) -> dict[str, list[str]]:
        """The records of `batch`'s rows, as JSON texts."""
        rows = [json.loads(text) for text in batch["row"]]
        names = {name for row in rows for name in row}
        columns = self._runner({name: [row.get(name) for row in rows] for name in names})
        count = len(columns["id"])
        return {
            "record": [
                json.dumps({name: columns[name][i] for name in RECORD_COLUMNS})
                for i in range(count)
            ]
        }


def _probe(address: str) -> None:
    """Fail at once when a ``host:port`` (or ``ray://host:port``) address takes no TCP
    connection: ``ray.init`` would retry for minutes (20 attempts of 5 s connects and 1 s
    sleeps) before saying so. Other addresses (``auto``, ``local``) are Ray's to resolve.

    Raises:
        TransportError: Nothing accepts a connection at `address`.
    """
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=_REACH).close()
    except OSError as exc:
        raise TransportError(f"cannot reach the Ray cluster at {address}: {exc}") from None


def ray_records(
    rows: list[dict[str, Any]],
    *,
    address: str | None = None,
    workers: int = 2,
    **options: Unpack[Options],
) -> Iterator[dict[str, Any]]:
    """The records of `rows`, run by an actor pool of `workers` on Ray, as they finish.

    Args:
        rows: Batch rows, each with a unique ``id``.
        address: An existing Ray cluster's address; None: Ray in this process, with `workers`
            CPUs, shut down at the end (unless Ray was already running here).
        workers: The actors of the pool.
        **options: See `Options`.

    Raises:
        eventide.ConfigurationError: The ``ray`` extra is missing.
        eventide.TransportError: The cluster at `address` cannot be reached.
        eventide.Error: What an actor raised.
    """
    missing = missing_extra("ray")
    if missing is not None:
        raise ConfigurationError(missing)
    _, max_concurrency, _ = prepare(options)
    import ray
    import ray.data

    if address is not None:
        _probe(address)
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(
                address=address,
                num_cpus=workers if address is None else None,
                include_dashboard=False,
                log_to_driver=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise TransportError(f"cannot reach the Ray cluster at {address}: {exc}") from None
    try:
        dataset = ray.data.from_items([{"row": json.dumps(row)} for row in rows])
        records = dataset.map_batches(
            JsonRayRunner,
            fn_constructor_kwargs=dict(options),
            compute=ray.data.ActorPoolStrategy(size=workers),
            batch_size=4 * max_concurrency,
            num_cpus=1,
        )
        for batch in records.iter_batches(batch_size=None, batch_format="numpy"):
            for text in batch["record"]:
                yield json.loads(str(text))
    finally:
        if started:
            ray.shutdown()
