"""``eventide serve``: run as a user runs it, on a free port, and queried with the SDK."""

from __future__ import annotations

import signal
import subprocess

import httpx
import openai
import pytest

from eventide.cli import main
from eventide.gateway import check_bind
from tests.cli.script import SCRIPT, environment


def test_serve_subprocess_answers_the_openai_sdk() -> None:
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", "0", "--api-key", "sk-gateway-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        assert process.stderr is not None
        line = ""
        while "serving" not in line:
            line = process.stderr.readline()
            assert line, "eventide serve exited before listening"
        url = line.split(" on ")[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        health = httpx.get(f"{url}/health", timeout=10)
        with openai.OpenAI(base_url=f"{url}/v1", api_key="sk-gateway-key", max_retries=0) as sdk:
            answer = sdk.chat.completions.create(
                model="demo", messages=[{"role": "user", "content": "hello"}]
            )
        assert health.json() == {"status": "ok"}
        assert answer.choices[0].message.content
        assert answer.provider == "demo"  # type: ignore[attr-defined]
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=20)
    assert process.returncode == 0
    log = [entry for entry in errors.splitlines() if entry.startswith("eventide: chat ")]
    assert len(log) == 1
    assert "provider=demo" in log[0]
    assert "outcome=complete" in log[0]
    assert "sk-gateway-key" not in errors


def test_serve_refuses_a_public_bind_without_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 3  # a configuration error
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "refusing to serve on 0.0.0.0 without API keys" in err


def test_check_bind_allows_loopback_and_keys() -> None:
    check_bind("127.0.0.1", api_keys=())
    check_bind("::1", api_keys=())
    check_bind("0.0.0.0", api_keys=("k",))
    check_bind("0.0.0.0", api_keys=(), insecure_no_auth=True)
    with pytest.raises(ValueError, match="refusing"):
        check_bind("example.org", api_keys=())
