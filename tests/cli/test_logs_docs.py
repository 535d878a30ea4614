"""Every example in docs/cli-logs.md runs as it is: each ``python`` block is executed on its
own, and each ``test_*`` function it defines is run with the fixtures it names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.docs_examples import python_blocks, run_example, test_name

if TYPE_CHECKING:
    from pathlib import Path

PAGE = "cli-logs.md"
BLOCKS = python_blocks(PAGE)


def test_docs_page_has_examples() -> None:
    assert BLOCKS
    assert all(test_name(block) != "no-test" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[test_name(block) for block in BLOCKS])
async def test_docs_example_runs(
    block: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await run_example(PAGE, block, tmp_path=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
