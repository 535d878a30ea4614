"""``eventide chat``'s input and options, run as a user runs them (the console script in a
subprocess) against a loopback OpenAI-compatible server: the prompt from stdin, piped stdin
before a prompt, -s, -a, -o, --key, the environment and the config file."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.script import run
from tests.http_server import Reply, openai_chunks, refused_url, serve_in_thread

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path


def _chat(
    *args: str, stdin: bytes = b"", **env: str
) -> tuple[Any, subprocess.CompletedProcess[str]]:
    """``eventide chat ARGS`` against a loopback server answering "ok"; the request body
    the server received, and the run."""
    with serve_in_thread(Reply(body=openai_chunks(["ok"], model="llama-3"))) as server:
        result = run(
            "chat",
            *args,
            cwd=None,
            timeout=60,
            stdin=stdin,
            OPENAI_BASE_URL=f"{server.url}/v1",
            **env,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
    assert len(server.requests) == 1
    return server.requests[0].json(), result


def _one_line_error(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("eventide: error: ")
    return lines[0]


@pytest.mark.parametrize("args", [[], ["-"]])
def test_chat_reads_the_prompt_from_stdin(args: list[str]) -> None:
    body, _ = _chat(*args, stdin="Why is the sky blue? ☀\n".encode())
    assert body["messages"] == [{"role": "user", "content": "Why is the sky blue? ☀\n"}]


def test_chat_puts_piped_stdin_before_the_prompt() -> None:
    body, _ = _chat("explain this", stdin=b"def f():\n    return 1\n")
    assert body["messages"][-1]["content"] == "def f():\n    return 1\n\nexplain this"


def test_chat_without_a_prompt_is_a_usage_error() -> None:
    line = _one_line_error(run("chat", "--provider", "demo"), 2)
    assert "no prompt" in line


def test_chat_refuses_stdin_that_is_not_utf8() -> None:
    line = _one_line_error(run("chat", "--provider", "demo", stdin=b"caf\xe9\n"), 2)
    assert "stdin is not UTF-8 (byte 3" in line


def test_chat_sends_the_system_prompt_and_typed_options() -> None:
    body, _ = _chat(
        "hi",
        "-m",
        "llama-3",
        "-s",
        "Be brief.",
        "-o",
        "temperature",
        "0.25",
        "-o",
        "max_tokens",
        "50",
        "-o",
        "store",
        "true",
        "-o",
        "stop",
        '["END"]',
        "-o",
        "user",
        "u-1",
    )
    assert body["model"] == "llama-3"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    assert body["temperature"] == 0.25
    assert body["max_tokens"] == 50
    assert body["store"] is True
    assert body["stop"] == ["END"]
    assert body["user"] == "u-1"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["temprature", "1"], "unknown option 'temprature' for -o"),
        (["temperature", "hot"], "-o temperature: 'hot' is not a number"),
        (["max_tokens", "1.5"], "-o max_tokens: '1.5' is not an integer"),
        (["logprobs", "maybe"], "-o logprobs: 'maybe' is not true or false"),
        (["n", "3"], "n must be 1"),
        (["logprobs", "true"], "logprobs and top_logprobs are not supported"),
    ],
)
def test_chat_refuses_a_bad_option_in_one_line(option: list[str], message: str) -> None:
    line = _one_line_error(run("chat", "hi", "--provider", "demo", "-o", *option), 2)
    assert message in line


def test_chat_attaches_an_image_file_inline_and_a_url_as_a_url(tmp_path: Path) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    url = "https://example.com/cat.jpg"
    body, _ = _chat("What is this?", "-a", str(image), "-a", url)
    encoded = base64.b64encode(image.read_bytes()).decode()
    assert body["messages"][-1]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{encoded}"}},
        {"type": "image_url", "image_url": {"url": url}},
    ]


@pytest.mark.parametrize(
    ("name", "message"), [("notes.txt", "not an image by its name"), ("gone.png", "No such file")]
)
def test_chat_refuses_an_attachment_it_cannot_send(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("text")
    result = run("chat", "hi", "--provider", "demo", "-a", str(tmp_path / name))
    assert message in _one_line_error(result, 2)


def test_chat_key_is_sent_and_never_shown() -> None:
    with serve_in_thread(Reply(body=openai_chunks(["ok"]))) as server:
        result = run(
            "chat", "hi", "--json", "--base-url", f"{server.url}/v1", "--key", "sk-cli-key-123"
        )
    assert result.returncode == 0, result.stderr
    assert server.requests[0].headers["authorization"] == "Bearer sk-cli-key-123"
    assert "sk-cli-key-123" not in result.stdout + result.stderr


def test_chat_takes_its_settings_from_the_environment() -> None:
    body, _ = _chat(
        "hi",
        EVENTIDE_MODEL="env-model",
        EVENTIDE_SYSTEM="From the environment.",
        EVENTIDE_PROVIDER="openai",
    )
    assert body["model"] == "env-model"
    assert body["messages"][0] == {"role": "system", "content": "From the environment."}


def _config(path: Path, url: str) -> Path:
    path.write_text(
        f"""
