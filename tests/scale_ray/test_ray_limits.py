"""Limits shared by an actor pool of 2 on the local Ray cluster, through a named actor, seen
from the loopback upstream: the requests-per-minute limit holds over both actors together,
and one actor's 429 with ``Retry-After`` pauses both (the scenarios of
tests/scale/test_dask_limits.py, with the same scaled window)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from eventide.routing import Limits
from eventide.scale import SharedLimits
from tests.scale.test_dask_limits import PER_SECOND, SLACK, most_in_a_window
from tests.scale.upstream import PAUSE
from tests.scale_ray.test_ray import run

if TYPE_CHECKING:
    from tests.http_server import ScriptedServer
    from tests.scale.upstream import Upstream

pytestmark = [
    pytest.mark.usefixtures("ray_cluster"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def shared(limits: Limits) -> SharedLimits:
    return SharedLimits(limits=limits, backend="ray", window=1.0, name=f"t-{uuid.uuid4().hex}")


def test_requests_per_minute_hold_over_both_actors(
    upstream: tuple[ScriptedServer, Upstream],
) -> None:
    server, script = upstream
    rows = [{"id": f"r{n}", "prompt": f"ask {n}"} for n in range(40)]
    records = run(rows, server, limits=shared(Limits(requests_per_minute=PER_SECOND)))
    assert sorted(record["id"] for record in records) == sorted(row["id"] for row in rows)
    assert [record["error"] for record in records if record["error"]] == []
    assert len({record["worker"] for record in records}) == 2
    starts = [when for when, prompt in script.starts if prompt.startswith("ask")]
    assert len(starts) == 40
    assert most_in_a_window(starts, 1.0 - SLACK) <= PER_SECOND
    assert max(starts) - min(starts) >= 40 / PER_SECOND - 1 - SLACK


def test_retry_after_pauses_every_actor(upstream: tuple[ScriptedServer, Upstream]) -> None:
    server, script = upstream
    rows = [{"id": f"s{n}", "prompt": f"slow {n}"} for n in range(120)]
    # the pause comes mid-run: the first batches of both actors start together, and a pause
    # among them could be the very first request the upstream sees
    rows[72] = {"id": "s72", "prompt": "pause 72"}
    records = run(rows, server, limits=shared(Limits()))
    assert len(records) == 120
    assert all(record["error"] is None for record in records)
    worker_of = {record["id"]: record["worker"] for record in records}
    assert len(set(worker_of.values())) == 2
    paused = next(when for when, prompt in script.starts if prompt == "pause 72")
    during = [p for when, p in script.starts if paused + 0.2 < when < paused + PAUSE - SLACK]
    assert during == []
    after = {worker_of["s" + p.split()[1]] for when, p in script.starts if when > paused + PAUSE}
    assert after == set(worker_of.values())  # both actors were running, and waited
    assert any(when < paused for when, _ in script.starts)
