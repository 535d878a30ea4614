"""Checks on what callers pass in, one function per check, all before any I/O.

Each check names the field it looks at, raises `TypeError` for a value of the wrong type and
`ValueError` for a value of the right type that cannot be sent, and never changes its
argument. `Request`, `Message`, `ToolSpec` and the content parts call them from their
constructors; providers call `check_positive_int` on their options when they are built.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "check_bool",
    "check_integer",
    "check_number",
    "check_positive_int",
    "check_text",
    "check_tool_name",
    "json_copy",
    "type_name",
]

_TYPE_NAMES: dict[type, str] = {type(None): "null", bool: "a boolean", int: "a number"}
_TYPE_NAMES |= {float: "a number", str: "a string", list: "an array", dict: "an object"}
_TYPE_NAMES |= {tuple: "an array"}
# OpenAI's rule for function names (platform.openai.com/docs/api-reference/chat, 2025-06);
# Anthropic's and Gemini's are the same or looser.
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def type_name(value: object) -> str:
    """What `value` is, in JSON's words (``"a number"``, ``"null"``, ...)."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def check_text(field: str, value: object) -> str:
    """`value`, when it is a string that can be sent as UTF-8.

    Raises:
        TypeError: Not a string.
        ValueError: It holds a lone surrogate (``"\\ud800"``, which JSON text can carry).
    """
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string, not {type_name(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(value[exc.start])
            raise ValueError(
                f"{field} is not valid Unicode: a lone surrogate U+{code:04X} at index {exc.start}"
            ) from None
    return value


def check_bool(field: str, value: object) -> bool:
    """`value`, when it is a boolean (``True`` or ``False``, not ``1`` or ``"true"``).

    Raises:
        TypeError: Anything but a boolean.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{field} must be a boolean, not {type_name(value)}")
    return value


def check_number(
    field: str, value: object, *, low: float | None = None, high: float | None = None
) -> float:
    """`value`, when it is a finite number (not a boolean) within ``[low, high]``.

    Raises:
        TypeError: Not an int or a float, or a boolean.
        ValueError: NaN, an infinity, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{field} must be a number, not {type_name(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number, not {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{field} must be {bounds}, not {value}")
    return value


def check_integer(field: str, value: object, *, low: int | None = None) -> int:
    """`value`, when it is an int (not a boolean) of at least `low`.

    Raises:
        TypeError: Not an int (``2.0`` is not), or a boolean.
        ValueError: Below `low`.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be an integer, not {type_name(value)}")
    if low is not None and value < low:
        raise ValueError(f"{field} must be at least {low}, not {value}")
    return value


def check_positive_int(field: str, value: object) -> int:
    """`value`, when it is an int of at least 1: for sizes and counts such as a
    provider's ``max_event_bytes``.

    Raises:
        TypeError: Not an int, or a boolean.
        ValueError: Zero or negative.
    """
    return check_integer(field, value, low=1)


def check_tool_name(field: str, value: object) -> str:
    """`value`, when it is a function name providers accept: 1 to 64 ASCII letters,
    digits, ``_`` or ``-``.

    Raises:
        TypeError: Not a string.
        ValueError: Empty, too long, or with another character.
    """
    name = check_text(field, value)
    if not _TOOL_NAME.fullmatch(name):
        raise ValueError(
            f"{field} must be 1 to 64 letters, digits, '_' or '-' (OpenAI's rule), not {name!r}"
        )
    return name


def json_copy(field: str, value: object) -> Any:
    """A deep copy of `value` made of dicts, lists and JSON scalars, when it is one.

    Tuples become lists; the caller's objects are never the copy's.

    Raises:
        TypeError: A value JSON has no form for (a set, bytes, an object), or a key that is
            not a string; the message names where, such as ``extra['a'][2]``.
        ValueError: NaN or an infinity, or a string with a lone surrogate.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return check_number(field, value)
    if isinstance(value, str):
        return check_text(field, value)
    if isinstance(value, Mapping):
        copy: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{field} keys must be strings, not {type_name(key)} ({key!r})")
            copy[key] = json_copy(f"{field}[{key!r}]", item)
        return copy
    if isinstance(value, list | tuple):
        return [json_copy(f"{field}[{i}]", item) for i, item in enumerate(value)]
    raise TypeError(f"{field} must be JSON data, not {type_name(value)}")
