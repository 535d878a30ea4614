"""A loopback OpenAI-compatible upstream for the scale-out tests, its fixtures (the Dask and Ray
conftests import them) and the helpers both compare with: it answers ``echo <prompt>``, a 400 to
a prompt starting with ``fail``, a 429 (``Retry-After: 0``) to the first try of a prompt
starting with ``flaky``, and a 429 with ``Retry-After: 2`` to the first try of a prompt starting
with ``pause``."""

from __future__ import annotations

import io
import json
import threading
import time
from collections import Counter
from contextlib import redirect_stderr
from typing import TYPE_CHECKING, Any

import pytest

from eventide.cli._main import main
from tests.http_server import Received, Reply, ScriptedServer, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "KEY",
    "PAUSE",
    "VOLATILE",
    "Upstream",
    "base_url",
    "local_batch",
    "rows_of",
    "stable",
    "upstream",
]

KEY = "sk-scale-test"
VOLATILE = ("timing", "worker", "attempts")
PAUSE = 2  # the seconds of Retry-After a ``pause`` prompt is first answered with


class Upstream:
    """The reply script (call it with a request); counts the tries of every prompt. A prompt
    starting with ``slow`` is answered `latency` seconds late. `starts` holds when each request
    came in (``time.monotonic()``) and its prompt."""

    def __init__(self) -> None:
        self.tries: Counter[str] = Counter()
        self.starts: list[tuple[float, str]] = []
        self.latency = 0.05
        self._lock = threading.Lock()

    def __call__(self, received: Received) -> Reply:
        body = received.json()
        prompt = body["messages"][-1]["content"]
        with self._lock:
            self.starts.append((time.monotonic(), prompt))
            self.tries[prompt] += 1
            tries = self.tries[prompt]
        if prompt.startswith("fail"):
            return _error(400, "invalid_request_error", f"refused: {prompt}")
        if prompt.startswith("flaky") and tries == 1:
            return _error(429, "rate_limit_exceeded", "slow down", retry_after="0")
        if prompt.startswith("pause") and tries == 1:
            return _error(429, "rate_limit_exceeded", "pause", retry_after=str(PAUSE))
        pause = self.latency if prompt.startswith("slow") else 0.0
        body = openai_chunks([f"echo {prompt}"], model=body["model"])
        return Reply(body=body, pause_before_headers=pause)


def _error(status: int, code: str, message: str, *, retry_after: str | None = None) -> Reply:
    payload = {"error": {"message": message, "type": code, "code": code, "param": None}}
    headers = [("content-type", "application/json")]
    if retry_after is not None:
        headers.append(("retry-after", retry_after))
    return Reply(
        status=status, headers=headers, body=[json.dumps(payload).encode()], content_length=True
    )


def rows_of(count: int, *, fail: int = 2, flaky: int = 1) -> list[dict[str, Any]]:
    """`count` batch rows, ids ``r0``...: the first `fail` fail, the next `flaky` are 429ed once."""
    rows = []
    for number in range(count):
        kind = "fail" if number < fail else "flaky" if number < fail + flaky else "ask"
        rows.append({"id": f"r{number}", "prompt": f"{kind} {number}"})
    return rows


@pytest.fixture
def upstream() -> Iterator[tuple[ScriptedServer, Upstream]]:
    """The upstream, in a thread of the test process, and its script."""
    script = Upstream()
    with serve_in_thread(script) as server:
        yield server, script


@pytest.fixture
def base_url(upstream: tuple[ScriptedServer, Upstream]) -> str:
    """The upstream's OpenAI API root."""
    return f"{upstream[0].url}/v1"


def stable(rows: Any) -> dict[Any, dict[str, Any]]:
    """Rows by id, without what differs from run to run (timing, worker, attempts)."""
    by_id: dict[Any, dict[str, Any]] = {}
    for row in rows:
        assert row["id"] not in by_id, f"id {row['id']!r} twice"
        by_id[row["id"]] = {key: value for key, value in row.items() if key not in VOLATILE}
    return by_id


def local_batch(
    rows: list[dict[str, Any]], server: ScriptedServer, tmp_path: Path, monkeypatch: Any
) -> list[dict[str, Any]]:
    """The records of ``eventide batch`` run in this process on the same input."""
    source, out = tmp_path / "in.jsonl", tmp_path / "local.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    argv = ["batch", str(source), "-o", str(out), "--base-url", f"{server.url}/v1"]
    with redirect_stderr(io.StringIO()):
        main([*argv, "--model", "gpt-4o-mini", "--progress", "never"])
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]
