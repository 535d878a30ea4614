"""Imports point one way, down the layers of DESIGN.md: `wire` is sans-IO, the built-in
transport speaks HTTP without httpx, exactly one module of eventide imports httpx, and nothing
below the command line imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "eventide"
MODULES = sorted(PACKAGE.rglob("*.py"))
IO_LIBRARIES = frozenset({"trio", "anyio", "httpx", "httpcore", "asyncio"})
ABOVE_WIRE = ("eventide._transport", "eventide.providers", "eventide._stream", "eventide.client")


def imports(source: str, module: str = "eventide.m") -> set[str]:
    """The absolute names of the modules `source` imports (as module `module`), in any form:
    plain and from-imports, relative ones resolved, inside functions or ``TYPE_CHECKING``,
    and ``__import__``/``import_module`` calls with a literal name."""
    package = module.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in {"__import__", "import_module"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts)


def importers_of(packages: frozenset[str]) -> set[str]:
    """The modules of eventide that import any of `packages` (top-level names)."""
    return {
        module_name(path)
        for path in MODULES
        if {name.split(".")[0] for name in imports(path.read_text("utf-8"))} & packages
    }


def test_layers_scan_every_module() -> None:
    names = {module_name(path) for path in MODULES}
    assert {"eventide.wire._sse", "eventide._transport._fast", "eventide._http_source"} <= names


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.parent.name == "wire"], ids=lambda p: p.name
)
def test_layers_wire_imports_no_io_library_and_no_layer_above(path: Path) -> None:
    found = imports(path.read_text("utf-8"), module_name(path))
    assert {name.split(".")[0] for name in found} & IO_LIBRARIES == set()
    assert [name for name in found if name.startswith(ABOVE_WIRE)] == []


def test_layers_only_the_adapter_imports_httpx_and_the_built_in_transport_does_not() -> None:
    importers = importers_of(frozenset({"httpx", "httpcore"}))
    assert importers == {"eventide._transport._httpx"}  # exactly one module of eventide
    built_in = {"eventide._transport._fast", "eventide._transport._h1", "eventide._transport._base"}
    assert built_in <= {module_name(path) for path in MODULES}
    assert importers & built_in == set()


# the command line is the top layer: only it and the ``python -m eventide`` entry point use it
CLI_USERS = frozenset({"eventide.cli", "eventide.__main__"})


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if not module_name(p).startswith(tuple(CLI_USERS))],
    ids=module_name,
)
def test_layers_nothing_below_the_cli_imports_it(path: Path) -> None:
    found = imports(path.read_text("utf-8"), module_name(path))
    assert [
        name for name in found if name == "eventide.cli" or name.startswith("eventide.cli.")
    ] == []


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("import trio", "eventide.wire._sse", "trio"),
        ("import anyio.abc", "eventide.wire._sse", "anyio.abc"),
        ("import os, httpx as h", "eventide.wire._sse", "httpx"),
        ("from httpcore import Request", "eventide.wire._sse", "httpcore"),
        ("def f():\n    import trio", "eventide.wire._sse", "trio"),
        ("if TYPE_CHECKING:\n    from httpx import Response", "eventide.wire._sse", "httpx"),
        ("__import__('anyio')", "eventide.wire._sse", "anyio"),
        ("importlib.import_module('httpx._types')", "eventide.wire._sse", "httpx._types"),
        ("from .._transport import X", "eventide.wire._sse", "eventide._transport"),
        ("from ..providers._http import P", "eventide.wire._sse", "eventide.providers._http"),
        ("from . import _sse", "eventide.wire._openai", "eventide.wire._sse"),
    ],
)
def test_layers_checker_finds_every_import_form(source: str, module: str, expected: str) -> None:
    assert expected in imports(source, module)


@pytest.mark.parametrize(
    ("source", "absent"),
    [
        ("import os", "httpx"),
        ("from .._errors import E", "eventide._transport"),
        ("from . import trio", "trio"),  # a module of our own that happens to share the name
        ("import trio_tools", "trio"),
        ("x = 'import httpx'", "httpx"),
    ],
)
def test_layers_checker_passes_what_is_not_such_an_import(source: str, absent: str) -> None:
    found = imports(source, "eventide.wire._sse")
    assert [name for name in found if name == absent or name.startswith(f"{absent}.")] == []
