"""``eventide chat``, run as a user runs it: the console script in a subprocess."""

from __future__ import annotations

import json

from eventide import Event, Finish, Metadata, RefusalDelta
from eventide.wire import encode_chat_stream
from tests.cli.script import run
from tests.http_server import Reply, openai_chunks, serve_in_thread


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
    assert lines[-1] == {"kind": "finish", "reason": "stop", "raw_reason": "stop", "model": None}
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


def test_cli_chat_refuses_arguments_that_are_not_utf8_in_one_line() -> None:
    """A byte that is not UTF-8 in an argument reaches Python as a lone surrogate, which
    no request can carry: a usage error naming the argument, not a traceback."""
    for args in (["\udcff bad byte"], ["hi", "--system", "\udcfe"], ["hi", "--model", "m\udcff"]):
        result = run("chat", *args, "--provider", "demo")
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[-1].startswith("eventide chat: error: argument ")
        assert "text is not valid Unicode: a lone surrogate U+DC" in result.stderr


def test_cli_chat_prints_a_refusal_as_the_answer() -> None:
    events: list[Event] = [
        Metadata("openai", "gpt-4o", "gpt-4o"),
        RefusalDelta("I can't help "),
        RefusalDelta("with that."),
        Finish("stop", "stop"),
    ]
    with serve_in_thread(Reply(body=[encode_chat_stream(events)])) as server:
        result = run("chat", "Do the bad thing", "--base-url", f"{server.url}/v1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "I can't help with that.\n"
