"""A usage error never repeats a value from the command line that may be a key: argparse
quotes the command line back, so a misspelt option or a value too many would print it."""

from __future__ import annotations

import pytest

from eventide.cli import main
from eventide.cli._main import _parser

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
