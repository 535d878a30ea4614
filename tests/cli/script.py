"""The `eventide` console script, run as a user runs it (in a subprocess), and the JSONL
helpers the batch tests share."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
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


def run_on_terminal(
    *args: str, cwd: Path | None = None, answer_too: bool = True, **env: str
) -> tuple[int, str]:
    """``eventide ARGS`` with stderr (and stdout, `answer_too`) on a pseudo-terminal and an
    empty stdin: its exit status, and everything the terminal received (CRLF read as LF)."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(SCRIPT), *args],
            stdin=subprocess.DEVNULL,
            stdout=terminal if answer_too else subprocess.DEVNULL,
            stderr=terminal,
            cwd=cwd,
            env=environment(TERM="xterm", **env),
        )
        os.close(terminal)
        screen = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and select.select([controller], [], [], 60)[0]:
            try:
                data = os.read(controller, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not data:
                break
            screen += data
        status = process.wait(timeout=60)
    finally:
        os.close(controller)
    return status, screen.decode("utf-8").replace("\r\n", "\n")


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
