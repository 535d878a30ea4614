"""`extract_reasoning`: ``<think>…</think>`` in the answer text becomes `ReasoningDelta`s,
as local reasoning models (DeepSeek-R1, Qwen, ...) write it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, final

from .._events import ReasoningDelta, TextDelta
from ._base import StageBase
from ._staged import Staged

if TYPE_CHECKING:
    from .._events import Event
    from ..providers import Provider

__all__ = ["ExtractReasoning", "extract_reasoning"]

_TAG_NAME = re.compile(r"[A-Za-z_][\w.\-:]*")


def _partial_tag(text: str, tag: str) -> int:
    """How many characters at the end of `text` could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


@final
class ExtractReasoning(StageBase):
    """The stage of `extract_reasoning`: one stream's position inside or outside the tag.

    Args:
        tag: The tag's name (``"think"`` for ``<think>…</think>``).
        separator: Put before a section of text (or of reasoning) that follows an earlier
            one of the same kind across a tag.
        start_with_reasoning: The text starts inside the tag (the opening tag was in the
            prompt).
    """

    __slots__ = ("_close", "_held", "_inside", "_open", "_seen", "_separator", "_switched")

    def __init__(
        self, *, tag: str = "think", separator: str = "\n", start_with_reasoning: bool = False
    ) -> None:
        self._open = f"<{tag}>"
        self._close = f"</{tag}>"
        self._separator = separator
        self._inside = start_with_reasoning
        self._held = ""  # the end of the text so far that may be the start of a tag
        self._seen = [False, False]  # a section of text, of reasoning, has been handed on
        self._switched = False  # a tag has passed since the last piece handed on

    def feed(self, events: list[Event]) -> list[Event]:
        """Text split into text and reasoning; other events pass (after any held text)."""
        out: list[Event] = []
        for event in events:
            if type(event) is TextDelta:
                self._split(self._held + event.text, out)
            else:
                if self._held:
                    self._emit(self._held, out)
                    self._held = ""
                out.append(event)
        return out

    def _split(self, text: str, out: list[Event]) -> None:
        while True:
            tag = self._close if self._inside else self._open
            found = text.find(tag)
            if found < 0:
                keep = _partial_tag(text, tag)
                self._held = text[len(text) - keep :]
                self._emit(text[: len(text) - keep], out)
                return
            self._emit(text[:found], out)
            text = text[found + len(tag) :]
            self._inside = not self._inside
            self._switched = True

    def _emit(self, piece: str, out: list[Event]) -> None:
        if not piece:
            return
        inside = self._inside
        if self._switched and self._seen[inside]:
            piece = self._separator + piece
        self._switched = False
        self._seen[inside] = True
        out.append(ReasoningDelta(piece) if inside else TextDelta(piece))

    def end(self) -> list[Event]:
        """Any text still held (the `Finish` normally flushed it)."""
        out: list[Event] = []
        if self._held:
            self._emit(self._held, out)
            self._held = ""
        return out


def extract_reasoning(
    provider: Provider,
    *,
    tag: str = "think",
    separator: str = "\n",
    start_with_reasoning: bool = False,
) -> Staged:
    """`provider`, with the text inside ``<tag>…</tag>`` handed on as `ReasoningDelta`s
    and the tags themselves removed, as the Vercel AI SDK's ``extractReasoningMiddleware``
    does.

    The tags may be split anywhere across deltas: the end of the text that could be the
    start of a tag (at most ``len("</tag>") - 1`` characters) is held until the next text
    decides, and handed on before any other event. A tag may open at the very start or
    mid-text, and there may be several sections. An opening tag never closed makes the
    rest of the answer reasoning. Reasoning the provider sends natively passes unchanged.

    Args:
        provider: The provider to wrap.
        tag: The tag's name (default ``"think"``).
        separator: Put before a section that follows an earlier section of the same kind
            (text after text, reasoning after reasoning) across a tag (default a newline).
        start_with_reasoning: The answer starts inside the tag, the opening tag having
            been in the prompt (some chat templates put it there).

    Returns:
        A provider.

    Raises:
        ValueError: `tag` is not an XML name.
        TypeError: `separator` is not a string.
    """
    if not isinstance(tag, str) or _TAG_NAME.fullmatch(tag) is None:
        raise ValueError(f"tag must be an XML tag name such as 'think', not {tag!r}")
    if not isinstance(separator, str):
        raise TypeError(f"separator must be a string, not {separator!r}")
    start = bool(start_with_reasoning)
    return Staged(
        provider,
        lambda: ExtractReasoning(tag=tag, separator=separator, start_with_reasoning=start),
    )
