"""``eventide chat`` on a terminal: the answer plain on stdout; the metadata line, the
reasoning (in its own block), the tool calls and the closing line on stderr, dimmed.

Colour (ANSI dim) only when stderr is a terminal and ``NO_COLOR`` is unset or empty
(https://no-color.org, read 2026-12); the answer is never styled, so that it can be copied or
redirected as it is.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, final

from .._events import (
    Finish,
    Metadata,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

if TYPE_CHECKING:
    from typing import TextIO

    from .._events import Event

__all__ = ["Screen", "use_color"]

DIM = "\x1b[2m"
RESET = "\x1b[0m"
_CALL_WIDTH = 80  # a tool call's arguments are cut to this many characters


def use_color(stream: TextIO) -> bool:
    """Whether to style `stream`: a terminal, and no ``NO_COLOR``."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _compact(arguments: str) -> str:
    flat = " ".join(arguments.split())
    return flat if len(flat) <= _CALL_WIDTH else f"{flat[: _CALL_WIDTH - 1]}…"


@final
class Screen:
    """Show the events of one answer as they come.

    Args:
        out: Where the answer goes (stdout).
        err: Where everything else goes (stderr).
        color: Dim what is not the answer.
        started: The clock reading when the request was sent (for time to first token).
    """

    def __init__(self, out: TextIO, err: TextIO, *, color: bool, started: float) -> None:
        self._out = out
        self._err = err
        self._dim, self._reset = (DIM, RESET) if color else ("", "")
        self._started = started
        self._first: float | None = None  # clock reading at the first content event
        self._thinking = False  # inside the reasoning block
        self._answering = False  # the answer's line is open (no newline after it yet)
        self._tokens = ""

    def _note(self, text: str) -> None:
        self._end_reasoning()
        print(f"{self._dim}{text}{self._reset}", file=self._err, flush=True)

    def _end_reasoning(self) -> None:
        if self._thinking:
            self._thinking = False
            self._err.write(f"{self._reset}\n\n")
            self._err.flush()

    def show(self, event: Event, now: float) -> None:
        """Show one event, which arrived at clock reading `now`."""
        if self._first is None and isinstance(
            event, TextDelta | RefusalDelta | ReasoningDelta | ToolCallDelta | ToolCall
        ):
            self._first = now
        match event:
            case TextDelta(text=text) | RefusalDelta(text=text):  # a refusal is the answer
                self._end_reasoning()
                self._answering = True
                self._out.write(text)
                self._out.flush()
            case ReasoningDelta(text=text):
                if not self._thinking:
                    self._thinking = True
                    self._err.write(self._dim)
                self._err.write(text)
                self._err.flush()
            case ToolCall(name=name, arguments=arguments):
                self._note(f"[call {name}({_compact(arguments)})]")
            case Metadata(provider=served_by, model=model):
                self._note(f"[{served_by} · {model}]")
            case Usage(input_tokens=used_in, output_tokens=used_out):
                self._tokens = f" · {used_in} in / {used_out} out tokens"
            case Finish(reason=reason):
                self._end_reasoning()
                self._answering = False
                self._out.write("\n")
                self._out.flush()
                first = (
                    ""
                    if self._first is None
                    else f" · first token {self._first - self._started:.2f} s"
                )
                self._note(f"[finish: {reason}{self._tokens}{first}]")
            case _:
                pass

    def stop(self) -> None:
        """End what is open (the reasoning block, the answer's line) after a failure, so
        that the error line starts a line of its own."""
        self._end_reasoning()
        if self._answering:
            self._answering = False
            self._out.write("\n")
        self._out.flush()
