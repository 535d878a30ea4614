"""Running the examples as tests.

A docs page's ``python`` blocks are executed one by one, and every ``test_*`` function a
block defines is called (async ones awaited, sync ones in a worker thread, so that they may
use the sync `Client`), with the fixtures it names.

A docstring example in ``src/eventide`` is a fenced block, as on the pages (`Block`,
`docstring_blocks`); a ``python`` one runs as a reader would paste it into
``python -m asyncio`` (`run_block`: top-level ``await`` allowed). The examples that cannot run
here (``python title="Not run: <reason>"``) and every docstring example are type-checked by
one ``mypy --strict`` run (`type_check`).
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

import trio

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import CodeType

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOT_RUN = re.compile(r'title="Not run: [^"]{8,}"')
_OPENING = re.compile(r"^(\s*)(```+)\s*([\w-]*)\s*(.*?)\s*$")


@final
@dataclass(frozen=True, kw_only=True)
class Block:
    """One fenced code block of a page or a docstring.

    Attributes:
        source: The file it is in.
        line: The file's line number of the block's first line of code.
        language: The word after the opening fence (``""`` when there is none).
        options: The rest of the opening fence, e.g. ``title="Not run: ..."``.
        code: The block's text, dedented to the fence's indentation.
    """

    source: Path
    line: int
    language: str
    options: str
    code: str

    @property
    def where(self) -> str:
        """``path:line``, the path relative to the repository."""
        return f"{self.source.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def not_run(self) -> bool:
        """Marked ``title="Not run: <reason>"``: type-checked, not run."""
        return NOT_RUN.fullmatch(self.options) is not None


def fenced_blocks(source: Path, lines: Sequence[str], *, first_line: int = 1) -> list[Block]:
    """The fenced blocks among `lines` of `source`, the first of which is line `first_line`.

    Raises:
        AssertionError: A fence is left open.
    """
    blocks: list[Block] = []
    opening: tuple[int, re.Match[str]] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, start=first_line):
        if opening is None:
            found = _OPENING.match(line)
            if found:
                opening, body = (number, found), []
        elif line.strip() == opening[1].group(2):
            start, fence = opening
            code = textwrap.dedent("\n".join(text.removeprefix(fence.group(1)) for text in body))
            language, options = fence.group(3), fence.group(4)
            blocks.append(
                Block(
                    source=source,
                    line=start + 1,
                    language=language,
                    options=options,
                    code=code + "\n",
                )
            )
            opening = None
        else:
            body.append(line)
    assert opening is None, f"{source}:{opening[0]}: a fence is never closed"
    return blocks


def page_blocks(page: str) -> list[Block]:
    """The fenced blocks of ``docs/<page>`` (``../README.md`` for the README)."""
    path = (DOCS / page).resolve()
    return fenced_blocks(path, path.read_text("utf-8").splitlines())


def docstrings(path: Path) -> list[tuple[int, list[str]]]:
    """Every docstring of the module at `path`, as (the line its string starts on, its source
    lines as written, quotes included)."""
    lines = path.read_text("utf-8").splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        kinds = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        first = node.body[0] if isinstance(node, kinds) and node.body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            found.append((first.lineno, lines[first.lineno - 1 : first.end_lineno]))
    return sorted(found)


def docstring_blocks() -> list[Block]:
    """The fenced blocks of every docstring in ``src/eventide``, in file and line order."""
    return [
        block
        for path in sorted((ROOT / "src").rglob("*.py"))
        for start, lines in docstrings(path)
        for block in fenced_blocks(path, lines, first_line=start)
    ]


async def run_block(block: Block) -> None:
    """Run a python `block` as a reader would paste it into ``python -m asyncio``: when it
    awaits, as a coroutine on this event loop; when it does not, in a worker thread (so that
    it may use the sync `Client`, which runs a loop of its own)."""
    code = _compiled_block(block)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    if _awaits(code):
        await eval(code, namespace)  # the repository's own example
    else:
        await trio.to_thread.run_sync(exec, code, namespace)


def _compiled_block(block: Block) -> CodeType:
    """`block` compiled with its file's line numbers, top-level ``await`` allowed."""
    text = "\n" * (block.line - 1) + block.code
    code: CodeType = compile(text, str(block.source), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return code


def _awaits(code: CodeType) -> bool:
    """The block awaits at its top level (``await``, ``async with``, ``async for``)."""
    return bool(code.co_flags & inspect.CO_COROUTINE)


def _module_text(block: Block) -> str:
    """`block` as a module mypy can check, its lines where they are in its file: one that
    awaits at its top level becomes the body of an ``async def`` on the line of its fence
    (mypy takes a top-level ``async with`` for a syntax error)."""
    if not _awaits(_compiled_block(block)):
        return "\n" * (block.line - 1) + block.code
    header = "\n" * (block.line - 2) + "async def _example() -> None:\n"
    return header + textwrap.indent(block.code, "    ")


def type_check(blocks: Sequence[Block], *, workdir: Path) -> list[str]:
    """Type-check every python block with one ``mypy --strict`` run (the project's own mypy
    configuration). Each block is a module of its own in `workdir`, its lines where they are
    in its file; one that awaits at its top level (as in ``python -m asyncio``) is checked as
    the body of an ``async def``.

    Returns:
        mypy's messages, each naming the block's own file and line.
    """
    names: dict[str, str] = {}
    for number, block in enumerate(blocks):
        module = workdir / f"example_{number}.py"
        module.write_text(_module_text(block), "utf-8")
        names[module.name] = block.source.relative_to(ROOT).as_posix()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "examples"),
            "--no-error-summary",
            *names,
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    messages = [
        names.get(line.split(":", 1)[0], "") + ":" + line.split(":", 1)[1] if ":" in line else line
        for line in (done.stdout + done.stderr).splitlines()
    ]
    assert done.returncode == 0 or messages, "mypy failed and said nothing"
    return messages


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
