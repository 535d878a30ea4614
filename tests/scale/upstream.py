"""A loopback OpenAI-compatible upstream for the scale-out tests: it answers ``echo <prompt>``,
a 400 to a prompt starting with ``fail``, and a 429 (``Retry-After: 0``) to the first try of a
prompt starting with ``flaky``."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from tests.http_server import Received, Reply, openai_chunks

__all__ = ["Upstream", "rows_of"]


class Upstream:
    """The reply script (call it with a request); counts the tries of every prompt."""

    def __init__(self) -> None:
        self.tries: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, received: Received) -> Reply:
        body = received.json()
        prompt = body["messages"][-1]["content"]
        with self._lock:
            self.tries[prompt] += 1
            tries = self.tries[prompt]
        if prompt.startswith("fail"):
            return _error(400, "invalid_request_error", f"refused: {prompt}")
        if prompt.startswith("flaky") and tries == 1:
            return _error(429, "rate_limit_exceeded", "slow down", retry_after="0")
        return Reply(body=openai_chunks([f"echo {prompt}"], model=body["model"]))


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
