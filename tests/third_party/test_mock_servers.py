"""`OpenAIChat` and `Anthropic` against third-party mock LLM servers installed from PyPI.

The rest of the suite checks eventide against the project's own reading of the OpenAI and
Anthropic streaming formats. Here the bytes come from mock servers that other people wrote
to imitate those APIs, run as real processes on 127.0.0.1:

- ``fakellm`` (YAML rules; streams word by word; OpenAI stream without usage).
- ``llm-mock-api`` (a Python port of the ``llm-mock-server`` npm package; scripted through
  its Python API; character chunks, usage, thinking blocks, HTTP error replies; it also
  validates every request body with its own schema, so a malformed body is a 400 here).

Each server is scripted with exact replies, and the tests assert those replies, the event
order eventide promises, the usage and finish reasons the servers send, and that an early
close (`first_metadata`) does not read the rest of a long stream.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import re
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Final

import pytest

import eventide
from eventide import (
    BadRequestError,
    Event,
    Message,
    Metadata,
    OverloadedError,
    ProviderError,
    RateLimitError,
    ReasoningDelta,
    Request,
    ServerError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
)
from eventide.providers import Anthropic, OpenAIChat
from tests.contract import assert_keeps_contract

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from eventide.providers import Provider

HOST: Final = "127.0.0.1"
STARTUP_TIMEOUT: Final = 30.0  # seconds for a server process to accept connections
STOP_TIMEOUT: Final = 10.0  # seconds for a server process to exit after SIGTERM
OPENAI_MODEL: Final = "mock-gpt-4o"
ANTHROPIC_MODEL: Final = "mock-claude-sonnet"
API_KEY: Final = "test"

# A reply long enough that reading all of it takes far longer than the early-close budget.
LONG_WORDS: Final = 400  # fakellm sleeps 10 ms after each word: at least 4 s in all
LONG_TEXT: Final = " ".join(f"w{i}" for i in range(LONG_WORDS))
EARLY_CLOSE_BUDGET: Final = 2.0  # seconds for first_metadata on a long stream


# --- running a server process ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-4000:]


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"mock server exited with {process.returncode} before listening:\n"
                f"{_log_tail(log_path)}"
            )
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"mock server not listening on {HOST}:{port} after {STARTUP_TIMEOUT} s:\n"
                    f"{_log_tail(log_path)}"
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05)  # the pause between tries ends if the server dies


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _running(argv: Sequence[str], *, port: int, workdir: Path) -> Iterator[str]:
    """Run `argv` in `workdir` until the block ends; yield the server's root URL."""
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_listening(process, port, log_path)
            yield f"http://{HOST}:{port}"
        finally:
            _stop(process)


