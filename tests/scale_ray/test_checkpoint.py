"""Ray Data's own checkpointing (``DataContext.checkpoint_config``, keyed by the ``id`` column)
around `eventide.scale.RayBatchRunner` in an actor pool of 2: a job cut short by an upstream
outage (``errors="raise"``) and run again writes every id once, and sends no row Ray had
checkpointed. The resumable example of docs/scale-out.md runs here too."""

from __future__ import annotations

import importlib
import json
import re
import time
from typing import TYPE_CHECKING

import pytest
import ray
import ray.data
import ray.exceptions
from ray.data.checkpoint import CheckpointConfig

from eventide.scale import RayBatchRunner, read_rows
from tests.docs_examples import DOCS, run_example
from tests.http_server import Reply, serve_in_thread
from tests.scale.upstream import Upstream
from tests.scale_ray.test_ray import runner_options

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.http_server import Received, ScriptedServer

PAGE = "scale-out.md"
(BLOCK,) = re.findall(
    r'```python title="Not run: Ray Data checkpointing[^"]*"\n(.*?)```',
    (DOCS / PAGE).read_text("utf-8"),
    flags=re.DOTALL,
)
FILES, PER_FILE = 6, 4
DOWN = f"ask {FILES * PER_FILE - 3}"  # a row of the last input file

pytestmark = [
    pytest.mark.usefixtures("ray_cluster", "fresh_cluster_after"),  # its jobs fail on purpose
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # Ray Data's own settings
]


class Outage:
    """The scale upstream, but while `down` the `DOWN` prompt is refused (400, not retryable)
    once Ray has committed a checkpoint, so that the job fails part-way, after some rows are
    safely written."""

    def __init__(self, checkpoints: Path) -> None:
        self.upstream = Upstream()
        self.down = True
        self._checkpoints = checkpoints

    def __call__(self, received: Received) -> Reply:
        prompt = received.json()["messages"][-1]["content"]
        if not (self.down and prompt == DOWN):
            return self.upstream(received)
        self.upstream.tries[prompt] += 1
        deadline = time.monotonic() + 60
        while not committed(self._checkpoints) and time.monotonic() < deadline:
            time.sleep(0.05)
        body = json.dumps({"error": {"message": "outage", "type": "invalid_request_error"}})
        headers = [("content-type", "application/json")]
        return Reply(status=400, headers=headers, body=[body.encode()], content_length=True)


def committed(checkpoints: Path) -> set[str]:
    """The ids in Ray's committed checkpoint files (not the ``.pending`` ones)."""
    parquet = importlib.import_module("pyarrow.parquet")  # ray[data]'s, untyped
    files = [path for path in checkpoints.glob("*.parquet") if ".pending." not in path.name]
    return {str(value) for path in files for value in parquet.read_table(path)["id"].to_pylist()}


def written(out: Path) -> list[str]:
    """The ids of every record in the job's output files, repeats included."""
    lines = [line for path in out.glob("*.json") for line in path.read_text("utf-8").splitlines()]
    return [json.loads(line)["id"] for line in lines]


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[ScriptedServer, Outage]]:
    script = Outage(tmp_path / "checkpoints")
    with serve_in_thread(script) as server:
        yield server, script


def run_job(source: Path, out: Path, server: ScriptedServer, **more: str) -> None:
    """Read `source`, run it through `RayBatchRunner` in an actor pool of 2, write JSON lines.
    On 2 CPUs the checkpoint filter's actor takes a whole one, so every other stage (I/O-bound)
    asks for a tenth of one."""
    options = runner_options(server, errors="raise", **more)
    light = 0.1
    (
        ray.data.read_json(str(source), ray_remote_args={"num_cpus": light})
        .map_batches(
            RayBatchRunner,
            fn_constructor_kwargs=options,
            # one block per actor at a time: none waits behind the one the outage holds
            compute=ray.data.ActorPoolStrategy(size=2, max_tasks_in_flight_per_actor=1),
            batch_size=PER_FILE,
            num_cpus=light,
        )
        .write_json(str(out), ray_remote_args={"num_cpus": light})
    )


def prompts(ids: set[str]) -> set[str]:
    """The prompts of the rows with these ids (``rN`` asks ``ask N``)."""
    return {f"ask {row_id.removeprefix('r')}" for row_id in ids}


@pytest.mark.parametrize("eventide_files", [False, True], ids=["ray-only", "with-out_dir"])
def test_a_job_cut_short_resumes_from_ray_checkpoints(
    outage: tuple[ScriptedServer, Outage],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    eventide_files: bool,
) -> None:
    server, script = outage
    source, out, checkpoints = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoints"
    source.mkdir()
    for file in range(FILES):
        numbers = range(file * PER_FILE, (file + 1) * PER_FILE)
        lines = [json.dumps({"id": f"r{n}", "prompt": f"ask {n}"}) + "\n" for n in numbers]
        (source / f"part-{file}.jsonl").write_text("".join(lines), "utf-8")
    config = CheckpointConfig(id_column="id", checkpoint_path=str(checkpoints))
    monkeypatch.setattr(ray.data.DataContext.get_current(), "checkpoint_config", config)

    more = {"out_dir": str(tmp_path / "eventide")} if eventide_files else {}

    with pytest.raises(ray.exceptions.RayTaskError, match="outage"):
        run_job(source, out, server, **more)
    saved = committed(checkpoints)
    assert 0 < len(saved) < FILES * PER_FILE
    assert saved <= set(written(out))
    kept = {row["id"] for row in read_rows(more["out_dir"])} if eventide_files else set()
    first = set(script.upstream.tries)

    script.down = False
    script.upstream.tries.clear()
    run_job(source, out, server, **more)
    assert sorted(written(out)) == sorted(f"r{n}" for n in range(FILES * PER_FILE))  # each once
    again = script.upstream.tries
    assert not prompts(saved) & set(again)  # no checkpointed row is sent again
    assert set(again.values()) <= {1}  # none twice (none at all when eventide kept every row)
    assert set(again) == prompts({f"r{n}" for n in range(FILES * PER_FILE)} - saved - kept)
    # sent twice: the rows sent before the outage that neither Ray nor eventide had saved
    assert first & set(again) == first - prompts(saved | kept)
    assert not checkpoints.exists()  # deleted when the job succeeds


async def test_docs_resumable_ray_example_runs(base_url: str, tmp_path: Path) -> None:
    context = ray.data.DataContext.get_current()
    try:
        await run_example(PAGE, BLOCK, base_url=base_url, tmp_path=tmp_path)
        assert context.checkpoint_config is not None  # the example did turn it on
    finally:
        context.checkpoint_config = None
