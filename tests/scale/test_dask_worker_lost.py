"""A Dask worker process killed mid-partition: Dask runs the partition again on another worker,
which resumes from what the killed one had written. Every id ends up exactly once, with the
rows of an uninterrupted run. This uses a cluster of its own, since one of its workers dies."""

from __future__ import annotations

import os
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import dask.bag as db
import pytest

from eventide.scale import read_rows, run_partition
from tests.scale.conftest import local_dask
from tests.scale.upstream import KEY, stable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from distributed import Client as DaskClient

    from tests.http_server import ScriptedServer
    from tests.scale.upstream import Upstream


@pytest.fixture
def cluster() -> Iterator[DaskClient]:
    with local_dask() as client:
        yield client


def test_a_killed_worker_loses_and_duplicates_nothing(
    cluster: DaskClient, upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, script = upstream
    script.latency = 0.2  # a partition takes 2 s: the kill lands well inside it
    rows = [{"id": number, "prompt": f"slow {number}"} for number in range(40)]
    options: dict[str, Any] = {
        "provider": "openai",
        "base_url": f"{server.url}/v1",
        "api_key": KEY,
        "model": "gpt-4o-mini",
        "max_concurrency": 2,
    }
    bag = db.from_sequence(rows, npartitions=2)  # type: ignore[no-untyped-call]
    job = bag.map_partitions(run_partition, out_dir=tmp_path / "killed", **options)
    pids = cluster.run(os.getpid)
    future = cluster.compute(job)  # type: ignore[no-untyped-call]
    deadline = time.monotonic() + 10
    written: list[dict[str, Any]] = []
    while len(written) < 4:  # a worker is a few rows into its partition
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.01)
        written = list(read_rows(tmp_path / "killed"))
    pid = int(written[0]["worker"].rsplit(":", 1)[1])
    (victim,) = [address for address, worker_pid in pids.items() if worker_pid == pid]
    with suppress(Exception):  # the worker dies before it answers
        cluster.run(os._exit, 1, workers=[victim])
    future.result(timeout=60)
    killed = list(read_rows(tmp_path / "killed"))
    by_victim = [row for row in killed if row["worker"].endswith(f":{pid}")]
    assert 0 < len(by_victim) < len(rows) // 2  # it died mid-partition; its rows were kept
    assert len(server.requests) < 2 * len(rows)  # the rerun resumed: not all sent again

    script.latency = 0.0
    bag.map_partitions(run_partition, out_dir=tmp_path / "whole", **options).compute()
    assert stable(killed) == stable(read_rows(tmp_path / "whole"))  # each id once, same rows
