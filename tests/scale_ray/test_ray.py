"""`eventide.scale.RayBatchRunner` in an actor pool of 2 on a real local Ray cluster, against a
loopback OpenAI-compatible upstream: the rows are those of a local ``eventide batch`` run, a
partial run resumes from eventide's own files, a different configuration is refused."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
import ray.data

from eventide.scale import RayBatchRunner, read_rows
from tests.scale.upstream import KEY, local_batch, rows_of, stable

if TYPE_CHECKING:
    from pathlib import Path

    from tests.http_server import ScriptedServer
    from tests.scale.upstream import Upstream

pytestmark = [
    pytest.mark.usefixtures("ray_cluster"),
    # Ray Data warns about its own deprecated settings (use_push_based_shuffle, ...)
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def runner_options(server: ScriptedServer, **more: Any) -> dict[str, Any]:
    """`RayBatchRunner`'s constructor arguments for the loopback upstream `server`."""
    return {
        "provider": "openai",
        "base_url": f"{server.url}/v1",
        "api_key": KEY,
        "model": "gpt-4o-mini",
        "max_concurrency": 4,
        **more,
    }


def run(rows: list[dict[str, Any]], server: ScriptedServer, **more: Any) -> list[dict[str, Any]]:
    options = runner_options(server, **more)
    dataset = ray.data.from_items(rows).map_batches(
        RayBatchRunner,
        fn_constructor_kwargs=options,
        compute=ray.data.ActorPoolStrategy(size=2),
        batch_size=6,
    )
    records: list[dict[str, Any]] = dataset.take_all()
    return records


def test_rows_are_the_batch_records_of_a_local_run(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, script = upstream
    rows = rows_of(24)
    records = run(rows, server)
    assert stable(records) == stable(local_batch(rows, server, tmp_path, monkeypatch))
    by_id = {row["id"]: row for row in records}
    assert by_id["r1"]["error"]["status_code"] == 400
    assert by_id["r2"]["attempts"] == 2  # the 429 was retried in the actor
    assert script.tries["flaky 2"] == 3  # twice on the cluster, once locally
    workers = {row["worker"] for row in records}
    assert all(not worker.endswith(f":{os.getpid()}") for worker in workers)
    assert 1 <= len(workers) <= 2


def test_a_partial_run_resumes_from_eventide_files(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, _ = upstream
    rows = rows_of(12, fail=1, flaky=0)
    whole = stable(run(rows, server, out_dir=str(tmp_path / "out")))
    assert stable(read_rows(tmp_path / "out")) == whole
    for path in sorted((tmp_path / "out").glob("part-*.jsonl")):  # as if killed mid-write
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:2]) + lines[2][:10])
    kept = len(list(read_rows(tmp_path / "out")))
    before = len(server.requests)
    assert stable(run(rows, server, out_dir=str(tmp_path / "out"))) == whole
    assert len(server.requests) - before == len(rows) - kept
    assert stable(read_rows(tmp_path / "out")) == whole


def test_resuming_with_another_configuration_is_refused(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    server, _ = upstream
    rows = rows_of(6, fail=0, flaky=0)
    run(rows, server, out_dir=str(tmp_path / "out"))
    before = len(server.requests)
    with pytest.raises(Exception, match=r"different run \(model: 'gpt-4o-mini' there"):
        run(rows, server, out_dir=str(tmp_path / "out"), model="gpt-4.1")
    assert len(server.requests) == before
