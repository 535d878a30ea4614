"""`eventide.wire` is sans-IO: no module under src/eventide/wire/ may import an I/O library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WIRE = Path(__file__).resolve().parents[2] / "src" / "eventide" / "wire"
FORBIDDEN = frozenset({"trio", "anyio", "httpx", "httpcore", "asyncio"})
WIRE_FILES = sorted(WIRE.rglob("*.py"))


def forbidden_imports(source: str) -> set[str]:
    """The forbidden top-level packages `source` imports, in any form."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif (  # __import__("trio"), importlib.import_module("httpx.x")
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            in {"__import__", "import_module"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found & FORBIDDEN


def test_sans_io_wire_package_has_modules() -> None:
    assert {WIRE / "_sse.py", WIRE / "_driver.py", WIRE / "_openai_chat_encode.py"} <= set(
        WIRE_FILES
    )


@pytest.mark.parametrize("path", WIRE_FILES, ids=lambda path: path.name)
def test_sans_io_wire_module_imports_no_io_library(path: Path) -> None:
    assert forbidden_imports(path.read_text(encoding="utf-8")) == set()


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import trio", "trio"),
        ("import anyio.abc", "anyio"),
        ("import os, httpx as h", "httpx"),
        ("from httpcore import Request", "httpcore"),
        ("from asyncio.tasks import sleep", "asyncio"),
        ("def f():\n    import trio", "trio"),
        ("if TYPE_CHECKING:\n    from httpx import Response", "httpx"),
        ("__import__('anyio')", "anyio"),
        ("importlib.import_module('httpx._types')", "httpx"),
    ],
)
def test_sans_io_checker_finds_every_import_form(source: str, found: str) -> None:
    assert forbidden_imports(source) == {found}
    # The same line naming a harmless package instead is clean: the checker reads the name.
    assert forbidden_imports(source.replace(found, "json")) == set()


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "from .._errors import ProtocolError",
        "from . import trio",  # a module of our own that happens to share the name
        "import trio_tools",
        "x = 'import httpx'",
    ],
)
def test_sans_io_checker_passes_what_is_not_an_io_import(source: str) -> None:
    assert forbidden_imports(source) == set()
