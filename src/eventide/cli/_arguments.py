"""Argument types of the ``models`` and ``logs`` subcommands: a number within bounds."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["number"]

N = TypeVar("N", int, float)


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
