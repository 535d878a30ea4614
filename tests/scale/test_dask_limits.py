"""Limits shared by the workers of a real local Dask cluster (two worker processes), seen from
the loopback upstream: the requests-per-minute limit holds over both workers together, and one
worker's 429 with ``Retry-After`` pauses both.

The window is scaled: 600 requests per minute is 10 per second, so the tests count requests in
a one-second window. A request is counted when it is granted, a few milliseconds before the
upstream sees it, so the upstream's windows are measured `SLACK` short of a second.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from eventide.routing import Limits
from eventide.scale import SharedLimits, read_rows
from tests.scale.test_dask import options, run
from tests.scale.upstream import PAUSE

if TYPE_CHECKING:
    from pathlib import Path

    from distributed import Client as DaskClient

    from eventide.scale._limits import Backend
    from tests.http_server import ScriptedServer
    from tests.scale.upstream import Upstream

PER_SECOND = 10  # 600 per minute, in a window of one second
SLACK = 0.15  # time between a grant and the upstream seeing the request (a loaded machine)


def most_in_a_window(times: list[float], window: float) -> int:
    """The most of `times` in any half-open interval of `window` seconds."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


def shared(backend: Backend, limits: Limits, **more: Any) -> SharedLimits:
    return SharedLimits(
        limits=limits, backend=backend, window=1.0, name=f"test-{uuid.uuid4().hex}", **more
    )


@pytest.mark.parametrize("backend", ["dask", "split"])
def test_requests_per_minute_hold_over_both_workers(
    dask_client: DaskClient,
    upstream: tuple[ScriptedServer, Upstream],
    tmp_path: Path,
    backend: Backend,
) -> None:
    server, script = upstream
    rows = [{"id": f"r{n}", "prompt": f"ask {n}"} for n in range(40)]
    limits = shared(backend, Limits(requests_per_minute=PER_SECOND))
    kwargs = options(server, out_dir=tmp_path / "out", max_concurrency=8, limits=limits)
    run(dask_client, rows, 4, **kwargs)
    written = list(read_rows(tmp_path / "out"))
    assert sorted(row["id"] for row in written) == sorted(row["id"] for row in rows)
    assert all(row["error"] is None for row in written)
    assert len({row["worker"] for row in written}) == 2
    starts = [when for when, prompt in script.starts if prompt.startswith("ask")]
    assert len(starts) == 40
    assert most_in_a_window(starts, 1.0 - SLACK) <= PER_SECOND
    assert max(starts) - min(starts) >= 40 / PER_SECOND - 1 - SLACK  # and it was reached


def test_retry_after_pauses_every_worker(
    dask_client: DaskClient, upstream: tuple[ScriptedServer, Upstream], tmp_path: Path
) -> None:
    """Partition ``a`` (on one worker) asks ``pause`` in its middle; partition ``b`` (on the
    other) is busy all the while; from the 429 until ``Retry-After`` is over the upstream sees
    no request from either."""
    server, script = upstream
    script.latency = 0.05
    rows = [{"id": f"a{n}", "prompt": f"slow a{n}"} for n in range(40)]
    rows[10] = {"id": "a10", "prompt": "pause a10"}
    rows += [{"id": f"b{n}", "prompt": f"slow b{n}"} for n in range(40)]
    limits = shared("dask", Limits())
    kwargs = options(server, out_dir=tmp_path / "out", max_concurrency=2, limits=limits)
    run(dask_client, rows, 2, **kwargs)
    written = {row["id"]: row for row in read_rows(tmp_path / "out")}
    assert len(written) == 80
    assert all(row["error"] is None for row in written.values())
    assert written["a10"]["attempts"] == 2
    assert written["a0"]["worker"] != written["b0"]["worker"]  # one partition each
    [paused] = [when for when, prompt in script.starts if prompt == "pause a10"][:1]
    during = [
        prompt
        for when, prompt in script.starts
        if paused + 0.2 < when < paused + PAUSE - SLACK  # from the cooldown being written on
    ]
    assert during == []
    after = {
        prompt.split()[1][0] for when, prompt in script.starts if when >= paused + PAUSE - SLACK
    }
    before = {prompt.split()[1][0] for when, prompt in script.starts if when < paused}
    assert before == after == {"a", "b"}  # both workers were busy before and after
