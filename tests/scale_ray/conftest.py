"""A real local Ray cluster (``ray.init(num_cpus=2)``, no dashboard) and the loopback upstream of
tests/scale, for `eventide.scale.RayBatchRunner`. These tests need the ``ray`` extra and run as
their own step (``.ci/run``): the main suite neither collects nor imports them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import ray

from tests.http_server import ScriptedServer, serve_in_thread
from tests.scale.upstream import Upstream

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def upstream() -> Iterator[tuple[ScriptedServer, Upstream]]:
    script = Upstream()
    with serve_in_thread(script) as server:
        yield server, script


@pytest.fixture
def base_url(upstream: tuple[ScriptedServer, Upstream]) -> str:
    """The upstream's OpenAI API root."""
    return f"{upstream[0].url}/v1"
