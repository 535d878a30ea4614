"""``eventide``'s entry point: usage errors, exit statuses, ``python -m eventide``, and
the provider a model string names."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.script import run
from tests.http_server import Reply, openai_chunks, serve_in_thread


def test_cli_errors_are_one_line_and_exit_non_zero() -> None:
    body = b'{"error":{"message":"Invalid API key","type":"invalid_request_error"}}'
    reply = Reply(status=401, headers=(("content-type", "application/json"),), body=[body])
    with serve_in_thread(reply) as server:
        url = f"{server.url}/v1"
        result = run("chat", "hi", OPENAI_BASE_URL=url, OPENAI_API_KEY="sk-cli-secret")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "eventide: error: openai: HTTP 401: Invalid API key "
        "(pass --key, or set the provider's key variable)"
    )
    assert "sk-cli-secret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args", [["chat", "hi", "--provider", "nope"], ["chat", "hi", "--unknown"], []]
)
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


@pytest.mark.parametrize("command", [[], ["chat"], ["batch"], ["replay"]])
def test_cli_help_describes_every_option_and_gives_an_example(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "example" in result.stdout
    options = [line for line in result.stdout.splitlines() if line.startswith("  -")]
    assert options
    for line in options:  # a description on the option's line, or on the next one
        described = len(line.split("  ", 2)) == 3 and line.split("  ", 2)[2].strip()
        following = result.stdout.split(line, 1)[1].splitlines()[1:2]
        assert described or (following and following[0].startswith(" " * 20)), line
