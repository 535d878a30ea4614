"""A real local Ray cluster (``ray.init(num_cpus=2)``, no dashboard) and the loopback upstream of
tests/scale, for `eventide.scale.RayBatchRunner`. These tests need the ``ray`` extra and run as
their own step (``.ci/run``): the main suite neither collects nor imports them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import ray

from tests.scale.upstream import KEY
from tests.scale.upstream import base_url as base_url
from tests.scale.upstream import upstream as upstream

if TYPE_CHECKING:
    from collections.abc import Iterator


def start_cluster() -> None:
    """The local cluster: 2 CPUs, no dashboard; the workers' environment has the upstream's
    key, as a cluster's would (for the CLI)."""
    environment = {"env_vars": {"OPENAI_API_KEY": KEY}}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=environment)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    start_cluster()
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def fresh_cluster_after(ray_cluster: None) -> Iterator[None]:
    """Restart the local cluster after the module that asks for it: a Ray job that failed
    leaves CPUs held for minutes, and the next module's actor pool of 2 needs both."""
    yield
    ray.shutdown()
    start_cluster()
