"""What the tests of the mappers' typed paths (``on_data``) share: one body decoded on either
path, and the checks of what ``on_data`` does with one text."""

from __future__ import annotations

from typing import Any
from unittest import mock

from eventide import TextDelta
from tests.wire.harness import drive, one_byte_chunks

__all__ = ["decode", "leaves_to_the_dict_path", "named", "reaches_on_data", "reads_text"]


def named(name: str, text: str) -> str:
    """One server-sent event of `text`, named `name` (unnamed for ``message``)."""
    return f"event: {name}\ndata: {text}" if name != "message" else f"data: {text}"


def decode(decoder: Any, wire: bytes, *, typed: bool, one_byte: bool) -> tuple[list[Any], Any]:
    """What `decoder` delivers from `wire` (whole or one byte at a time), and the error that
    ended it (type, message, provider); with `typed` False its mapper's ``on_data`` is off,
    so every payload takes the dict path."""
    chunks = one_byte_chunks(wire) if one_byte else [wire]
    if typed:
        got, error = drive(decoder, chunks)
    else:
        with mock.patch.object(type(decoder._mapper), "on_data", None):
            got, error = drive(decoder, chunks)
    return got, None if error is None else (type(error), str(error), error.provider)


def reads_text(decoder: Any, text: str) -> list[Any]:
    """The events ``on_data`` appends for `text`, which it must read; a `TextDelta` among
    them must equal, hash and print as one built by its class."""
    out: list[Any] = []
    assert decoder._mapper.on_data(text, out)
    for event in out:
        if type(event) is TextDelta:
            assert event == TextDelta(event.text)
            assert hash(event) == hash(TextDelta(event.text))
            assert repr(event) == f"TextDelta(text={event.text!r})"
    return out


def leaves_to_the_dict_path(decoder: Any, texts: list[str]) -> bool:
    """Whether ``on_data`` leaves every text untouched (False, nothing appended)."""
    out: list[Any] = []
    return not any(decoder._mapper.on_data(text, out) for text in texts) and out == []


def reaches_on_data(decoder: Any, wire: bytes) -> int:
    """How many payloads of `wire` reach the ``on_data`` of `decoder`'s mapper."""
    with mock.patch.object(
        type(decoder._mapper), "on_data", autospec=True, return_value=True
    ) as spy:
        decoder.feed(wire)
    return int(spy.call_count)
