"""The checks a reviewer would run: ruff (lint and format) and mypy --strict, on everything."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(sys.executable).parent
# every place the repository keeps Python: the package, its tests and benchmarks, and the
# MkDocs hooks that build the documentation site
PATHS = ["src", "tests", "benchmarks", "docs/_hooks"]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", *PATHS],
        ["ruff", "format", "--check", *PATHS],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_lint_clean(command: list[str]) -> None:
    result = subprocess.run(
        [str(TOOLS / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_covers_every_python_file() -> None:
    """No Python file in the repository escapes the checks: each is under one of `PATHS`, and
    mypy's configured ``files`` are those same paths."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert listed
    unchecked = [name for name in listed if not name.startswith(tuple(f"{p}/" for p in PATHS))]
    assert not unchecked, f"Python files outside ruff's and mypy's paths: {unchecked}"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert config["tool"]["mypy"]["files"] == PATHS
