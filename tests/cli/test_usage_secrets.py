"""A usage error never repeats a value from the command line that may be a key: argparse
quotes the command line back, so a misspelt option or a value too many would print it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from eventide.cli import main
from eventide.cli._main import _parser

if TYPE_CHECKING:
    from pathlib import Path

KEY = "sk-secret-0123456789"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--api-keys", KEY], "unrecognized arguments: --api-keys, 1 value"),
        (["serve", "--api-key", "hunter2", "hunter3"], "unrecognized arguments: 1 value"),
        (["chat", "hi", f"--bogus={KEY}"], "unrecognized arguments: --bogus, 1 value"),
        (["chat", "hi", "extra", KEY], "unrecognized arguments: 2 values"),
        (["chat", f"--n={KEY}", "hi"], "ambiguous option: --n=[redacted] could match"),
        (["chat", f"--json={KEY}", "hi"], "--json: ignored explicit argument '[redacted]'"),
        (["chat", "--provider", KEY, "hi"], "--provider: invalid choice: '[redacted]'"),
        (["chat", "--timeout", KEY, "hi"], "--timeout: not a number: '[redacted]'"),
        (["serve", "--port", KEY], "--port: a port is 0 (any) to 65535, not [redacted]"),
        (["chat", f"-k{KEY}", "hi"], "unrecognized arguments: -k, 1 value"),
        (["chat", f"-k={KEY}", "hi"], "unrecognized arguments: -k, 1 value"),
        (["chat", f"--key{KEY}", "hi"], "unrecognized arguments: --key, 1 value"),
        (["serve", f"--api-key{KEY}"], "unrecognized arguments: --api-key, 1 value"),
        (["chat", "hi", f"--X{KEY}"], "unrecognized arguments: 1 value (not shown"),
    ],
)
def test_usage_errors_do_not_show_values_that_may_be_keys(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("usage: eventide")
    assert message in err.splitlines()[-1]
    assert KEY not in err
    assert "hunter3" not in err


def test_usage_errors_still_show_short_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["chat", "--provider", "opnai", "hi"])
    assert "invalid choice: 'opnai' (choose from" in capsys.readouterr().err


def test_parse_args_names_only_the_unrecognized_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["chat", "hi", "--kye", KEY])
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "eventide: error: unrecognized arguments: --kye, 1 value (not shown: a value may be a key)"
    )


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["chat", "-o", "temperature", KEY, "hi"], 2, "-o temperature: '[redacted]' is not a"),
        (["chat", "-o", KEY, "1", "hi"], 2, "unknown option '[redacted]' for -o"),
        (["chat", "-o", "stop", f"[{KEY}", "hi"], 2, "-o stop: '[redacted]' is not valid JSON"),
        (["chat", "-a", KEY, "hi"], 2, "attachment '[redacted]': not an image"),
        (["chat", f"-a{KEY}", "hi"], 2, "attachment '[redacted]': not an image"),
        (["chat", "--config", KEY, "hi"], 3, "cannot read the config file [redacted]"),
        (["serve", "--router", KEY], 3, "cannot read --router [redacted]"),
        (["replay", KEY], 1, "No such file or directory: '[redacted]'"),
        (["batch", KEY, "-o", "out.jsonl"], 2, "No such file or directory: [redacted]"),
    ],
)
def test_errors_after_parsing_do_not_show_values_that_may_be_keys(
    argv: list[str],
    status: int,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """What the command finds wrong once parsed (an -o value, a file) is said without it."""
    monkeypatch.chdir(tmp_path)
    demo = [] if argv[0] == "replay" else ["--provider", "demo"]
    assert main([argv[0], *demo, *argv[1:]]) == status
    err = capsys.readouterr().err
    assert message in err.splitlines()[-1]
    assert KEY not in err


def test_errors_after_parsing_still_show_short_values_and_file_names(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["chat", "--provider", "demo", "-o", "temperature", "hot", "hi"]) == 2
    assert "-o temperature: 'hot' is not a number" in capsys.readouterr().err
    assert main(["chat", "--provider", "demo", "-a", "holiday-photos.txt", "hi"]) == 2
    assert "attachment 'holiday-photos.txt': not an image" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["-o", "max_completion_tokens", "lots"], "-o max_completion_tokens: 'lots' is not"),
        (["-o", "parallel_tool_calls", "maybe"], "-o parallel_tool_calls: 'maybe' is not"),
        (["-o", "max_completion_tokens", "5", "-o", "bogus", "1"], " max_completion_tokens, "),
    ],
)
def test_errors_after_parsing_still_show_eventides_own_words(
    capsys: pytest.CaptureFixture[str], argv: list[str], shown: str
) -> None:
    """A parameter's or a provider's name is shaped like a key, and is none: it stays."""
    assert main(["chat", "--provider", "demo", *argv, "hi"]) == 2
    err = capsys.readouterr().err
    assert shown in err
    assert "[redacted]" not in err
