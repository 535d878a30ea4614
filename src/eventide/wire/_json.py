"""`loads`: `json.loads` for the hot path, at the speed of msgspec's C parser.

Every chunk is parsed by ``msgspec.json.Decoder().decode`` (chosen by measurement: on a
typical OpenAI chunk it takes about a quarter of `json.loads`'s time, and a little less than
orjson's). Whatever msgspec refuses is parsed again by `json.loads`, which then decides:
so the result, and the error, are `json.loads`'s own wherever the two could differ:

- ``NaN``, ``Infinity``, ``-Infinity`` and numbers beyond the float range (``1e400``):
  msgspec refuses them, `json.loads` returns the float (nan, inf);
- lone surrogates in ``\\u`` escapes (``"\\ud800"``): msgspec refuses, `json.loads` keeps them;
- invalid JSON: `ValueError` (`json.JSONDecodeError`, with its usual message);
- deep nesting: both count the interpreter's recursion depth, and a `RecursionError` from
  msgspec is decided again by `json.loads`, which raises it too.

Where msgspec accepts a text it returns what `json.loads` does (tests/wire/test_json.py
checks it with hypothesis): integers of any size stay `int` (orjson turns those beyond 64
bits into floats, one reason it was not chosen), floats are correctly rounded, and of
duplicate keys the last value wins at the first key's place. Invalid UTF-8 never reaches
this module: the framing layers decode each line with U+FFFD for invalid bytes.

There is no standard-library-only mode: msgspec is a dependency (wheels for every
mainstream platform), and `json.loads` above is the second opinion on refused texts only.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

__all__ = ["decode", "int_or_none", "loads"]

decode = msgspec.json.Decoder().decode
"""msgspec's parser alone, for a hot loop that calls `loads` only when it raises (`ValueError`
or `RecursionError`): the one function call saved per chunk is measurable."""


def loads(text: str) -> Any:
    """Parse one JSON value, exactly as `json.loads` does.

    Raises:
        ValueError: `text` is not exactly one JSON value (`json.JSONDecodeError`).
        RecursionError: `text` nests deeper than the interpreter allows.
    """
    try:
        return decode(text)
    except (ValueError, RecursionError):  # msgspec.DecodeError is a ValueError
        return json.loads(text)


def int_or_none(value: Any) -> int | None:
    """`value` if it is a JSON integer (not a bool), else None: a count as it was reported."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def nested_int(data: dict[str, Any], outer: str, key: str) -> int | None:
    """``data[outer][key]`` as `int_or_none` reads it; None when `outer` is not an object
    (``usage.prompt_tokens_details.cached_tokens`` and the like)."""
    inner = data.get(outer)
    return int_or_none(inner.get(key)) if isinstance(inner, dict) else None
