"""`RayBatchRunner`: a callable class for Ray Data's ``Dataset.map_batches``, one client per
actor, returning ``eventide batch`` records (plus ``attempts`` and ``worker``).

It imports nothing of Ray: Ray hands it a batch (a dict of columns, numpy arrays or lists,
or a pandas DataFrame) and takes back a dict of columns. With `out_dir`, each batch's records
are also appended to a file of their own in eventide's run directory (`read_rows` reads it);
a new actor reads the rows already there, and a row whose id is there is not run again: its
record is returned as it was written. So re-running the pipeline resumes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Unpack, final

from ._clients import client_for
from ._files import check_run, read_rows
from ._partition import (
    bad_record,
    prepare,
    run_requests,
    split_rows,
    worker_name,
    write_partition,
)

if TYPE_CHECKING:
    import os

    from ._partition import Options

__all__ = ["RECORD_COLUMNS", "RayBatchRunner"]

RECORD_COLUMNS: Final = (
    "id",
    "provider",
    "model",
    "text",
    "reasoning",
    "tool_calls",
    "usage",
    "finish_reason",
    "timing",
    "error",
    "attempts",
    "worker",
)
"""The columns of the batches a `RayBatchRunner` returns: the batch record's keys, in order."""


def _plain(value: Any) -> Any:
    """A batch value as plain Python: numpy arrays and scalars unwrapped, NaN as None."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def batch_rows(batch: Any) -> list[dict[str, Any]]:
    """The rows of a Ray batch (a mapping of columns, or a DataFrame); a null cell (a column
    another row has) is left out of the row.

    Raises:
        TypeError: Not a mapping of columns or a DataFrame.
    """
    if isinstance(batch, Mapping):
        columns = {str(name): _plain(values) for name, values in batch.items()}
    elif hasattr(batch, "columns") and hasattr(batch, "__getitem__"):
        columns = {str(name): _plain(batch[name]) for name in batch.columns}
    else:
        raise TypeError(
            f"a batch is a mapping of columns or a DataFrame, not {type(batch).__name__}"
        )
    length = len(next(iter(columns.values()), []))
    return [
        {name: values[i] for name, values in columns.items() if values[i] is not None}
        for i in range(length)
    ]


@final
class RayBatchRunner:
    """Run each batch's rows through this actor's client; use it with an actor pool:

    ```python title="Not run: needs the ray extra (tests/scale_ray runs RayBatchRunner, in CI)"
    import ray.data

    from eventide.scale import RayBatchRunner

    dataset = ray.data.read_json("prompts.jsonl")  # rows with "id" and "prompt"
    records = dataset.map_batches(
        RayBatchRunner,
        fn_constructor_kwargs={"provider": "openai", "model": "gpt-4o-mini"},
        compute=ray.data.ActorPoolStrategy(size=4),
        batch_size=64,
    )
    ```

    Its options are `run_partition`'s (`Options`; ``out_dir`` optional here): a sliding window of
    `max_concurrency` requests per actor, retryable failures retried honouring
    ``Retry-After``, errors as rows (or raised, ``errors="raise"``). Returned columns:
    `RECORD_COLUMNS`, one row per input row (a malformed row's record has id None).

    Raises:
        RunMismatchError: `out_dir` holds rows of another configuration (when constructed).
    """

    def __init__(
        self, *, out_dir: str | os.PathLike[str] | None = None, **options: Unpack[Options]
    ) -> None:
        self._config, self._max_concurrency, self._errors = prepare(options)
        self._out_dir = out_dir
        self._client = client_for(self._config)
        self._done: dict[Any, dict[str, Any]] = {}
        if out_dir is not None:
            check_run(out_dir, self._config.header(self._client.provider.name, ""))
            self._done = {row["id"]: row for row in read_rows(out_dir) if row["id"] is not None}

    def __repr__(self) -> str:
        return f"RayBatchRunner(config={self._config!r})"

    def __call__(self, batch: Any) -> dict[str, list[Any]]:
        """The records of `batch`'s rows, as columns."""
        rows = batch_rows(batch)
        records: list[dict[str, Any]] = []
        if self._out_dir is not None:
            old = [row for row in rows if isinstance(row.get("id"), str | int)]
            records.extend(self._done[row["id"]] for row in old if row["id"] in self._done)
            todo = [row for row in rows if row.get("id") not in self._done]
            out_dir = self._out_dir
            self._client._call(
                lambda: write_partition(
                    self._client._async,
                    self._config,
                    todo,
                    out_dir=out_dir,
                    max_concurrency=self._max_concurrency,
                    errors=self._errors,
                    put=records.append,
                )
            )
        else:
            requests, bad = split_rows(self._config, rows)
            records.extend(bad_record(f"batch: {message}", worker_name()) for message in bad)
            self._client._call(
                lambda: run_requests(
                    self._client._async,
                    self._config,
                    requests,
                    records.append,
                    max_concurrency=self._max_concurrency,
                    errors=self._errors,
                )
            )
        return {name: [record[name] for record in records] for name in RECORD_COLUMNS}
