"""The user programs in tests/port/typing/ pass ``mypy --strict`` (the project's mypy
configuration), in one mypy run for the whole folder, and each ``reveal_type`` shows the
type its ``# revealed:`` comment expects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parent / "typing"
REVEALED = re.compile(r'^(?P<file>[^:]+):(?P<line>\d+): note: Revealed type is "(?P<type>.*)"$')


def run_mypy() -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(PROGRAMS.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def expectations() -> dict[tuple[str, int], re.Pattern[str]]:
    """(file name, line) -> the regex of the ``# revealed:`` comment above each
    ``reveal_type`` line."""
    expected = {}
    for program in sorted(PROGRAMS.glob("*.py")):
        lines = program.read_text().splitlines()
        for number, line in enumerate(lines, start=1):
            comment = line.strip()
            if comment.startswith("# revealed: "):
                assert "reveal_type(" in lines[number], f"{program.name}:{number + 1}"
                expected[program.name, number + 1] = re.compile(comment.split(": ", 1)[1])
    return expected


def test_port_user_programs_pass_mypy_strict_with_precise_types() -> None:
    code, output = run_mypy()
    assert code == 0, output
    assert re.search(r"^Success: no issues found in \d+ source files?$", output, re.MULTILINE), (
        output
    )
    expected = expectations()
    assert expected, "no reveal_type lines to check"
    revealed = {}
    for line in output.splitlines():
        match = REVEALED.match(line)
        if match:
            revealed[Path(match["file"]).name, int(match["line"])] = match["type"]
    assert set(revealed) == set(expected), output
    for where, pattern in expected.items():
        assert pattern.search(revealed[where]), f"{where}: {revealed[where]}"
