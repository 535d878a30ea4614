"""Every Dask example in docs/scale-out.md runs as it is, on the real local cluster, against the
loopback upstream (the Ray example runs in tests/scale_ray)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.docs_examples import python_blocks, run_example, test_name

if TYPE_CHECKING:
    from pathlib import Path

    from distributed import Client as DaskClient

PAGE = "scale-out.md"
BLOCKS = python_blocks(PAGE)


def test_docs_page_has_examples() -> None:
    assert len(BLOCKS) >= 2
    assert all(test_name(block) != "no-test" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[test_name(block) for block in BLOCKS])
async def test_docs_example_runs(
    block: str, dask_client: DaskClient, base_url: str, tmp_path: Path
) -> None:
    await run_example(PAGE, block, dask_client=dask_client, base_url=base_url, tmp_path=tmp_path)
