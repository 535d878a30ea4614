"""The command line's parser, whose usage errors never show a key, and the argument types of
the ``models`` and ``logs`` subcommands: a number within bounds."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, final

from .._secrets import SHORT, Redactor

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

__all__ = ["Parser", "number"]

N = TypeVar("N", int, float)


@final
class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose usage errors do not repeat what may be a key.

    argparse quotes the command line back in its errors, so a misspelt option (``--api-keys
    sk-...``), a value too many (``--api-key a b``) or ``--flag=sk-...`` would print the key
    on stderr. Here unrecognized arguments are listed by their option names only, and every
    value typed that could be a key (`SHORT` characters or more, no space) is replaced by
    ``[redacted]`` in any other error. Subcommands' parsers are of this class too.
    """

    _typed: Sequence[str] = ()

    def parse_known_args(self, args: Iterable[str] | None = None, namespace: Any = None) -> Any:
        """As argparse's, remembering `args` for the error message."""
        self._typed = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(self._typed, namespace)

    def parse_args(self, args: Iterable[str] | None = None, namespace: Any = None) -> Any:
        """As argparse's; unrecognized arguments are a usage error that names only options."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(_unrecognized(extras))
        return parsed

    def error(self, message: str) -> NoReturn:
        """Print the usage and `message` without the values that could be keys; exit 2."""
        super().error(Redactor(_key_like(self._typed)).text(message))


def _is_option(token: str) -> bool:
    return token.startswith("-") and token not in ("-", "--")


def _unrecognized(extras: Sequence[str]) -> str:
    """The message for `extras`: their option names, and how many values were not shown."""
    names = [token.partition("=")[0] for token in extras if _is_option(token)]
    values = sum(not _is_option(token) or "=" in token for token in extras)
    if values:
        names.append(f"{values} value{'s' if values > 1 else ''} (not shown: a value may be a key)")
    return f"unrecognized arguments: {', '.join(names)}"


def _key_like(typed: Sequence[str]) -> Iterator[str]:
    """The values in `typed` (arguments, and the VALUE of ``--option=VALUE``) that could be
    keys: long enough, and without whitespace (keys have none)."""
    for token in typed:
        value = token.partition("=")[2] if _is_option(token) else token
        if len(value) >= SHORT and not any(char.isspace() for char in value):
            yield value


def number(parse: Callable[[str], N], *, low: N, inclusive: bool, rule: str) -> Callable[[str], N]:
    """An argparse ``type=``: `parse` the text (an `int` or a `float`), finite and at least
    `low` (above it unless `inclusive`); otherwise a usage error that says `rule`."""

    def convert(text: str) -> N:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or value < low or (value == low and not inclusive):
            raise argparse.ArgumentTypeError(f"{rule}, not {text}")
        return value

    return convert
