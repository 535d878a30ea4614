"""Checks the three request parsers share: the ``model`` a client names, and a list of strings.

A model name goes on to the upstream, into the ``x-eventide-model`` header (when the
upstream reports none) and into the log line, so one that holds a line break, a NUL or any
other control character is refused before any upstream request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._validate import check_text, type_name

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["checked_model", "checked_strings"]


def checked_model(body: Mapping[str, Any], *, required: bool) -> str | None:
    """The body's ``model``: printable text, or None (absent or null) when not `required`.

    Raises:
        TypeError: Not a string.
        ValueError: Missing when `required`, or holding a control character.
    """
    model = body.get("model")
    if model is None:
        if required:
            raise ValueError("model: field required")
        return None
    name = check_text("model", model)
    if not name.isprintable():
        raise ValueError(f"model must not hold control characters, not {name!r}")
    return name


def checked_strings(field: str, value: object) -> list[str]:
    """`value` as a list of strings (a JSON array of strings, not a lone string).

    Raises:
        TypeError: Not an array, or an item that is not a string.
    """
    if not isinstance(value, list):
        raise TypeError(f"{field} must be an array of strings, not {type_name(value)}")
    return [check_text(f"{field}[{index}]", item) for index, item in enumerate(value)]
