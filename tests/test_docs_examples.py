"""Every ``python`` block of README.md and of every page under docs/ is run by a test, or
marked as not runnable with its reason.

The convention: a block fenced as plain ``python`` runs. One that defines ``test_*``
functions has them called (tests/docs_examples.py); one that does not runs as a script, as a
reader would paste it. A block that cannot run offline is fenced
``python title="Not run: <reason>"`` (Material shows the title above it). Pages whose blocks
need a test of their own (a fresh interpreter, their own fixtures) are listed in `OWN_TESTS`,
found by the test modules that read them.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from eventide import AsyncClient, BatchResult
from tests.docs_examples import DOCS, python_blocks, run_example, run_script, test_name

if TYPE_CHECKING:
    import trio.testing

    from eventide.client import BatchItem

ROOT = DOCS.parent
README = "../README.md"
NOT_RUN = re.compile(r'python title="Not run: [^"]{8,}"')
FENCE = re.compile(r"^\s*```+\s*(\S*)(.*)$", flags=re.MULTILINE)
PYTHON_WORDS = {"python", "py", "python3", "pycon", "pyi"}


def _own_tests() -> dict[str, str]:
    """The pages whose examples another test module runs (it reads their python blocks),
    each with that module: page -> module."""
    owned: dict[str, str] = {}
    for module in sorted((ROOT / "tests").rglob("*.py")):
        if module.name in {"test_docs_examples.py", "docs_examples.py"}:
            continue
        text = module.read_text("utf-8")
        if "python_blocks" not in text and "```python" not in text:
            continue
        for page in re.findall(r"[\"/]([\w/-]+\.md)\"", text):
            if (DOCS / page).is_file():
                owned.setdefault(page, module.relative_to(ROOT).as_posix())
    return owned


OWN_TESTS = _own_tests()
# pages whose test functions run under trio's autojump clock (retries, backoff, timeouts)
CLOCK_PAGES = {"routing.md", "how-to/fallback.md"}


def _pages() -> list[str]:
    found = sorted(
        path.relative_to(DOCS).as_posix()
        for path in DOCS.rglob("*.md")
        if "_hooks" not in path.parts
    )
    return [README, *found]


PAGES = _pages()
RUN = [(page, block) for page in PAGES if page not in OWN_TESTS for block in python_blocks(page)]


def _id(page: str, block: str) -> str:
    name = test_name(block)
    return f"{Path(page).stem}:{name if name != 'no-test' else 'script'}"


def test_every_python_block_runs_or_says_why_not() -> None:
    wrong = []
    for page in PAGES:
        for match in FENCE.finditer((DOCS / page).read_text("utf-8")):
            word, rest = match.group(1), match.group(2)
            language = word.split("{")[0].lower()
            if language not in PYTHON_WORDS:
                continue
            if word == "python" and not rest.strip():
                continue  # runs
            if word == "python" and NOT_RUN.fullmatch("python" + rest.rstrip()):
                continue  # marked, with a reason
            wrong.append(f"{page}: ```{word}{rest}")
    assert not wrong, "a python block neither runs nor says why not:\n" + "\n".join(wrong)


def test_pages_with_their_own_example_tests_are_run_there() -> None:
    assert {"observability.md", "recording.md", "stages.md", "testing.md"} <= set(OWN_TESTS)
    for page, module in OWN_TESTS.items():
        assert python_blocks(page), page
        assert page in (ROOT / module).read_text("utf-8"), (page, module)


def test_the_examples_include_the_tutorial_and_the_guides() -> None:
    pages = {page for page, _ in RUN}
    assert {README, "routing.md", "tutorial/first-stream.md", "how-to/tools.md"} <= pages
    assert len(RUN) >= 25


@pytest.mark.parametrize(
    ("page", "block"),
    [(p, b) for p, b in RUN if p not in CLOCK_PAGES],
    ids=[_id(p, b) for p, b in RUN if p not in CLOCK_PAGES],
)
async def test_docs_example_runs(
    page: str, block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if test_name(block) == "no-test":
        await run_script(page, block)
    else:
        await run_example(page, block, tmp_path=tmp_path, monkeypatch=monkeypatch)


@pytest.mark.parametrize(
    ("page", "block"),
    [(p, b) for p, b in RUN if p in CLOCK_PAGES],
    ids=[_id(p, b) for p, b in RUN if p in CLOCK_PAGES],
)
async def test_docs_example_runs_on_a_virtual_clock(
    page: str,
    block: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    autojump_clock: trio.testing.MockClock,
) -> None:
    await run_example(
        page, block, tmp_path=tmp_path, monkeypatch=monkeypatch, autojump_clock=autojump_clock
    )


def _docstring_examples(obj: object) -> list[str]:
    """The literal blocks (after a line ending in ``::``) of `obj`'s docstring, dedented."""
    return _literal_blocks(inspect.cleandoc(obj.__doc__ or ""))


async def test_batch_docstring_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    [batch_example] = _docstring_examples(AsyncClient.batch)
    [result_example] = _docstring_examples(BatchResult)
    requests: list[BatchItem] = ["one", {"id": "b", "prompt": "two"}]
    async with AsyncClient("demo") as client:
        namespace: dict[str, Any] = {"client": client, "requests": requests}
        exec("async def example():\n" + textwrap.indent(batch_example, "    "), namespace)
        await namespace["example"]()
        async with client.batch(requests) as results:
            async for result in results:
                exec(result_example, {"result": result})
    printed = sorted(capsys.readouterr().out.splitlines())
    assert len(printed) == 4
    assert all(line.split()[1] == "demo" for line in printed)
    assert {line.split()[0] for line in printed} == {"0", "b"}


# literal blocks in docstrings that are not Python: module -> the block's first line
NOT_PYTHON = {
    "eventide/_errors.py": "Error ",  # the exception tree, drawn
    "eventide/cli/_output.py": '{"id", "provider"',  # the shape of a JSON record
    "eventide/cli/_logstore.py": "conversations (",  # the tables, drawn
}


def _source_docstring_blocks() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                where = path.relative_to(ROOT / "src").as_posix()
                found += [(where, block) for block in _literal_blocks(ast.get_docstring(node))]
    return found


def _literal_blocks(doc: str | None) -> list[str]:
    lines = (doc or "").splitlines()
    blocks = []
    for number, line in enumerate(lines):
        if line.endswith("::"):
            body = itertools.takewhile(lambda text: not text or text[0] == " ", lines[number + 2 :])
            blocks.append(textwrap.dedent("\n".join(body)).strip())
    return blocks


def test_docstring_examples_are_python() -> None:
    """Every literal block of a docstring in src/ parses as Python (awaits allowed, as in a
    coroutine), except the drawings `NOT_PYTHON` names."""
    blocks = _source_docstring_blocks()
    assert len(blocks) >= 10
    for where, block in blocks:
        if block.startswith(NOT_PYTHON.get(where, "\0")):
            continue
        try:
            compile(block, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError as exc:
            raise AssertionError(f"{where}: a docstring example is not Python:\n{block}") from exc


def test_blocks_marked_not_run_are_still_python() -> None:
    marked = [
        (page, block)
        for page in PAGES
        for block in re.findall(
            r'```python title="Not run: [^"]*"\n(.*?)```',
            (DOCS / page).read_text("utf-8"),
            flags=re.DOTALL,
        )
    ]
    assert len(marked) >= 4
    for page, block in marked:
        compile(block, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
