"""``eventide serve``'s start-up and shut-down, run as a user runs them: ``--router`` with a
routing file, the errors that stop it before it serves (one line, exit 2 or 3, never a
traceback), and Ctrl-C under uvicorn while a stream is open."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from eventide import ConfigurationError
from eventide.cli import main
from eventide.gateway import serve
from eventide.providers import demo
from tests.cli.script import SCRIPT, environment, run
from tests.http_server import Reply, Stall, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ROUTER = """\
default = "quick"

[providers.offline]
kind = "demo"

[aliases]
quick = ["offline:eventide-demo-1"]
"""


def _start(*args: str, cwd: Path | None = None, **env: str) -> tuple[subprocess.Popen[str], str]:
    """``eventide serve ARGS`` started, and the URL it says it serves on."""
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", "0", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=environment(**env),
    )
    assert process.stderr is not None
    line = ""
    while "serving" not in line:
        line = process.stderr.readline()
        if not line:
            process.kill()
            raise AssertionError(f"eventide serve exited: {process.communicate()[1]}")
    return process, line.split(" on ")[-1].strip()


@pytest.fixture
def router_file(tmp_path: Path) -> Path:
    path = tmp_path / "router.toml"
    path.write_text(ROUTER, encoding="utf-8")
    return path


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_serve_router_serves_the_file_it_names(router_file: Path, relative: bool) -> None:
    name = router_file.name if relative else str(router_file)
    process, url = _start("--router", name, cwd=router_file.parent)
    try:
        models = httpx.get(f"{url}/v1/models", timeout=10).json()
        answer = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "quick", "messages": [{"role": "user", "content": "hi"}]},
            timeout=10,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert "quick" in [model["id"] for model in models["data"]]
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-eventide-provider"] == "offline"


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "eventide: error: cannot read --router {path}: No such file or directory"),
        ("default = ", "eventide: error: --router {path}: invalid routing table: "),
        (b"\xff", "eventide: error: --router {path}: 'utf-8' codec can't decode"),
    ],
    ids=["missing", "not-toml", "not-utf8"],
)
def test_serve_router_that_cannot_be_read_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "router.toml"
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["serve", "--router", str(path)]) == 3
    assert _one_line(capsys).startswith(message.format(path=path))


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize("server", ["hypercorn", "uvicorn"])
def test_serve_on_a_port_in_use_is_one_line_and_exit_3(
    port_in_use: int, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["serve", "--provider", "demo", "--port", str(port_in_use), "--server", server]
    assert main(args) == 3
    assert _one_line(capsys) == (
        f"eventide: error: cannot listen on 127.0.0.1 port {port_in_use}: Address already in use"
    )


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_port_out_of_range_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--provider", "demo", "--port", port])
    assert exit_.value.code == 2
    assert f"argument --port: a port is 0 (any) to 65535, not {port}" in capsys.readouterr().err


@pytest.mark.parametrize("server", ["hypercorn", "uvicorn"])
def test_serve_function_says_a_port_out_of_range_as_a_configuration_error(server: str) -> None:
    with pytest.raises(ConfigurationError, match=r"cannot listen on 127\.0\.0\.1 port 99999: "):
        serve(demo(), port=99999, server=server)  # type: ignore[arg-type]


def test_serve_empty_api_key_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--provider", "demo", "--port", "0", "--api-key="]) == 3
    assert _one_line(capsys) == "eventide: error: an API key must be a non-empty string"


@pytest.mark.parametrize(
    ("provider", "variable"),
    [("openai", "OPENAI_API_KEY"), ("gemini", "GEMINI_API_KEY or GOOGLE_API_KEY")],
)
def test_serve_a_provider_without_its_key_does_not_start(provider: str, variable: str) -> None:
    result = run("serve", "--provider", provider, "--port", "0", timeout=30)
    assert result.returncode == 3, result.stderr
    assert result.stderr == f"eventide: error: {provider}: no API key: set {variable}\n"


def test_serve_uvicorn_ctrl_c_ends_an_open_stream_after_the_grace_period() -> None:
    """An upstream that stalls after its first token keeps the stream open (the gateway pings
    it): Ctrl-C gives it 3 s, then cuts it and exits, without a traceback."""
    pieces = openai_chunks(["partial-"], usage=False)
    with serve_in_thread(Reply(body=[pieces[0], pieces[1], Stall()])) as upstream:
        process, url = _start(
            "--server", "uvicorn", "--base-url", f"{upstream.url}/v1", OPENAI_API_KEY="sk-up"
        )
        received: list[bytes] = []
        streaming = threading.Event()

        def client() -> None:
            body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
            try:
                with httpx.stream(
                    "POST", f"{url}/v1/chat/completions", json=body, timeout=60
                ) as response:
                    for chunk in response.iter_bytes():
                        received.append(chunk)
                        streaming.set()
            except httpx.HTTPError:
                received.append(b"<cut>")

        reader = threading.Thread(target=client, daemon=True)
        reader.start()
        assert streaming.wait(timeout=10), "the stream did not start"
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        try:
            _, err = process.communicate(timeout=20)
        finally:
            process.kill()
        elapsed = time.monotonic() - started
        reader.join(timeout=10)
    assert 2.5 < elapsed < 15, elapsed  # the grace period, then the exit
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "eventide: error: interrupted"
    assert b"partial-" in b"".join(received)
