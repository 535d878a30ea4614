"""`SharedLimits` without a cluster: the static split of the default backend, and the clear
refusals (no worker count outside Dask, limits around a router)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from eventide.routing import Limiter, Limits, Router
from eventide.scale import SharedLimits, run_partition
from tests.scale.upstream import KEY

if TYPE_CHECKING:
    from pathlib import Path

    from eventide.providers import Provider


@pytest.mark.parametrize(
    ("total", "workers", "share"),
    [
        (
            Limits(requests_per_minute=600, max_concurrent=16),
            2,
            "Limits(max_concurrent=8, requests_per_minute=300)",
        ),
        (
            Limits(requests_per_minute=3, max_concurrent=1),
            4,
            "Limits(max_concurrent=1, requests_per_minute=1)",
        ),
        (Limits(), 3, "Limits(max_concurrent=None, requests_per_minute=None)"),
    ],
)
def test_split_gives_each_worker_its_share(total: Limits, workers: int, share: str) -> None:
    backend = SharedLimits(limits=total, workers=workers, window=2.0).backend_here()
    assert isinstance(backend, Limiter)
    assert repr(backend) == f"Limiter({share}, window=2.0)"


def test_split_outside_dask_needs_a_worker_count(tmp_path: Path) -> None:
    limits = SharedLimits(limits=Limits(requests_per_minute=60))
    with pytest.raises(ValueError, match="needs workers="):
        run_partition(
            [{"id": 1, "prompt": "x"}],
            out_dir=tmp_path,
            provider="openai",
            api_key=KEY,
            base_url="http://127.0.0.1:9/v1",
            limits=limits,
        )


def _router() -> Provider:
    return Router({})


def test_limits_around_a_router_are_refused(tmp_path: Path) -> None:
    limits = SharedLimits(limits=Limits(requests_per_minute=60), workers=1)
    with pytest.raises(ValueError, match="give a router its own limits="):
        run_partition([{"id": 1, "prompt": "x"}], out_dir=tmp_path, provider=_router, limits=limits)
