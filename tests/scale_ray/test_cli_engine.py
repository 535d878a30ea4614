"""``eventide batch --engine ray`` on the local Ray cluster: the records of a local
``eventide batch`` in one OUT, resumable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scale.test_cli_engine import arguments, batch, written
from tests.scale.upstream import local_batch, rows_of, stable

if TYPE_CHECKING:
    from pathlib import Path

    from tests.http_server import ScriptedServer
    from tests.scale.upstream import Upstream

pytestmark = [
    pytest.mark.usefixtures("ray_cluster"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def test_engine_ray_gives_the_records_of_a_local_batch_and_resumes(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = upstream
    rows = rows_of(12)
    local = local_batch(rows, server, tmp_path, monkeypatch)
    source, out = tmp_path / "in.jsonl", tmp_path / "ray.jsonl"
    status, err = batch(arguments(source, out, server, "--engine", "ray", "--workers", "2"))
    assert status == 1, err  # two requests fail, as locally
    assert stable(written(out)) == stable(local)
    assert err.startswith("eventide: batch: 10 ok, 2 failed (2 request errors) in "), err

    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:5]))
    status, err = batch(arguments(source, out, server, "--engine", "ray"))
    assert status == 1, err
    assert stable(written(out)) == stable(local)


def test_engine_ray_with_an_unreachable_address_says_so_in_one_line(
    upstream: tuple[ScriptedServer, Upstream], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ray's own connect would retry for minutes; the address is probed first."""
    server, _ = upstream
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "messages": [{"role": "user", "content": "q"}]}\n')
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ray-unreachable")
    argv = ["--engine", "ray", "--address", "127.0.0.1:9"]
    status, err = batch(arguments(source, tmp_path / "out.jsonl", server, *argv))
    assert status == 1
    [line] = err.splitlines()
    assert line.startswith("eventide: error: cannot reach the Ray cluster at 127.0.0.1:9: "), line
