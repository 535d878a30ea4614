"""The hot-path JSON parser agrees with `json.loads` on everything."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide.wire._json import loads

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
