"""`redact`: regular expressions out of the answer text and the tool-call arguments, also
when a match is split across deltas."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, final

import attrs

from .._events import ReasoningDelta, TextDelta, ToolCall, ToolCallDelta
from ._base import StageBase
from ._staged import Staged

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .._events import Event
    from ..providers import Provider

__all__ = ["Redact", "Redactor", "redact"]

_TEXT = -1  # the channel keys of the answer text and of the reasoning text; a tool call's
_REASONING = -2  # arguments use the call's index (>= 0)


@final
class Redactor:
    """The redaction rules of one `redact` stage, compiled once and shared by its streams.

    Args:
        patterns: Regular expressions (strings or compiled patterns).
        replacement: What each match becomes (literal text, not a template).
        max_match: The longest match, in characters, that is redacted exactly as in the
            whole text even when it arrives split across deltas; the stage holds back at
            most ``max_match - 1`` characters of each channel until more text comes.

    Raises:
        TypeError: A pattern is neither a string nor a compiled pattern, or `replacement`
            is not a string.
        ValueError: No patterns, a pattern that does not compile or matches the empty
            string, or `max_match` below 1.
    """

    __slots__ = ("max_match", "patterns", "replacement")

    def __init__(
        self,
        patterns: Iterable[str | re.Pattern[str]] | str | re.Pattern[str],
        *,
        replacement: str = "[redacted]",
        max_match: int = 256,
    ) -> None:
        if isinstance(patterns, str | re.Pattern):
            patterns = [patterns]
        compiled = []
        for pattern in patterns:
            if not isinstance(pattern, str | re.Pattern):
                raise TypeError(f"a pattern is a string or a compiled pattern, not {pattern!r}")
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
            if not isinstance(regex.pattern, str):
                raise TypeError(f"pattern {pattern!r} is a bytes pattern, not a text one")
            if regex.fullmatch("") is not None:
                raise ValueError(f"pattern {regex.pattern!r} matches the empty string")
            compiled.append(regex)
        if not compiled:
            raise ValueError("redact needs at least one pattern")
        if not isinstance(replacement, str):
            raise TypeError(f"replacement must be a string, not {replacement!r}")
        if isinstance(max_match, bool) or not isinstance(max_match, int) or max_match < 1:
            raise ValueError(f"max_match must be an integer of at least 1, not {max_match!r}")
        self.patterns: tuple[re.Pattern[str], ...] = tuple(compiled)
        self.replacement = replacement
        self.max_match = max_match

    def __repr__(self) -> str:  # the patterns may describe secrets: never show them
        return f"Redactor({len(self.patterns)} patterns, max_match={self.max_match})"

    def _next_match(self, text: str, pos: int) -> tuple[int, int] | None:
        """The leftmost non-empty match at or after `pos` (the first pattern wins a tie)."""
        best: tuple[int, int] | None = None
        for pattern in self.patterns:
            found = pattern.search(text, pos)
            while found is not None and found.end() == found.start():
                found = pattern.search(text, found.start() + 1)
            if found is not None and (best is None or found.start() < best[0]):
                best = (found.start(), found.end())
        return best

    def redact(self, text: str, *, final: bool = True) -> tuple[str, str]:
        """Redact `text`: return the text to hand on and the tail to hold back.

        With ``final=False`` the last ``max_match - 1`` characters are held back unless a
        match that starts before them covers them: a match still growing could reach
        into them.
        """
        safe = len(text) if final else len(text) - (self.max_match - 1)
        out: list[str] = []
        pos = 0
        while pos < safe:
            found = self._next_match(text, pos)
            if found is None or found[0] >= safe:
                break
            start, end = found
            out.append(text[pos:start])
            out.append(self.replacement)
            pos = end
        if pos < safe:
            out.append(text[pos:safe])
            pos = safe
        return "".join(out), text[pos:]


@final
class Redact(StageBase):
    """The stage of `redact`: one stream's held-back tails, one per channel (the text, the
    reasoning text, and each tool call's arguments)."""

    __slots__ = ("_held", "_redactor")

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._held: dict[int, str] = {}

    def feed(self, events: list[Event]) -> list[Event]:
        """Redacted events; the tail of a channel waits for more of that channel."""
        out: list[Event] = []
        for event in events:
            match event:
                case TextDelta(text=text):
                    self._flush(out, keep=_TEXT)
                    shown = self._through(_TEXT, text)
                    if shown:
                        out.append(TextDelta(shown))
                case ReasoningDelta(text=text):
                    self._flush(out, keep=_REASONING)
                    shown = self._through(_REASONING, text)
                    if shown:
                        out.append(ReasoningDelta(shown))
                case ToolCallDelta(index=index, arguments=arguments):
                    self._flush(out, keep=index)
                    shown = self._through(index, arguments)
                    if shown or event.id is not None or event.name is not None:
                        out.append(attrs.evolve(event, arguments=shown))
                case ToolCall(arguments=arguments):
                    self._flush(out, keep=None)
                    shown, _ = self._redactor.redact(arguments)
                    if shown != arguments:
                        event = attrs.evolve(event, arguments=shown)
                    out.append(event)
                case _:
                    self._flush(out, keep=None)
                    out.append(event)
        return out

    def _through(self, channel: int, piece: str) -> str:
        shown, self._held[channel] = self._redactor.redact(
            self._held.get(channel, "") + piece, final=False
        )
        return shown

    def _flush(self, out: list[Event], *, keep: int | None) -> None:
        """Hand on the held tails of every channel but `keep`, redacted as final."""
        held = self._held
        if not held or (len(held) == 1 and keep in held):
            return
        for channel in [c for c in held if c != keep]:
            shown, _ = self._redactor.redact(held.pop(channel))
            if not shown:
                continue
            if channel == _TEXT:
                out.append(TextDelta(shown))
            elif channel == _REASONING:
                out.append(ReasoningDelta(shown))
            else:
                out.append(ToolCallDelta(channel, None, None, shown))

    def end(self) -> list[Event]:
        """Nothing is held at the end: the `Finish` flushed every tail."""
        out: list[Event] = []
        self._flush(out, keep=None)
        return out


