"""The `eventide` console script, run as a user runs it (in a subprocess), and the JSONL
helpers the batch tests share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.environment import without_provider_configuration

if TYPE_CHECKING:
    from collections.abc import Sequence

SCRIPT = Path(sys.executable).with_name("eventide")
RICH_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")  # a test wanting a terminal says so


def environment(**extra: str) -> dict[str, str]:
    """No provider configured and no terminal forced, plus `extra`."""
    clean = without_provider_configuration(*RICH_VARIABLES)
    return {**clean, **extra}


def run(
    *args: str,
    cwd: Path | None = None,
    timeout: float = 60,
    stdin: bytes | str = b"",
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """``eventide ARGS``, to its end (its stdin a pipe holding `stdin`, its stdout and
    stderr pipes)."""
    result = subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        timeout=timeout,
        cwd=cwd,
        env=environment(**env),
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "surrogateescape"),
        result.stderr.decode("utf-8", "surrogateescape"),
    )


def run_batch(
    *args: str, cwd: Path, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """``eventide batch ARGS``, to its end."""
    return run("batch", *args, cwd=cwd, timeout=timeout, **env)


def start_batch(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """``eventide batch ARGS``, started."""
    return subprocess.Popen(
        [str(SCRIPT), "batch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=environment(),
    )


def write_jsonl(path: Path, items: Sequence[dict[str, Any] | str]) -> None:
    lines = [item if isinstance(item, str) else json.dumps(item) for item in items]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def read_records(path: Path) -> list[dict[str, Any]]:
    """OUT's records, checking that it holds complete lines only."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), "OUT ends with a torn line"
    return [json.loads(line) for line in data.splitlines()]


def by_id(records: Sequence[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Records by id, without their timing (the one field that differs between runs)."""
    result = {
        record["id"]: {k: v for k, v in record.items() if k != "timing"} for record in records
    }
    assert len(result) == len(records), "an id has more than one record"
    return result
