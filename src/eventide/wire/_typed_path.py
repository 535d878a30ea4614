"""What the mappers' typed paths (``on_data``) share."""

from __future__ import annotations

from .._events import TextDelta

__all__ = ["new_event", "set_text"]

new_event = object.__new__
set_text = TextDelta.__dict__["text"].__set__
"""`TextDelta(text)` in two C calls: ``new_event(TextDelta)`` then ``set_text(event, text)``;
attrs' ``__init__`` of a frozen class goes through ``object.__setattr__`` (about 0.1 µs
more)."""
