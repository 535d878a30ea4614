"""The command line's parser, whose usage errors never show a key, and the argument types of
the ``models`` and ``logs`` subcommands: a number within bounds."""

from __future__ import annotations

import argparse
import math
import re
import sys
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar, final

from .._secrets import SHORT, Redactor
from ..client._params import CreateParams
from ..providers import PROVIDER_NAMES

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Sequence

__all__ = ["WORDS", "Parser", "hide_keys", "key_shaped", "number"]

WORDS: Final = frozenset(CreateParams.__annotations__) | frozenset(PROVIDER_NAMES)
"""Words typed that are eventide's own, never a key: ``-o``'s parameter names
(``max_completion_tokens``) and the provider names (``openai-responses``)."""

N = TypeVar("N", int, float)


@final
class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose usage errors do not repeat what may be a key.

    argparse quotes the command line back in its errors, so a misspelt option (``--api-keys
    sk-...``), a value too many (``--api-key a b``), ``--flag=sk-...`` or a key glued to its
    option (``-ksk-...``, ``--keysk-...``) would print the key on stderr. Here unrecognized
    arguments are listed by their option names only, and every value typed that could be a
    key (`SHORT` characters or more, no space) is replaced by ``[redacted]`` in any other
    error, and in the command's own usage errors through `redactor`. Subcommands' parsers
    are of this class too.
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
            self.error(_unrecognized(extras, _option_strings(self)))
        return parsed

    def error(self, message: str) -> NoReturn:
        """Print the usage and `message` without the values that could be keys; exit 2."""
        super().error(self.redactor().text(message))

    def redactor(self, *, names: bool = False) -> Redactor:
        """A `Redactor` of the values last parsed that could be keys (arguments, an option's
        ``=VALUE``, or a value glued to its option).

        Args:
            names: For an error that names files: hide only the values shaped like a key
                (`key_shaped`), so that ``notes/cat.png`` stays readable.
        """
        known = _option_strings(self)
        typed = (_split(token, known)[1] for token in self._typed)
        return _redactor(typed, names=names, own=WORDS)


def key_shaped(value: str) -> bool:
    """Whether `value` is shaped like an API key: `SHORT` characters or more, all letters,
    digits, ``-`` and ``_`` (a file's name has a dot or a slash)."""
    return len(value) >= SHORT and _KEY_SHAPE.fullmatch(value) is not None


def hide_keys(text: str, values: Iterable[str], *, names: bool = False) -> str:
    """`text` without those of `values` that could be keys, as in the parser's errors
    (with `names`, only those shaped like a key: see `Parser.redactor`)."""
    return _redactor(values, names=names).text(text)


def _redactor(
    values: Iterable[str], *, names: bool, own: Collection[str] = frozenset()
) -> Redactor:
    """A `Redactor` of those of `values` that could be keys (with `names`, those shaped like
    one), but for `own` words."""
    could_be = key_shaped if names else _could_be_key
    return Redactor(value for value in values if could_be(value) and value not in own)


def _option_strings(parser: argparse.ArgumentParser) -> frozenset[str]:
    """The option strings of `parser` and of its subcommands."""
    names = set[str]()
    for action in parser._actions:
        names.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                names |= _option_strings(command)
    return frozenset(names)


def _is_option(token: str) -> bool:
    return token.startswith("-") and token not in ("-", "--")


def _could_be_key(value: str) -> bool:
    """Whether `value` could be a key: long enough, and without whitespace (keys have none)."""
    return len(value) >= SHORT and not any(char.isspace() for char in value)


_KEY_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]+")
# An option name as people type them: lowercase words joined by hyphens, no digits.
_OPTION_NAME: Final = re.compile(r"--[a-z]+(?:-[a-z]+)*")


def _split(token: str, known: Collection[str]) -> tuple[str | None, str]:
    """A typed `token` as (the option name it may show, the value it must not).

    ``-kVALUE``, ``-k=VALUE`` and ``--opt=VALUE`` show their option; so does ``--keyVALUE``
    where ``--key`` is one of the `known` options and VALUE could be a key. An argument
    shows nothing, nor does an unknown long option that does not look like one (digits,
    capitals: it may be a key).
    """
    if not _is_option(token):
        return None, token
    if not token.startswith("--"):
        return token[:2], token[2:].removeprefix("=")
    name, _, value = token.partition("=")
    if value or name in known:
        return name, value
    for option in sorted(known, key=len, reverse=True):
        if token.startswith(option) and _could_be_key(token[len(option) :]):
            return option, token[len(option) :]
    return (token, "") if _OPTION_NAME.fullmatch(token) else (None, token)


def _unrecognized(extras: Sequence[str], known: Collection[str]) -> str:
    """The message for `extras`: their option names, and how many values were not shown."""
    split = [_split(token, known) for token in extras]
    names = [name for name, _ in split if name is not None]
    values = sum(name is None or bool(value) for name, value in split)
    if values:
        names.append(f"{values} value{'s' if values > 1 else ''} (not shown: a value may be a key)")
    return f"unrecognized arguments: {', '.join(names)}"


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
