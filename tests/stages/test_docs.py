"""Every example in docs/stages.md runs as it is: each ``python`` block is executed on its
own, and each ``test_*`` function it defines is run."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "stages.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), flags=re.DOTALL)


def _name(block: str) -> str:
    found = re.search(r"^(?:async )?def (test_\w+)", block, flags=re.MULTILINE)
    return found.group(1) if found else "no-test"


def test_docs_page_has_an_example_per_section() -> None:
    assert len(BLOCKS) >= 6
    assert all(_name(block) != "no-test" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[_name(block) for block in BLOCKS])
async def test_docs_example_runs(block: str) -> None:
    namespace: dict[str, Any] = {"__name__": "docs_stages_example"}
    exec(compile(block, str(PAGE), "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert tests
    for test in tests:
        assert inspect.iscoroutinefunction(test)
        await test()