default = "fast"

[providers.local]
kind = "openai"
base_url = "{url}/v1"

[aliases]
fast = ["local:llama-3"]

[chat]
system = "From the file."
timeout = 30

[chat.options]
temperature = 0.5
""",
        encoding="utf-8",
    )
    return path


def test_chat_routes_through_the_config_file(tmp_path: Path) -> None:
    with serve_in_thread(Reply(body=openai_chunks(["ok"], model="llama-3"))) as server:
        config = _config(tmp_path / "config.toml", server.url)
        by_default = run("chat", "hi", "--config", str(config))
        by_alias = run(
            "chat", "hi", "-m", "fast", "-o", "temperature", "0", EVENTIDE_CONFIG=str(config)
        )
        by_name = run("chat", "hi", "-m", "local:other", "--config", str(config))
    for result in (by_default, by_alias, by_name):
        assert result.returncode == 0, result.stderr
        assert "[local · llama-3]" in result.stderr
    bodies = [received.json() for received in server.requests]
    assert [body["model"] for body in bodies] == ["llama-3", "llama-3", "other"]
    assert [body["temperature"] for body in bodies] == [0.5, 0, 0.5]
    assert bodies[0]["messages"][0] == {"role": "system", "content": "From the file."}


def test_chat_says_what_is_wrong_with_the_config_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[chat\n")
    assert "config file" in _one_line_error(run("chat", "hi", "--config", str(broken)), 3)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[chat]\nmodle = "x"\n')
    assert "modle" in _one_line_error(run("chat", "hi", "--config", str(unknown)), 3)
    keyless = tmp_path / "keyless.toml"
    keyless.write_text(
        '[providers.groq]\nkind = "openai"\napi_key_env = "EVENTIDE_TEST_UNSET_KEY"\n'
        '[aliases]\nfast = ["groq:llama"]\n'
    )
    line = _one_line_error(run("chat", "hi", "-m", "fast", "--config", str(keyless)), 3)
    assert "$EVENTIDE_TEST_UNSET_KEY is not set" in line
    missing = run("chat", "hi", "--config", str(tmp_path / "none.toml"))
    assert "none.toml" in _one_line_error(missing, 3)


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"EVENTIDE_PROVIDER": "foo"}, [], "EVENTIDE_PROVIDER='foo' is not a provider"),
        ({"EVENTIDE_TIMEOUT": "soon"}, [], "EVENTIDE_TIMEOUT='soon' is not a number"),
        ({"OPENAI_API_KEY": "sk-ant-api03-abc"}, ["--provider", "openai"], "anthropic"),
        ({}, ["--provider", "anthropic"], "no API key: set ANTHROPIC_API_KEY"),
        ({}, ["--key", "sk-ant-api03-abc"], "anthropic"),  # --key alone means OpenAI's API
        ({}, ["-m", "anthropic:claude-sonnet-4-5"], "(pass --key, or set the provider's key"),
    ],
)
def test_chat_misconfiguration_is_one_line_and_exit_3(
    env: dict[str, str], args: list[str], message: str
) -> None:
    line = _one_line_error(run("chat", "hi", *args, cwd=None, timeout=60, stdin=b"", **env), 3)
    assert message in line.lower() or message in line
    assert "sk-ant-api03-abc" not in line


def test_chat_unreachable_base_url_is_one_line_and_exit_1() -> None:
    url = f"{refused_url()}/v1"
    result = run("chat", "hi", "--base-url", url, "--timeout", "20")
    line = _one_line_error(result, 1)
    assert "cannot connect to 127.0.0.1:" in line
    assert line.endswith("(check --base-url, and that the server is running)")