def redact(
    provider: Provider,
    patterns: Iterable[str | re.Pattern[str]] | str | re.Pattern[str],
    *,
    replacement: str = "[redacted]",
    max_match: int = 256,
) -> Staged:
    """`provider`, with every match of `patterns` replaced in the answer text, the
    reasoning text and the tool calls' arguments (their deltas and the complete
    `ToolCall`), so the `Completion`'s text, reasoning and arguments come out redacted too.

    A match split across deltas is still redacted: each channel (the text, the reasoning,
    each tool call's arguments) holds back its last ``max_match - 1`` characters until more of it
    comes, and hands them on, redacted, before any event of another kind (at the latest
    before `Finish`). Matches up to `max_match` characters long are found exactly as in the
    whole text; a longer one may be redacted only in part. Look-behind assertions see only
    the held-back text. Refusals, `Metadata` and whole `Reasoning` blocks (whose
    signature must go back with the very text it signs) pass unchanged. If the stream
    fails, the held-back tail (at most ``max_match - 1`` characters per channel, possibly
    the start of a secret) is not handed on.

    Args:
        provider: The provider to wrap.
        patterns: One regular expression or several (strings or compiled patterns).
        replacement: What each match becomes.
        max_match: The longest match guaranteed to be found across deltas (default 256).

    Returns:
        A provider.

    Raises:
        TypeError: A pattern or `replacement` of the wrong type.
        ValueError: No patterns, a pattern that does not compile or matches the empty
            string, or `max_match` below 1.
    """
    redactor = Redactor(patterns, replacement=replacement, max_match=max_match)
    return Staged(provider, lambda: Redact(redactor))
