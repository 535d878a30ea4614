"""What ``eventide chat`` shows: on a real pseudo-terminal (reasoning dimmed in its own block,
the answer plain, the closing line), without one or with NO_COLOR (no styling at all), a tool
call line, ``--no-stream``, ``--json``'s error record, and Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from typing import TYPE_CHECKING

from eventide import Finish, Metadata, ReasoningDelta, TextDelta, ToolCall, Usage
from eventide.wire import encode_chat_stream
from tests.cli.script import SCRIPT, environment, run, run_on_terminal
from tests.http_server import Cut, Pause, Piece, Reply, Stall, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventide import Event

DIM = "\x1b[2m"
RESET = "\x1b[0m"

THINKING: Sequence[Event] = [
    Metadata("openai", "o-think", "o-think"),
    ReasoningDelta("Rayleigh "),
    ReasoningDelta("scattering."),
    TextDelta("Blue light "),
    TextDelta("scatters most."),
    Usage(input_tokens=7, output_tokens=11, total_tokens=18),
    Finish("stop", "stop"),
]


def test_chat_on_a_terminal_dims_all_but_the_answer() -> None:
    with serve_in_thread(Reply(body=[encode_chat_stream(THINKING)])) as server:
        status, screen = run_on_terminal(
            "chat", "Why is the sky blue?", "--base-url", f"{server.url}/v1"
        )
    assert status == 0, screen
    assert f"{DIM}[openai · o-think]{RESET}\n" in screen
    assert f"{DIM}Rayleigh scattering.{RESET}\n\n" in screen  # its own block
    answer = screen.split(f"{RESET}\n\n", 1)[1]
    assert answer.startswith("Blue light scatters most.\n")  # plain: no escape before it
    closing = screen.strip().splitlines()[-1]
    assert closing.startswith(f"{DIM}[finish: stop · 7 in / 11 out tokens · first token ")
    assert closing.endswith(f" s]{RESET}")


def test_chat_never_styles_with_no_color_or_without_a_terminal() -> None:
    with serve_in_thread(Reply(body=[encode_chat_stream(THINKING)])) as server:
        url = f"{server.url}/v1"
        status, screen = run_on_terminal("chat", "hi", "--base-url", url, NO_COLOR="1")
        piped = run("chat", "hi", "--base-url", url)
    assert status == 0, screen
    assert "\x1b[" not in screen
    assert "Rayleigh scattering.\n\nBlue light scatters most.\n" in screen
    assert "[finish: stop · 7 in / 11 out tokens · first token " in screen
    assert piped.returncode == 0, piped.stderr
    assert "\x1b[" not in piped.stdout + piped.stderr
    assert piped.stdout == "Blue light scatters most.\n"
    assert piped.stderr.startswith("[openai · o-think]\nRayleigh scattering.\n\n[finish: stop")


def test_chat_shows_a_tool_call_as_one_line() -> None:
    events: list[Event] = [
        Metadata("openai", "gpt-4o", "gpt-4o"),
        ToolCall(0, "call_1", "get_weather", '{"city": "Paris",\n "unit": "C"}'),
        Finish("tool_calls", "tool_calls"),
    ]
    with serve_in_thread(Reply(body=[encode_chat_stream(events)])) as server:
        result = run("chat", "Weather?", "--base-url", f"{server.url}/v1")
    assert result.returncode == 0, result.stderr
    assert '[call get_weather({"city": "Paris", "unit": "C"})]\n' in result.stderr
    assert "[finish: tool_calls" in result.stderr


def test_chat_no_stream_prints_the_same_once_complete() -> None:
    with serve_in_thread(Reply(body=[encode_chat_stream(THINKING)])) as server:
        url = f"{server.url}/v1"
        streamed = run("chat", "hi", "--base-url", url)
        held = run("chat", "hi", "--base-url", url, "--no-stream")
        held_json = run("chat", "hi", "--base-url", url, "--no-stream", "--json")
    assert held.returncode == held_json.returncode == 0, held.stderr
    assert held.stdout == streamed.stdout == "Blue light scatters most.\n"
    assert [json.loads(line)["kind"] for line in held_json.stdout.splitlines()] == [
        "metadata",
        "reasoning_delta",
        "reasoning_delta",
        "text_delta",
        "text_delta",
        "usage",
        "finish",
    ]


def test_chat_json_ends_a_failure_with_an_error_record() -> None:
    cut = Reply(body=[*openai_chunks(["Half ", "an answer"])[:2], Cut()])
    with serve_in_thread(cut) as server:
        result = run("chat", "hi", "--json", "--base-url", f"{server.url}/v1")
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["kind"] for record in records] == ["metadata", "text_delta", "error"]
    error = records[-1]["error"]
    assert error["kind"] == "protocol"
    assert error["provider"] == "openai"
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("eventide: error: openai: ")


def test_chat_json_records_a_configuration_error_too() -> None:
    result = run("chat", "hi", "--json", EVENTIDE_PROVIDER="foo")
    assert result.returncode == 3
    record = json.loads(result.stdout)
    assert record["kind"] == "error"
    assert record["error"]["kind"] == "configuration"
    assert "EVENTIDE_PROVIDER='foo' is not a provider" in record["error"]["message"]


def test_chat_ctrl_c_prints_what_arrived_closes_the_stream_and_exits_130() -> None:
    body: list[Piece] = [*openai_chunks(["Partial answer"])[:2], Pause(0.05), Stall()]
    with serve_in_thread(Reply(body=body)) as server:
        process = subprocess.Popen(
            [str(SCRIPT), "chat", "hi", "--base-url", f"{server.url}/v1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(),
        )
        assert process.stdout is not None
        assert process.stdout.read(len("Partial answer")) == b"Partial answer"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        server.wait_disconnect_sync(timeout=5)
    assert process.returncode == 130, err
    assert out == b"\n"  # "Partial answer" was read above; its line is ended
    assert b"Traceback" not in err
    assert err.decode().strip().splitlines()[-1] == "eventide: error: interrupted"


def test_chat_timeout_is_a_budget_for_the_whole_answer() -> None:
    with serve_in_thread(Reply(body=[*openai_chunks(["Half"])[:2], Stall()])) as server:
        started = time.monotonic()
        result = run("chat", "hi", "--base-url", f"{server.url}/v1", "--timeout", "0.5")
        took = time.monotonic() - started
    assert result.returncode == 1
    assert result.stdout == "Half\n"  # what arrived, its line ended
    assert result.stderr.splitlines()[-1] == (
        "eventide: error: openai: no event within the total timeout of 0.5 s "
        "(--timeout sets the budget for the whole answer)"
    )
    assert took < 20
