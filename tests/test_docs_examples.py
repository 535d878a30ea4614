"""Every ``python`` block of README.md, of every page under docs/ and of every docstring in
src/eventide is run by a test, or marked as not runnable with its reason and type-checked.

The convention: a block fenced as plain ``python`` runs. On a page, one that defines
``test_*`` functions has them called (tests/docs_examples.py); one that does not runs as a
script, as a reader would paste it. A block that cannot run offline is fenced
``python title="Not run: <reason>"`` (Material shows the title above it); those blocks are
type-checked, all of them by one ``mypy --strict`` run. Pages whose blocks need a test of
their own (a fresh interpreter, their own fixtures) are listed in `OWN_TESTS`, found by the
test modules that read them.

Docstrings follow the same convention (mkdocstrings renders them as Markdown): an example is
a fenced block naming its language. A ``python`` one is complete (it imports what it uses
and runs against the offline demo provider or a scripted one), runs as pasted into
``python -m asyncio`` (top-level ``await`` allowed) and is type-checked too; ``toml`` and
``json`` ones must parse; ``text`` is a drawing. No reStructuredText ``::`` literal blocks.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.docs_examples import (
    DOCS,
    Block,
    docstring_blocks,
    docstrings,
    page_blocks,
    python_blocks,
    run_block,
    run_example,
    run_script,
    test_name,
    type_check,
)

if TYPE_CHECKING:
    import trio.testing

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


DOCSTRING_BLOCKS = docstring_blocks()
DOCSTRING_LANGUAGES = {"python", "toml", "json", "text"}
RUN_DOCSTRINGS = [
    block for block in DOCSTRING_BLOCKS if block.language == "python" and not block.not_run
]


def test_docstring_examples_are_fenced_and_say_what_they_are() -> None:
    """Every docstring example is a fenced block in one of `DOCSTRING_LANGUAGES`, marked only
    as a python block may be ("Not run: <reason>"); none is a ``::`` literal block."""
    literal = [
        f"{path.relative_to(ROOT)}:{start + offset}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for start, lines in docstrings(path)
        for offset, line in enumerate(lines)
        if line.rstrip().removesuffix('"""').endswith("::")
    ]
    assert not literal, f"reStructuredText literal blocks; fence them instead: {literal}"
    wrong = [
        f"{block.where}: ```{block.language} {block.options}"
        for block in DOCSTRING_BLOCKS
        if block.language not in DOCSTRING_LANGUAGES
        or (block.options and not (block.language == "python" and block.not_run))
    ]
    assert not wrong, (
        "a docstring block neither runs, nor says why not, nor is data:\n" + "\n".join(wrong)
    )
    assert len(DOCSTRING_BLOCKS) >= 15
    assert len(RUN_DOCSTRINGS) >= 8


def test_docstring_data_examples_parse() -> None:
    """``toml`` blocks are TOML documents; ``json`` blocks JSON lines, as the files are."""
    data = [block for block in DOCSTRING_BLOCKS if block.language in {"toml", "json"}]
    assert {block.language for block in data} == {"toml", "json"}
    for block in data:
        try:
            if block.language == "toml":
                tomllib.loads(block.code)
            for line in block.code.splitlines() if block.language == "json" else []:
                json.loads(line)
        except ValueError as exc:
            raise AssertionError(f"{block.where}: not {block.language}: {exc}") from exc


@pytest.mark.parametrize("block", RUN_DOCSTRINGS, ids=[block.where for block in RUN_DOCSTRINGS])
async def test_docstring_example_runs(block: Block) -> None:
    await run_block(block)


async def test_batch_docstring_examples_print_one_line_per_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`AsyncClient.batch`'s example and `BatchResult`'s (the sync `Client`'s batch)."""
    [batch_example] = [
        b for b in RUN_DOCSTRINGS if b.where.startswith("src/eventide/client/_async")
    ]
    [result_example] = [
        b for b in RUN_DOCSTRINGS if b.where.startswith("src/eventide/client/_batch")
    ]
    await run_block(batch_example)
    await run_block(result_example)
    printed = sorted(capsys.readouterr().out.splitlines())
    assert len(printed) == 4
    assert all(line.split()[1] == "demo" for line in printed)
    assert {line.split()[0] for line in printed} == {"0", "1", "a", "b"}


def test_examples_not_run_type_check(tmp_path: Path) -> None:
    """The blocks marked "Not run" in README.md and docs/, and every python block of a
    docstring, pass ``mypy --strict`` (one run for all of them: it is slow to start)."""
    not_run = [
        block
        for page in PAGES
        for block in page_blocks(page)
        if block.language == "python" and block.not_run
    ]
    assert {"README.md", "routing.md", "scale-out.md"} <= {block.source.name for block in not_run}
    checked = [*not_run, *(block for block in DOCSTRING_BLOCKS if block.language == "python")]
    assert len(checked) >= 15
    errors = type_check(checked, workdir=tmp_path)
    assert not errors, "examples that do not type-check:\n" + "\n".join(errors)
