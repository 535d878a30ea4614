"""docs/cli.md's shell examples, run as they are written: each ``sh`` block in bash (``set -e``),
offline, in an empty directory holding the files they name."""

from __future__ import annotations

import os
import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.cli.script import SCRIPT, environment
from tests.docs_examples import DOCS

if TYPE_CHECKING:
    from pathlib import Path

BLOCKS = re.findall(r"```sh\n(.*?)```", (DOCS / "cli.md").read_text("utf-8"), flags=re.DOTALL)


def test_cli_page_has_shell_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_cli_page_example_runs(block: str, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("print('hello')\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    env = environment(PATH=f"{SCRIPT.parent}{os.pathsep}{os.environ['PATH']}", HOME=str(tmp_path))
    env.pop("EVENTIDE_CONFIG", None)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout
