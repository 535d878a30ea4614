"""``eventide batch --engine dask``: the records of a local ``eventide batch`` in one OUT, from
a local cluster or an existing scheduler, resumable; and the one-line failures (a missing
extra, an unreachable scheduler, an option an engine has not)."""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stderr
from typing import TYPE_CHECKING, Any

import pytest

from eventide.cli._main import main
from tests.scale.upstream import KEY, local_batch, rows_of, stable

if TYPE_CHECKING:
    from pathlib import Path

    from distributed import Client as DaskClient

    from tests.http_server import ScriptedServer
    from tests.scale.upstream import Upstream


def batch(argv: list[str]) -> tuple[int, str]:
    """``eventide batch`` in this process: its exit status and stderr."""
    err = io.StringIO()
    with redirect_stderr(err):
        status = main(["batch", *argv, "--progress", "never"])
    return status, err.getvalue()


def arguments(source: Path, out: Path, server: ScriptedServer, *more: str) -> list[str]:
    url = f"{server.url}/v1"
    return [str(source), "-o", str(out), "--base-url", url, "--model", "gpt-4o-mini", *more]


def one_request(tmp_path: Path) -> Path:
    """An IN of one request."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "ask"}\n', "utf-8")
    return source


def written(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_engine_dask_gives_the_records_of_a_local_batch_and_resumes(
    dask_client: DaskClient,
    upstream: tuple[ScriptedServer, Upstream],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = upstream
    rows = rows_of(12)
    local = local_batch(rows, server, tmp_path, monkeypatch)  # sets OPENAI_API_KEY here
    source, out = tmp_path / "in.jsonl", tmp_path / "dask.jsonl"
    status, err = batch(arguments(source, out, server, "--engine", "dask", "--workers", "2"))
    assert status == 1, err  # two requests fail, as locally
    records = written(out)
    assert stable(records) == stable(local)
    assert len({record["worker"] for record in records}) >= 1
    assert all(not record["worker"].endswith(f":{os.getpid()}") for record in records)
    assert err.startswith("eventide: batch: 10 ok, 2 failed (2 request errors) in ")

    # cut OUT to 5 records and a torn line: the re-run on an existing scheduler completes it
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:5]) + lines[5][:10])
    dask_client.run(os.environ.__setitem__, "OPENAI_API_KEY", KEY)
    address = str(dask_client.scheduler.address)  # type: ignore[union-attr]
    status, err = batch(arguments(source, out, server, "--engine", "dask", "--address", address))
    assert status == 1, err
    assert "removed an incomplete last line" in err
    assert stable(written(out)) == stable(local)


def test_engine_whose_extra_is_missing_says_what_to_install(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, script = upstream
    source = one_request(tmp_path)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray: ImportError
    status, err = batch(arguments(source, tmp_path / "out.jsonl", server, "--engine", "ray"))
    assert status == 3
    assert err == (
        "eventide: error: --engine ray needs the ray extra: pip install 'eventide[ray]'\n"
    )
    assert not (tmp_path / "out.jsonl").exists()
    assert script.starts == []


def test_engine_with_an_unreachable_scheduler_says_so_in_one_line(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = upstream
    source = one_request(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    argv = ["--engine", "dask", "--address", "tcp://127.0.0.1:9"]
    status, err = batch(arguments(source, tmp_path / "out.jsonl", server, *argv))
    assert status == 1
    [line] = err.splitlines()
    assert line.startswith("eventide: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--engine", "dask", "--ordered"], "--ordered is for a local run, not --engine dask"),
        (["--engine", "ray", "--record-dir", "x"], "--record-dir is for a local run"),
        (["--address", "tcp://127.0.0.1:9"], "--address is for --engine dask or ray"),
    ],
)
def test_engine_refuses_options_it_has_not(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path, argv: list[str], message: str
) -> None:
    server, _ = upstream
    source = one_request(tmp_path)
    status, err = batch(arguments(source, tmp_path / "out.jsonl", server, *argv))
    assert status == 2
    assert message in err
