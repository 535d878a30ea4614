"""`smooth`: the answer text re-chunked by word or by line, for display."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, final

from .._events import TextDelta
from ._base import StageBase
from ._staged import Staged

if TYPE_CHECKING:
    from .._events import Event
    from ..providers import Provider

__all__ = ["Chunking", "Smooth", "smooth"]

Chunking: TypeAlias = Literal["word", "line"]
"""How `smooth` cuts text: after each word's trailing spaces, or after each newline."""

_CHUNKS: Final[dict[str, re.Pattern[str]]] = {
    "word": re.compile(r"\S+\s*|\s+"),
    "line": re.compile(r"[^\n]*\n|[^\n]+"),
}


@final
class Smooth(StageBase):
    """The stage of `smooth`: it holds nothing between network reads.

    Args:
        chunking: ``"word"`` or ``"line"``.
    """

    __slots__ = ("_pattern",)

    def __init__(self, chunking: Chunking = "word") -> None:
        self._pattern = _CHUNKS[chunking]

    def feed(self, events: list[Event]) -> list[Event]:
        """Each run of text deltas in the batch, joined and cut into chunks."""
        out: list[Event] = []
        run: list[str] = []
        for event in events:
            if type(event) is TextDelta:
                run.append(event.text)
                continue
            if run:
                self._cut(run, out)
                run = []
            out.append(event)
        if run:
            self._cut(run, out)
        return out

    def _cut(self, run: list[str], out: list[Event]) -> None:
        text = run[0] if len(run) == 1 else "".join(run)
        out.extend(TextDelta(found.group()) for found in self._pattern.finditer(text))


def smooth(provider: Provider, *, chunking: Chunking = "word") -> Staged:
    """`provider`, with its answer text cut into one `TextDelta` per word (with its
    trailing whitespace) or per line (with its newline), for display.

    The delay it adds is zero: a stage runs only when a network read arrives, with no
    timer of its own, so holding the end of a word for the next read could hold it for as
    long as the provider pauses. Instead each read's text is re-chunked and all of it is
    handed on with that read. So a chunk is a whole word (or line) except where a network
    read ended inside one: there the word is cut in two, its second part coming with the
    next read. What it evens out is the size of the deltas: a read carrying many
    one-token deltas, or one large delta (a replay, a provider that sends sentences),
    becomes word- (or line-) sized deltas. Other events keep their place.

    Args:
        provider: The provider to wrap.
        chunking: ``"word"`` (default) or ``"line"``.

    Returns:
        A provider.

    Raises:
        ValueError: `chunking` is neither ``"word"`` nor ``"line"``.
    """
    if chunking not in _CHUNKS:
        raise ValueError(f"chunking must be 'word' or 'line', not {chunking!r}")
    return Staged(provider, lambda: Smooth(chunking))
