"""Every example in docs/gateway.md runs as it is: each ``python`` block is executed on its
own, and each ``test_*`` function it defines is run."""

from __future__ import annotations

import pytest

from tests.docs_examples import python_blocks, run_example, test_name

PAGE = "gateway.md"
BLOCKS = python_blocks(PAGE)

pytestmark = pytest.mark.filterwarnings(  # the SDK's stream generators (see test_chat.py)
    "ignore:Async generator '(openai\\._streaming|anthropic\\._streaming|httpx2|httpcore2)\\."
    ":ResourceWarning"
)


def test_docs_page_has_its_examples() -> None:
    assert len(BLOCKS) >= 3
    assert all(test_name(block) != "no-test" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[test_name(block) for block in BLOCKS])
async def test_docs_example_runs(block: str) -> None:
    await run_example(PAGE, block)
