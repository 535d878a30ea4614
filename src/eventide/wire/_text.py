"""Short, safe excerpts of what a provider sent, for error messages."""

from __future__ import annotations

import re

__all__ = ["excerpt", "readable"]

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def excerpt(text: str, limit: int = 200) -> str:
    """`text` on one line (whitespace folded), cut to `limit` characters with an ellipsis."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def readable(raw: str, limit: int = 120) -> str:
    """A one-line excerpt of an error body; for an HTML page (a proxy's 502), its text."""
    if "<" in raw and ">" in raw:
        title = _TITLE.search(raw)
        raw = title.group(1) if title else _TAG.sub(" ", _SCRIPT.sub(" ", raw))
    return excerpt(raw, limit)
