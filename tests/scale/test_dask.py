"""`eventide.scale.run_partition` on a real local Dask cluster (two worker processes) against a
loopback OpenAI-compatible upstream: the rows are those of a local ``eventide batch`` run,
a partial run resumes, a different configuration is refused, each worker reuses one client."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import dask.bag as db
import pytest

import eventide
from eventide.scale import RunMismatchError, read_rows, run_partition
from tests.scale.upstream import KEY, local_batch, rows_of, stable

if TYPE_CHECKING:
    from pathlib import Path

    from distributed import Client as DaskClient

    from tests.http_server import ScriptedServer
    from tests.scale.upstream import Upstream


def options(server: ScriptedServer, **more: Any) -> dict[str, Any]:
    return {
        "out_dir": more.pop("out_dir"),
        "provider": "openai",
        "base_url": f"{server.url}/v1",
        "api_key": KEY,
        "model": "gpt-4o-mini",
        "max_concurrency": 4,
        **more,
    }


def run(
    client: DaskClient, rows: list[dict[str, Any]], partitions: int, **kwargs: Any
) -> list[int]:
    bag = db.from_sequence(rows, npartitions=partitions)  # type: ignore[no-untyped-call]
    job = bag.map_partitions(run_partition, **kwargs)
    result: list[int] = client.compute(job).result()  # type: ignore[no-untyped-call]
    return result


def test_rows_are_the_batch_records_of_a_local_run(
    dask_client: DaskClient,
    upstream: tuple[ScriptedServer, Upstream],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, script = upstream
    rows = rows_of(24)
    written = run(dask_client, rows, 4, **options(server, out_dir=tmp_path / "out"))
    assert sorted(written) == [6, 6, 6, 6]
    distributed_rows = list(read_rows(tmp_path / "out"))
    local = local_batch(rows, server, tmp_path, monkeypatch)
    assert stable(distributed_rows) == stable(local)
    by_id = {row["id"]: row for row in distributed_rows}
    assert by_id["r0"]["error"]["kind"] == "bad_request"
    assert by_id["r0"]["error"]["status_code"] == 400
    assert by_id["r2"]["error"] is None
    assert by_id["r2"]["attempts"] == 2  # the 429 was retried on the worker
    assert script.tries["flaky 2"] == 3  # twice on the cluster, once locally
    assert by_id["r5"]["text"] == "echo ask 5"
    assert {row["provider"] for row in distributed_rows} == {"openai"}
    workers = {row["worker"] for row in distributed_rows}
    assert all(not worker.endswith(f":{os.getpid()}") for worker in workers)
    assert 1 <= len(workers) <= 2
    assert all(KEY not in path.read_text("utf-8") for path in (tmp_path / "out").iterdir())


def test_a_partial_run_resumes_each_partition(
    dask_client: DaskClient, upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, _ = upstream
    rows = rows_of(16, fail=1, flaky=0)
    kwargs = options(server, out_dir=tmp_path / "out")
    run(dask_client, rows, 2, **kwargs)
    whole = stable(read_rows(tmp_path / "out"))
    for path in sorted((tmp_path / "out").glob("part-*.jsonl")):  # as if killed mid-write
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:3]) + lines[3][:10])
    before = len(server.requests)
    written = run(dask_client, rows, 2, **kwargs)
    assert sorted(written) == [5, 5]
    assert len(server.requests) - before == 10
    assert stable(read_rows(tmp_path / "out")) == whole
    assert run(dask_client, rows, 2, **kwargs) == [0, 0]


def test_resuming_with_another_configuration_is_refused(
    dask_client: DaskClient, upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, _ = upstream
    rows = rows_of(6, fail=0, flaky=0)
    run(dask_client, rows, 2, **options(server, out_dir=tmp_path / "out"))
    before = len(server.requests)
    other = options(server, out_dir=tmp_path / "out", model="gpt-4.1")
    with pytest.raises(RunMismatchError, match=r"different run \(model: 'gpt-4o-mini' there"):
        run(dask_client, rows, 2, **other)
    changed = [{**row, "prompt": row["prompt"] + "!"} for row in rows]
    with pytest.raises(RunMismatchError, match="prompts"):
        run(dask_client, changed, 2, **options(server, out_dir=tmp_path / "out"))
    assert len(server.requests) == before


def test_errors_raise_fails_the_task(
    dask_client: DaskClient, upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, _ = upstream
    with pytest.raises(eventide.Error, match=r"refused: fail [01]") as raised:
        run(dask_client, rows_of(4), 1, **options(server, out_dir=tmp_path / "o", errors="raise"))
    (written,) = [row for row in read_rows(tmp_path / "o") if row["error"] is not None]
    assert f"fail {written['id'][1:]}" in str(raised.value)  # its row was written first


def test_each_worker_reuses_one_client(
    dask_client: DaskClient, upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, _ = upstream
    rows = rows_of(32, fail=0, flaky=0)
    kwargs = options(server, out_dir=tmp_path / "out", max_concurrency=2)
    run(dask_client, rows, 8, **kwargs)
    run(dask_client, rows_of(16, fail=0, flaky=0), 4, **{**kwargs, "out_dir": tmp_path / "two"})
    connections = {received.connection for received in server.requests}
    # a client per partition would open 2 per partition: 24; one per worker keeps at most 2 each
    assert len(connections) <= 4


def test_a_malformed_row_is_an_error_row(
    dask_client: DaskClient, upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, _ = upstream
    rows: list[Any] = [{"id": "a", "prompt": "ask"}, "not a dict", {"id": "a", "prompt": "again"}]
    kwargs = options(server, out_dir=tmp_path / "out")
    assert run(dask_client, rows, 1, **kwargs) == [3]
    assert run(dask_client, rows, 1, **kwargs) == [0]
    errors = sorted(
        row["error"]["message"] for row in read_rows(tmp_path / "out") if row["id"] is None
    )
    assert [message.split(": ", 1)[1] for message in errors] == [
        "offset 1: a row is a dict, not str",
        "offset 2: duplicate id 'a'",
    ]
