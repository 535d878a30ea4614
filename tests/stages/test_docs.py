"""Every example in docs/stages.md runs as it is: each ``python`` block is executed on its
own, and each ``test_*`` function it defines is run."""

from __future__ import annotations

import pytest

from tests.docs_examples import python_blocks, run_example, test_name

PAGE = "stages.md"
BLOCKS = python_blocks(PAGE)


def test_docs_page_has_an_example_per_section() -> None:
    assert len(BLOCKS) >= 6
    assert all(test_name(block) != "no-test" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[test_name(block) for block in BLOCKS])
async def test_docs_example_runs(block: str) -> None:
    await run_example(PAGE, block)