def _require(module: str, requirement: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{requirement} is not installed: pip install -e '.[test]'")


# --- fakellm ------------------------------------------------------------------------------

FAKELLM_HELLO: Final = "Hi there, from a third-party mock."
FAKELLM_HEADER_REPLY: Final = "Matched on a request header."
FAKELLM_SCENARIO_HEADER: Final = "x-eventide-scenario"
FAKELLM_TOOL_ARGUMENTS: Final = {"city": "Paris", "unit": "celsius"}
FAKELLM_ECHO: Final = re.compile(r"\[mock response for (?P<model>[^,]+), fingerprint [0-9a-f]{8}\]")

# fakellm reads YAML; JSON is YAML too, and json.dumps quotes every string exactly.
FAKELLM_CONFIG: Final = {
    "version": 1,
    "defaults": {"fallback": "deterministic_echo"},
    "rules": [
        {
            "name": "scenario_header",
            "when": {f"header.{FAKELLM_SCENARIO_HEADER}": "custom"},
            "respond": {"content": FAKELLM_HEADER_REPLY},
        },
        {
            "name": "weather_tool",
            "when": {"messages_contain": "weather"},
            "respond": {
                "tool_calls": [{"name": "get_weather", "arguments": FAKELLM_TOOL_ARGUMENTS}]
            },
        },
        {
            "name": "long",
            "when": {"messages_contain": "long answer"},
            "respond": {"content": LONG_TEXT},
        },
        {
            "name": "hello",
            "when": {"messages_contain": "hello"},
            "respond": {"content": FAKELLM_HELLO},
        },
    ],
}


@pytest.fixture(scope="module")
def fakellm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require("fakellm", "fakellm")
    workdir = tmp_path_factory.mktemp("fakellm")
    config = workdir / "fakellm.yaml"
    config.write_text(json.dumps(FAKELLM_CONFIG, indent=2))
    port = _free_port()
    argv = [sys.executable, "-m", "fakellm.cli", "serve", "--host", HOST, "--port", str(port)]
    with _running([*argv, "--config", str(config)], port=port, workdir=workdir) as url:
        yield url


# --- llm-mock-api -------------------------------------------------------------------------

LMA_HELLO: Final = "Hello from llm-mock-api, in chunks!"
LMA_CHUNK: Final = 4  # characters per text delta (the server's default_chunk_size here)
LMA_REASONING: Final = "Six times seven is forty-two."
LMA_ANSWER: Final = "42."
LMA_TOOL_TEXT: Final = "Checking."
LMA_TOOL_ID: Final = "call_weather_1"
LMA_TOOL_RESULT: Final = "It is sunny in Paris."
LMA_SYSTEM_REPLY: Final = "Arr, matched on the system prompt and the tool."
LMA_ERRORS: Final = {
    400: "Bad input (mock)",
    429: "Slow down (mock)",
    500: "Boom (mock)",
    503: "Overloaded (mock)",
    529: "Overloaded (mock)",
}
# The error type the Anthropic API documents for each status.
LMA_ANTHROPIC_TYPES: Final = {
    400: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
LMA_LONG_LATENCY_MS: Final = 20
LMA_LONG_CHUNK: Final = 5  # len(LONG_TEXT) / 5 chunks of 20 ms: far longer than the budget

# Rules are tried in order, first match wins; a string matches the last user message.
LLM_MOCK_API_SERVER: Final = f"""
import asyncio
import sys

from llm_mock_api import MockServer, MockServerOptions
from llm_mock_api.types.reply import ErrorReply, ReplyObject, ReplyOptions, ToolCall, Usage
from llm_mock_api.types.rule import MatchObject


async def main() -> None:
    server = MockServer(
        MockServerOptions(
            host={HOST!r}, port=int(sys.argv[1]), default_latency=0,
            default_chunk_size={LMA_CHUNK},
        )
    )
    server.when_tool_result({LMA_TOOL_ID!r}).reply(
        ReplyObject(text={LMA_TOOL_RESULT!r}, usage=Usage(input=30, output=6))
    )
    server.when(MatchObject(system="pirate", tool_name="get_weather")).reply(
        {LMA_SYSTEM_REPLY!r}
    )
    server.when("hello").reply(ReplyObject(text={LMA_HELLO!r}, usage=Usage(input=7, output=11)))
    server.when("think").reply(
        ReplyObject(
            text={LMA_ANSWER!r}, reasoning={LMA_REASONING!r}, usage=Usage(input=3, output=9)
        )
    )
    server.when("weather").reply(
        ReplyObject(
            text={LMA_TOOL_TEXT!r},
            tools=[ToolCall(id={LMA_TOOL_ID!r}, name="get_weather", args={{"city": "Paris"}})],
            usage=Usage(input=12, output=8),
        )
    )
    server.when("long answer").reply(
        {LONG_TEXT!r}, ReplyOptions(latency={LMA_LONG_LATENCY_MS}, chunk_size={LMA_LONG_CHUNK})
    )
    # The mock's own default error type: "server_error" (OpenAI), "api_error" (Anthropic).
    for status, message in {LMA_ERRORS!r}.items():
        server.when(f"status {{status}}").reply(
            ReplyObject(error=ErrorReply(status=status, message=message))
        )
    for status, type_ in {LMA_ANTHROPIC_TYPES!r}.items():
        server.when(MatchObject(message=f"typed {{status}}", format="anthropic")).reply(
            ReplyObject(error=ErrorReply(status=status, message={LMA_ERRORS!r}[status], type=type_))
        )
    await server.run_until_shutdown()  # until SIGTERM


asyncio.run(main())
"""


@pytest.fixture(scope="module")
def llm_mock_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require("llm_mock_api", "llm-mock-api")
    workdir = tmp_path_factory.mktemp("llm_mock_api")
    script = workdir / "server.py"
    script.write_text(LLM_MOCK_API_SERVER)
    port = _free_port()
    argv = [sys.executable, str(script), str(port)]
    with _running(argv, port=port, workdir=workdir) as url:
        yield url


# --- helpers ----------------------------------------------------------------------------------


def _provider(kind: str, root: str, *, headers: Mapping[str, str] | None = None) -> Provider:
    if kind == "openai":
        return OpenAIChat(
            base_url=f"{root}/v1", api_key=API_KEY, model=OPENAI_MODEL, headers=headers
        )
    return Anthropic(base_url=root, api_key=API_KEY, model=ANTHROPIC_MODEL, headers=headers)


def _model(kind: str) -> str:
    return OPENAI_MODEL if kind == "openai" else ANTHROPIC_MODEL


async def _events(provider: Provider, request: Request | str) -> list[Event]:
    async with provider.stream(request) as stream:
        return [event async for event in stream]


def _assert_event_contract(events: Sequence[Event], kind: str) -> Metadata:
    """The event contract of a complete response, and a Metadata naming the provider and the
    model."""
    assert_keeps_contract(events)
    first = events[0]
    assert isinstance(first, Metadata), events
    assert first.provider == kind
    assert first.model == _model(kind)  # both servers echo the requested model
    assert first.requested_model == _model(kind)
    return first


def _texts(events: Sequence[Event]) -> list[str]:
    return [event.text for event in events if isinstance(event, TextDelta)]


KINDS: Final = pytest.mark.parametrize("kind", ["openai", "anthropic"])


# --- fakellm tests ----------------------------------------------------------------------------


@KINDS
async def test_fakellm_streams_the_scripted_text(fakellm_url: str, kind: str) -> None:
    async with _provider(kind, fakellm_url) as provider:
        events = await _events(provider, "Say hello")
        completion = await eventide.collect(provider.stream("Say hello"))

    metadata = _assert_event_contract(events, kind)
    assert metadata.response_id is not None
    assert metadata.response_id.startswith("chatcmpl-" if kind == "openai" else "msg_")
    # fakellm streams the content word by word, each word after the first with its space.
    words = FAKELLM_HELLO.split(" ")
    assert _texts(events) == [words[0], *(f" {word}" for word in words[1:])]

    assert completion.text == FAKELLM_HELLO
    assert completion.provider == kind
    assert completion.model == _model(kind)
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == ()
    assert completion.reasoning == ""
    if kind == "openai":
        # fakellm ignores stream_options.include_usage: no usage chunk, so no guess either.
        assert completion.raw_finish_reason == "stop"
        assert completion.usage is None
    else:
        # message_start says 1 output token; message_delta the final len(text) // 4.
        assert completion.raw_finish_reason == "end_turn"
        assert completion.usage is not None
        assert completion.usage.input_tokens == 1
        assert completion.usage.output_tokens == len(FAKELLM_HELLO) // 4
        assert completion.usage.total_tokens == 1 + len(FAKELLM_HELLO) // 4


@KINDS
async def test_fakellm_streams_a_tool_call_in_pieces(fakellm_url: str, kind: str) -> None:
    request = Request(
        messages=[Message.user("What is the weather in Paris?")],
        tools=[ToolSpec("get_weather", "Current weather", {"type": "object"})],
    )
    async with _provider(kind, fakellm_url) as provider:
        events = await _events(provider, request)
        completion = await eventide.collect(provider.stream(request))

    _assert_event_contract(events, kind)
    deltas = [event for event in events if isinstance(event, ToolCallDelta)]
    assert len(deltas) > 1  # fakellm splits the arguments JSON into up to 4 pieces
    assert deltas[0].name == "get_weather"
    assert deltas[0].id is not None
    calls = [event for event in events if isinstance(event, ToolCall)]
    assert len(calls) == 1
    assert calls[0].id == deltas[0].id
    assert calls[0].arguments == "".join(delta.arguments for delta in deltas)

    assert completion.text == ""
    (call,) = completion.tool_calls
    assert call.name == "get_weather"
    assert call.id.startswith("call_" if kind == "openai" else "toolu_")
    assert call.arguments_valid
    assert call.parsed == FAKELLM_TOOL_ARGUMENTS
    assert completion.finish_reason == "tool_calls"
    assert completion.raw_finish_reason == ("tool_calls" if kind == "openai" else "tool_use")


@KINDS
async def test_fakellm_sees_the_extra_request_headers(fakellm_url: str, kind: str) -> None:
    headers = {FAKELLM_SCENARIO_HEADER: "custom"}
    async with _provider(kind, fakellm_url, headers=headers) as provider:
        completion = await eventide.collect(provider.stream("Say hello"))
    assert completion.text == FAKELLM_HEADER_REPLY
    assert completion.finish_reason == "stop"


@KINDS
async def test_fakellm_deterministic_echo_fallback(fakellm_url: str, kind: str) -> None:
    """No rule matches: fakellm answers with a fingerprint of the request body it received."""
    async with _provider(kind, fakellm_url) as provider:
        first = await eventide.collect(provider.stream("Nothing matches this prompt"))
        again = await eventide.collect(provider.stream("Nothing matches this prompt"))
        other = await eventide.collect(provider.stream("Nor does this other prompt"))
    match = FAKELLM_ECHO.fullmatch(first.text)
    assert match is not None, first.text
    assert match["model"] == _model(kind)
    assert again.text == first.text  # the same request body, byte for byte in meaning
    assert other.text != first.text
    assert FAKELLM_ECHO.fullmatch(other.text) is not None
    assert first.finish_reason == "stop"


@KINDS
async def test_fakellm_first_metadata_closes_early(fakellm_url: str, kind: str) -> None:
    async with _provider(kind, fakellm_url) as provider:
        started = time.monotonic()
        metadata = await eventide.first_metadata(provider.stream("Give me the long answer"))
        elapsed = time.monotonic() - started
        # The server keeps serving, and the provider's connection pool is still usable.
        after = await eventide.collect(provider.stream("Say hello"))

    assert metadata.provider == kind
    assert metadata.model == _model(kind)
    assert metadata.response_id is not None
    assert elapsed < EARLY_CLOSE_BUDGET, f"first_metadata took {elapsed:.2f} s"
    assert after.text == FAKELLM_HELLO


# --- llm-mock-api tests -----------------------------------------------------------------------


@KINDS
async def test_llm_mock_api_streams_text_in_chunks_with_usage(
    llm_mock_api_url: str, kind: str
) -> None:
    async with _provider(kind, llm_mock_api_url) as provider:
        events = await _events(provider, "hello there")
        completion = await eventide.collect(provider.stream("hello there"))

    metadata = _assert_event_contract(events, kind)
    assert metadata.response_id is not None
    assert metadata.response_id.startswith("chatcmpl_" if kind == "openai" else "msg_")
    pieces = math.ceil(len(LMA_HELLO) / LMA_CHUNK)
    assert _texts(events) == [LMA_HELLO[i * LMA_CHUNK : (i + 1) * LMA_CHUNK] for i in range(pieces)]

    assert completion.text == LMA_HELLO
    assert completion.provider == kind
    assert completion.finish_reason == "stop"
    assert completion.raw_finish_reason == ("stop" if kind == "openai" else "end_turn")
    assert completion.usage is not None
    assert completion.usage.input_tokens == 7
    assert completion.usage.output_tokens == 11
    assert completion.usage.total_tokens == 18


@KINDS
async def test_llm_mock_api_reasoning(llm_mock_api_url: str, kind: str) -> None:
    """The Anthropic format streams a thinking block first; Chat Completions has no such field."""
    async with _provider(kind, llm_mock_api_url) as provider:
        events = await _events(provider, "think about 6 x 7")
        completion = await eventide.collect(provider.stream("think about 6 x 7"))

    _assert_event_contract(events, kind)
    assert completion.text == LMA_ANSWER
    assert completion.finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (3, 9)
    if kind == "anthropic":
        assert completion.reasoning == LMA_REASONING
        kinds = [type(event) for event in events]
        assert kinds.index(ReasoningDelta) < kinds.index(TextDelta)
    else:
        assert completion.reasoning == ""
        assert ReasoningDelta not in {type(event) for event in events}


@KINDS
async def test_llm_mock_api_tool_call_and_tool_result_round_trip(
    llm_mock_api_url: str, kind: str
) -> None:
    tools = [ToolSpec("get_weather", "Current weather", {"type": "object"})]
    question = Message.user("What is the weather in Paris?")
    async with _provider(kind, llm_mock_api_url) as provider:
        events = await _events(provider, Request(messages=[question], tools=tools))
        _assert_event_contract(events, kind)
        first = await eventide.collect(provider.stream(Request(messages=[question], tools=tools)))

        assert first.text == LMA_TOOL_TEXT
        (call,) = first.tool_calls
        assert (call.id, call.name, call.parsed) == (LMA_TOOL_ID, "get_weather", {"city": "Paris"})
        assert first.finish_reason == "tool_calls"
        assert first.raw_finish_reason == ("tool_calls" if kind == "openai" else "tool_use")
        assert first.usage is not None
        assert (first.usage.input_tokens, first.usage.output_tokens) == (12, 8)

        # The mock matches the follow-up only if it finds the tool result for that call id.
        follow_up = Request(
            messages=[
                question,
                Message.assistant(first.text, tool_calls=first.tool_calls),
                Message.tool(call.id, "sunny, 24 C", name=call.name),
            ],
            tools=tools,
        )
        second = await eventide.collect(provider.stream(follow_up))

    assert second.text == LMA_TOOL_RESULT
    assert second.tool_calls == ()
    assert second.finish_reason == "stop"
    assert second.usage is not None
    assert (second.usage.input_tokens, second.usage.output_tokens) == (30, 6)


@KINDS
async def test_llm_mock_api_parses_the_system_prompt_and_tools(
    llm_mock_api_url: str, kind: str
) -> None:
    """The rule needs both the system prompt and the tool definition, as the mock parses them
    from the body eventide sends (a top-level ``system`` for Anthropic, a message for OpenAI)."""
    request = Request(
        messages=[Message.system("You are a pirate."), Message.user("Ahoy")],
        tools=[
            ToolSpec(
                "get_weather",
                "Current weather",
                {"type": "object", "properties": {"city": {"type": "string"}}},
            )
        ],
        max_tokens=64,
        temperature=0.0,
    )
    async with _provider(kind, llm_mock_api_url) as provider:
        completion = await eventide.collect(provider.stream(request))
    assert completion.text == LMA_SYSTEM_REPLY
    assert completion.finish_reason == "stop"


# llm-mock-api sends its generic "api_error" type with every status: the HTTP status must then
# pick the class (a 400 is not a retryable server error), for Anthropic as for OpenAI.
GENERIC_ERRORS: Final = [
    ("openai", 400, BadRequestError),
    ("openai", 429, RateLimitError),
    ("openai", 500, ServerError),
    ("openai", 503, OverloadedError),
    ("anthropic", 400, BadRequestError),
    ("anthropic", 429, RateLimitError),
    ("anthropic", 500, ServerError),
    ("anthropic", 529, OverloadedError),
]


@pytest.mark.parametrize(("kind", "status", "error_class"), GENERIC_ERRORS)
async def test_llm_mock_api_http_error_status_picks_the_class(
    llm_mock_api_url: str, kind: str, status: int, error_class: type[ProviderError]
) -> None:
    """An HTTP error with the mock's generic error type: the status names the failure."""
    async with _provider(kind, llm_mock_api_url) as provider:
        with pytest.raises(ProviderError) as info:
            await eventide.collect(provider.stream(f"status {status} please"))
    assert info.value.status_code == status
    assert info.value.provider == kind
    assert LMA_ERRORS[status] in str(info.value)
    assert info.value.partial is not None
    assert info.value.partial.text == ""
    assert type(info.value) is error_class, repr(info.value)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(400, BadRequestError), (429, RateLimitError), (500, ServerError), (529, OverloadedError)],
)
async def test_llm_mock_api_anthropic_typed_http_errors(
    llm_mock_api_url: str, status: int, error_class: type[ProviderError]
) -> None:
    """An HTTP error with the type the Anthropic API documents for its status."""
    async with _provider("anthropic", llm_mock_api_url) as provider:
        with pytest.raises(ProviderError) as info:
            await eventide.collect(provider.stream(f"typed {status} please"))
    assert type(info.value) is error_class, repr(info.value)
    assert info.value.status_code == status
    assert info.value.code == LMA_ANTHROPIC_TYPES[status]
    assert LMA_ERRORS[status] in str(info.value)


@KINDS
async def test_llm_mock_api_first_metadata_closes_early(llm_mock_api_url: str, kind: str) -> None:
    async with _provider(kind, llm_mock_api_url) as provider:
        started = time.monotonic()
        metadata = await eventide.first_metadata(provider.stream("the long answer, please"))
        elapsed = time.monotonic() - started
        after = await eventide.collect(provider.stream("hello again"))

    assert metadata.provider == kind
    assert metadata.model == _model(kind)
    assert elapsed < EARLY_CLOSE_BUDGET, f"first_metadata took {elapsed:.2f} s"
    assert after.text == LMA_HELLO
