"""The key of a request: what a cassette looks a record up by."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ._format import safe_request

if TYPE_CHECKING:
    from .._request import Request

__all__ = ["request_key"]


def request_key(request: Request | dict[str, Any]) -> str:
    """A stable hash (hex SHA-256) of a request: its cattrs form without its HTTP headers
    and query parameters (volatile — request ids, tracing — or secret), and without unset
    fields (None, empty), so the same conversation, model and options give the same key
    in every run, and in later versions that add fields.

    Args:
        request: A `Request`, or its form as a record's header holds it.
    """
    data = dict(request) if isinstance(request, dict) else safe_request(request)
    data.pop("headers", None)
    data.pop("query", None)
    text = json.dumps(_set_fields(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _set_fields(value: Any) -> Any:
    """JSON data without the unset (None or empty) fields of its objects, at any depth."""
    if isinstance(value, dict):
        return {k: _set_fields(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_set_fields(item) for item in value]
    return value
