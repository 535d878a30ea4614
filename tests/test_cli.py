"""The `eventide` console script, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environment import without_provider_configuration
from tests.http_server import Reply, openai_chunks, serve_in_thread

SCRIPT = Path(sys.executable).with_name("eventide")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = without_provider_configuration()
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
        check=False,
    )


def test_cli_chat_without_configuration_uses_the_offline_demo() -> None:
    result = run("chat", "hello")
    assert result.returncode == 0, result.stderr
    assert "no provider configured" in result.stderr
    assert "[demo · eventide-demo-1]" in result.stderr
    assert "OPENAI_API_KEY" in result.stderr
    assert result.stdout.startswith("Hello from eventide's offline demo provider!")
    assert "You asked: “hello”" in result.stdout
    assert "[finish: stop · 1 in / " in result.stderr


def test_cli_chat_json_prints_every_event_as_a_json_line() -> None:
    result = run("chat", "--provider", "demo", "--json", "hi")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["kind"] == "metadata"
    assert lines[0]["provider"] == "demo"
    assert lines[-1] == {"kind": "finish", "reason": "stop", "raw_reason": "stop"}
    assert lines[-2]["kind"] == "usage"
    text = "".join(line["text"] for line in lines if line["kind"] == "text_delta")
    assert "You asked: “hi”" in text
    assert {line["kind"] for line in lines} == {
        "metadata",
        "reasoning_delta",
        "text_delta",
        "usage",
        "finish",
    }


def test_cli_chat_streams_from_an_openai_compatible_server() -> None:
    with serve_in_thread(Reply(body=openai_chunks(["Blue ", "sky."], model="llama-3"))) as server:
        base_url = f"{server.url}/v1"
        result = run("chat", "Why is the sky?", "--base-url", base_url, "--model", "llama-3")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Blue sky.\n"
    assert "[openai · llama-3]" in result.stderr
    assert server.requests[0].json()["model"] == "llama-3"
    assert "no provider configured" not in result.stderr


def test_cli_errors_are_one_line_and_exit_non_zero() -> None:
    body = b'{"error":{"message":"Invalid API key","type":"invalid_request_error"}}'
    reply = Reply(status=401, headers=(("content-type", "application/json"),), body=[body])
    with serve_in_thread(reply) as server:
        env = {"OPENAI_BASE_URL": f"{server.url}/v1", "OPENAI_API_KEY": "sk-cli-secret"}
        result = run("chat", "hi", **env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "eventide: error: openai: HTTP 401: Invalid API key"
    )
    assert "sk-cli-secret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["chat"], ["chat", "hi", "--provider", "nope"], []])
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "usage: eventide" in result.stderr


def test_python_dash_m_eventide_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eventide", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("eventide ")


def test_cli_model_string_can_name_its_provider() -> None:
    with serve_in_thread(Reply(body=openai_chunks(["ok"], model="llama3.2:3b"))) as server:
        result = run(
            "chat", "hi", "--model", "openai:llama3.2:3b", OPENAI_BASE_URL=f"{server.url}/v1"
        )
    assert result.returncode == 0, result.stderr
    assert "[openai · llama3.2:3b]" in result.stderr
    assert server.requests[0].json()["model"] == "llama3.2:3b"
