"""Every example in docs/recording.md runs as it is: each ``python`` block is executed on its
own, and each ``test_*`` function it defines is run (under trio's autojump clock)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.docs_examples import python_blocks, run_example, test_name

if TYPE_CHECKING:
    import trio.testing

PAGE = "recording.md"
BLOCKS = python_blocks(PAGE)


def test_docs_page_has_examples() -> None:
    assert len(BLOCKS) >= 5
    assert all(test_name(block) != "no-test" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[test_name(block) for block in BLOCKS])
async def test_docs_example_runs(block: str, autojump_clock: trio.testing.MockClock) -> None:
    await run_example(PAGE, block, autojump_clock=autojump_clock)
