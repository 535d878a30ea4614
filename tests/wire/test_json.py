"""The hot-path JSON parser agrees with `json.loads` on everything."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide.wire._json import loads
from tests.strategies import json_values, sse_line_text

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


def outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", parse(text)
    except ValueError:
        return "error", None


@given(
    values,
    st.sampled_from(["", " ", "\n", "\t\r\n ", "\u2028", "x", "{}"]),
    st.sampled_from(["", " ", "\ufeff"]),
)
@example({"a": 1}, "", "")
def test_json_loads_agrees_with_the_standard_library(value: Any, tail: str, head: str) -> None:
    text = head + json.dumps(value) + tail
    assert outcome(loads, text) == outcome(json.loads, text)


@given(st.text(max_size=40))
def test_json_loads_agrees_on_arbitrary_text(text: str) -> None:
    assert outcome(loads, text) == outcome(json.loads, text)


@pytest.mark.parametrize("text", ["", " ", "{", '{"a": 1} {"b": 2}', "NaN", "[1,]"])
def test_json_loads_edge_cases(text: str) -> None:
    assert outcome(loads, text) == outcome(json.loads, text)


# The parser is msgspec's, with `json.loads` deciding whatever msgspec refuses: the results
# and the errors agree with `json.loads` on every text below, and none is documented to differ.

tricky = [
    '{"a": 1, "b": 2, "a": 3}',  # duplicate keys: the last value, at the first key's place
    "123456789012345678901234567890",  # beyond 64 bits: still an int
    "-9223372036854775809",
    "18446744073709551616",
    "1" * 4300,  # the interpreter's limit on int digits...
    "1" * 4301,  # ...and one past it: ValueError from both
    "1e400",  # beyond the float range: inf
    "-1e400",
    "1e-400",  # 0.0
    "2.2250738585072014e-308",
    "5e-324",
    "1.7976931348623157e308",
    "0.30000000000000004",
    "123456789012345678901234567890.5",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "-0.0",
    '"\\ud800"',  # lone surrogates from escapes are kept
    '"\\udc00x"',
    '"\\ud83d\\ude00"',
    '"\ud800"',  # a lone surrogate in the text itself
    '"\\u0000"',
    '"\x7f"',
    '"\x1f"',  # a raw control character: invalid
    "\ufeff{}",
    "\x0c{}",
    "{}\u2028",
    "01",
    "1.",
    ".5",
    "[1,]",
    '{"a":1,}',
    "[" * 500 + "]" * 500,
]


def result(parse: Any, text: str) -> tuple[str, Any]:
    """What `parse` makes of `text`: the value, with floats by repr (nan != nan, -0.0 == 0.0),
    or the type of the error."""
    try:
        value = parse(text)
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)
    return "ok", json.dumps(value, allow_nan=True)


@pytest.mark.parametrize("text", tricky)
def test_json_loads_agrees_on_tricky_texts(text: str) -> None:
    assert result(loads, text) == result(json.loads, text)


def test_json_loads_raises_recursion_error_on_deep_nesting_as_json_loads_does() -> None:
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(RecursionError):
        json.loads(text)
    with pytest.raises(RecursionError):
        loads(text)


numbers = st.from_regex(r"\A-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?\Z")


@given(st.one_of(json_values, values, numbers.map(json.loads)))
def test_json_loads_agrees_on_generated_values(value: Any) -> None:
    for text in (
        json.dumps(value),
        json.dumps(value, ensure_ascii=False),
        json.dumps(value, indent=1),
    ):
        assert result(loads, text) == result(json.loads, text)


@given(numbers)
def test_json_loads_agrees_on_number_texts(text: str) -> None:
    assert result(loads, text) == result(json.loads, text)


@given(sse_line_text(max_size=60))
def test_json_loads_agrees_on_data_line_text(text: str) -> None:
    assert result(loads, text) == result(json.loads, text)
    assert result(loads, "{" + text) == result(json.loads, "{" + text)
