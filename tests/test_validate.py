"""The checks on callers' values: one function per check, each naming its field."""

from __future__ import annotations

import copy
import math

import pytest

from eventide._validate import (
    check_integer,
    check_number,
    check_positive_int,
    check_text,
    check_tool_name,
    json_copy,
    type_name,
)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, "max_event_bytes must be at least 1, not 0"),
        (-5, ValueError, "max_event_bytes must be at least 1, not -5"),
        (1.5, TypeError, "max_event_bytes must be an integer, not a number"),
        (True, TypeError, "max_event_bytes must be an integer, not a boolean"),
        ("1024", TypeError, "max_event_bytes must be an integer, not a string"),
        (None, TypeError, "max_event_bytes must be an integer, not null"),
    ],
)
def test_check_positive_int_rejects(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        check_positive_int("max_event_bytes", value)
    assert str(caught.value) == message


def test_check_positive_int_returns_a_good_value() -> None:
    assert check_positive_int("max_event_bytes", 1) == 1
    assert check_positive_int("max_event_bytes", 1 << 20) == 1 << 20


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (math.nan, ValueError, "temperature must be a finite number, not nan"),
        (math.inf, ValueError, "temperature must be a finite number, not inf"),
        (-math.inf, ValueError, "temperature must be a finite number, not -inf"),
        (-0.5, ValueError, "temperature must be between 0 and 2, not -0.5"),
        (2.5, ValueError, "temperature must be between 0 and 2, not 2.5"),
        (False, TypeError, "temperature must be a number, not a boolean"),
        ("0.5", TypeError, "temperature must be a number, not a string"),
        ([0.5], TypeError, "temperature must be a number, not an array"),
    ],
)
def test_check_number_rejects(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        check_number("temperature", value, low=0, high=2)
    assert str(caught.value) == message


def test_check_number_and_integer_accept_good_values() -> None:
    assert check_number("t", 0, low=0) == 0
    assert check_number("t", 1.5) == 1.5
    assert check_number("t", -1e300) == -1e300
    assert check_integer("seed", -7) == -7
    with pytest.raises(ValueError, match="at least 3"):
        check_number("t", 2, low=3)


def test_check_text_rejects_lone_surrogates_and_non_strings() -> None:
    assert check_text("content", "héllo 👋") == "héllo 👋"
    assert check_text("content", "") == ""
    with pytest.raises(ValueError, match="not valid Unicode") as caught:
        check_text("content", "ab\udc80")
    assert str(caught.value) == "content is not valid Unicode: a lone surrogate U+DC80 at index 2"
    with pytest.raises(TypeError, match="content must be a string, not bytes"):
        check_text("content", b"hi")


@pytest.mark.parametrize("name", ["get_weather", "a", "A-1_b", "x" * 64])
def test_check_tool_name_accepts_openais_names(name: str) -> None:
    assert check_tool_name("name", name) == name


@pytest.mark.parametrize("name", ["", "x" * 65, "get weather", "get.weather", "naïve", "a\n"])
def test_check_tool_name_rejects_other_names(name: str) -> None:
    with pytest.raises(ValueError, match=r"name must be 1 to 64 letters, digits, '_' or '-'"):
        check_tool_name("name", name)


def test_json_copy_copies_deeply_and_leaves_the_original_alone() -> None:
    original = {"a": [1, 2.5, {"b": None}], "c": (True, "x")}
    before = copy.deepcopy(original)
    made = json_copy("extra", original)
    assert made == {"a": [1, 2.5, {"b": None}], "c": [True, "x"]}
    made["a"][2]["b"] = "changed"
    assert original == before


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ({"a": [1, {2}]}, TypeError, "extra['a'][1] must be JSON data, not set"),
        ({"a": {"b": math.nan}}, ValueError, "extra['a']['b'] must be a finite number, not nan"),
        ({1: "x"}, TypeError, "extra keys must be strings, not a number (1)"),
        ({"a": b"x"}, TypeError, "extra['a'] must be JSON data, not bytes"),
        ({"a": "\ud800"}, ValueError, "extra['a'] is not valid Unicode"),
    ],
)
def test_json_copy_names_where_a_value_is_not_json(
    value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match="extra") as caught:
        json_copy("extra", value)
    assert str(caught.value).startswith(message)


def test_type_name_speaks_json() -> None:
    values: tuple[object, ...] = (None, True, 1, 1.0, "", [], {}, ())
    assert [type_name(value) for value in values] == [
        "null",
        "a boolean",
        "a number",
        "a number",
        "a string",
        "an array",
        "an object",
        "an array",
    ]
    assert type_name(object()) == "object"
