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
    and query parameters (volatile — request ids, tracing — or secret), so the same
    conversation, model and options give the same key in every run and version.

    Args:
        request: A `Request`, or its form as a record's header holds it.
    """
    data = dict(request) if isinstance(request, dict) else safe_request(request)
    data.pop("headers", None)
    data.pop("query", None)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
