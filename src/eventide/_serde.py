"""The one cattrs converter: events, requests and completions to JSON-ready data and back.

Events are tagged by their ``kind`` (``{"kind": "text_delta", "text": "Hi"}``); content parts by
``type`` (``"text"`` / ``"image"``). Every JSON eventide writes goes through it: ``--json``
events, the OpenAI shapes' ``to_dict()``, batch records (their hooks live with them), fixtures.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import cattrs
from cattrs.strategies import configure_tagged_union

from ._completion import Completion
from ._events import Event, Usage
from ._request import ContentPart, ImagePart, JSONSchema, Request, ResponseFormat, TextPart

__all__ = ["converter", "dumps", "dumps_event", "json_line", "structure", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(omit_if_default=False)

_structure_usage = converter.get_structure_hook(Usage)


def _structure_old_usage(value: Any, _: Any) -> Usage:
    """`Usage` data, also as written before ``cached_tokens`` became ``cache_read_tokens``
    (records and fixtures from then stay readable)."""
    if isinstance(value, dict) and "cached_tokens" in value:
        value = dict(value)
        old = value.pop("cached_tokens")
        value.setdefault("cache_read_tokens", old)
    usage: Usage = _structure_usage(value, Usage)
    return usage


converter.register_structure_hook(Usage, _structure_old_usage)

configure_tagged_union(
    Event,
    converter,
    tag_generator=lambda cls: cls.kind,  # type: ignore[attr-defined]
    tag_name="kind",
)

_PART_TAGS: dict[type, str] = {TextPart: "text", ImagePart: "image"}
configure_tagged_union(
    ContentPart, converter, tag_generator=lambda cls: _PART_TAGS[cls], tag_name="type"
)


def _structure_content(value: Any, _: Any) -> str | tuple[ContentPart, ...]:
    if isinstance(value, str):
        return value
    return tuple(converter.structure(part, ContentPart) for part in value)  # type: ignore[arg-type]


def _unstructure_content(value: str | tuple[ContentPart, ...]) -> Any:
    if isinstance(value, str):
        return value
    return [converter.unstructure(part, ContentPart) for part in value]


converter.register_structure_hook(str | tuple[ContentPart, ...], _structure_content)
converter.register_unstructure_hook(str | tuple[ContentPart, ...], _unstructure_content)


def _structure_response_format(value: Any, _: Any) -> ResponseFormat | None:
    """``"json"``, None, or a `JSONSchema` from its fields: ``Request.response_format``."""
    if value is None or value == "json":
        return value  # type: ignore[no-any-return]  # None or "json"
    return converter.structure(value, JSONSchema)


converter.register_structure_hook(ResponseFormat | None, _structure_response_format)


def unstructure(value: Event | Request | Completion) -> dict[str, Any]:
    """JSON-ready data for an event, a request or a completion."""
    if isinstance(value, Request | Completion):
        data: dict[str, Any] = converter.unstructure(value)
    else:
        data = converter.unstructure(value, Event)
    return data


def structure(data: Any, cls: type[T]) -> T:
    """Build a `cls` (`Event`, `Request`, `Completion`, ...) back from `unstructure` data."""
    return converter.structure(data, cls)


def dumps(data: Any) -> str:
    """Compact JSON text of `unstructure`-d data, non-ASCII characters kept as they are."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def dumps_event(event: Event) -> str:
    """One event as a line of compact JSON."""
    return dumps(unstructure(event))


def json_line(data: Any) -> bytes:
    """`dumps` and a newline, as UTF-8; a lone surrogate (a string UTF-8 cannot encode, sent
    by a provider) is kept, escaped: then the whole line is ASCII JSON."""
    try:
        return (dumps(data) + "\n").encode()
    except UnicodeEncodeError:
        return (json.dumps(data, separators=(",", ":")) + "\n").encode()
