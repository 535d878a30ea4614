"""A real local Dask cluster (two worker processes, one thread each, on 127.0.0.1) and a
loopback OpenAI-compatible upstream in a thread of the test process, shared by the module."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from distributed import Client as DaskClient
from distributed import LocalCluster

from tests.scale.upstream import base_url as base_url
from tests.scale.upstream import upstream as upstream

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def local_dask() -> Iterator[DaskClient]:
    """A client of a new local cluster: two worker processes, one thread each, all on
    127.0.0.1 (the dashboard on a free port)."""
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            processes=True,
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        DaskClient(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


@pytest.fixture(scope="session")
def dask_client() -> Iterator[DaskClient]:
    with local_dask() as client:
        yield client
