"""Every example in docs/recording.md runs as it is: each ``python`` block is executed on its
own, and each ``test_*`` function it defines is run (under trio's autojump clock)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trio

if TYPE_CHECKING:
    import trio.testing

PAGE = Path(__file__).resolve().parents[2] / "docs" / "recording.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), flags=re.DOTALL)


def _name(block: str) -> str:
    found = re.search(r"^async def (test_\w+)", block, flags=re.MULTILINE)
    return found.group(1) if found else "no-test"


def test_docs_page_has_examples() -> None:
    assert len(BLOCKS) >= 5
    assert all(_name(block) != "no-test" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[_name(block) for block in BLOCKS])
async def test_docs_example_runs(block: str, autojump_clock: trio.testing.MockClock) -> None:
    namespace: dict[str, Any] = {"__name__": "docs_recording_example"}
    exec(compile(block, str(PAGE), "exec"), namespace)
    test = namespace[_name(block)]
    wanted = inspect.signature(test).parameters
    await test(**({"autojump_clock": autojump_clock} if "autojump_clock" in wanted else {}))
