"""Every example in docs/observability.md runs as it is, each in a fresh interpreter (they
install global OpenTelemetry providers, which a process can set only once)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "observability.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), flags=re.DOTALL)


def test_docs_page_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("block", BLOCKS, ids=[f"example{i}" for i in range(len(BLOCKS))])
def test_docs_example_runs(block: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTIDE_", "OTEL_"))}
    done = subprocess.run(
        [sys.executable, "-c", block], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
