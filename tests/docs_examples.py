"""Running a docs page's examples as tests: every ``python`` block of the page is executed on
its own, and every ``test_*`` function it defines is called (async ones awaited, sync ones in a
worker thread, so that they may use the sync `Client`), with the fixtures it names."""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

if TYPE_CHECKING:
    from types import CodeType

DOCS = Path(__file__).resolve().parents[1] / "docs"


def python_blocks(page: str) -> list[str]:
    """The ``python`` code blocks of ``docs/<page>``, in order."""
    text = (DOCS / page).read_text("utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_name(block: str) -> str:
    """The first ``test_*`` function a block defines (a pytest id), or ``"no-test"``."""
    found = re.search(r"^(?:async )?def (test_\w+)", block, flags=re.MULTILINE)
    return found.group(1) if found else "no-test"


test_name.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


async def run_example(page: str, block: str, **fixtures: Any) -> None:
    """Execute `block` of ``docs/<page>`` and run every ``test_*`` function it defines, each
    given those of `fixtures` its signature names.

    Raises:
        AssertionError: The block defines no test function.
    """
    namespace: dict[str, Any] = {"__name__": f"docs_{Path(page).stem}_example"}
    exec(_compiled(page, block), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert tests, f"an example of docs/{page} defines no test_* function"
    for test in tests:
        wanted = inspect.signature(test).parameters
        arguments = {name: value for name, value in fixtures.items() if name in wanted}
        if inspect.iscoroutinefunction(test):
            await test(**arguments)
        else:
            await trio.to_thread.run_sync(functools.partial(test, **arguments))


async def run_script(page: str, block: str) -> None:
    """Execute `block` of ``docs/<page>`` as a reader would run it, as a script (in a worker
    thread, so that it may call ``trio.run`` itself)."""
    code = _compiled(page, block)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    await trio.to_thread.run_sync(exec, code, namespace)


def _compiled(page: str, block: str) -> CodeType:
    """`block` compiled with the page's line numbers, so that a traceback points at the
    page's own line."""
    text = (DOCS / page).read_text("utf-8")
    start = text.find(block)
    lines_before = text.count("\n", 0, start) if start >= 0 else 0
    return compile("\n" * lines_before + block, str(DOCS / page), "exec")
