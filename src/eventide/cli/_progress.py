"""``eventide batch``'s reporting: the counts of a run, a rich progress bar on stderr (or,
without rich or a terminal, a plain-text progress line), and the summary line that ends every
run."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Literal, Protocol, TextIO, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import Task
    from rich.text import Text

__all__ = ["Counts", "Lines", "Progress", "progress_for", "summary"]


@attrs.define
class Counts:
    """What a run did. ``total`` is what is left to run: IN's lines, less those in OUT."""

    total: int
    ok: int = 0
    errors: int = 0  # request errors, written to OUT
    bad: int = 0  # malformed lines
    duplicates: int = 0
    resumed_ok: int = 0  # already in OUT, succeeded
    resumed_failed: int = 0  # already in OUT, failed
    stopped: bool = False  # --on-error stop
    interrupted: bool = False

    @property
    def processed(self) -> int:
        return self.ok + self.errors + self.bad + self.duplicates

    @property
    def failed(self) -> int:
        return self.errors + self.bad + self.duplicates


class Progress(Protocol):
    """Where a run reports: `start`, an `update` per change, a `note` per message, `stop`."""

    def start(self, counts: Counts) -> None: ...
    def update(self, counts: Counts) -> None: ...
    def note(self, message: str) -> None: ...
    def stop(self) -> None: ...


@final
class _Plain:
    """No bar: notes go to stderr as they come, the summary at the end."""

    def __init__(self, err: TextIO) -> None:
        self._err = err

    def start(self, counts: Counts) -> None: ...
    def update(self, counts: Counts) -> None: ...
    def stop(self) -> None: ...

    def note(self, message: str) -> None:
        print(message, file=self._err, flush=True)


@final
class Lines:
    """Progress in plain text on stderr: on a terminal, one line redrawn in place (``\\r``)
    at most every `redraw` seconds; elsewhere (a log file, CI), one line every `every`
    seconds. Notes go between them.

    Args:
        err: Where the lines go.
        terminal: Redraw one line in place (else: periodic lines).
        every: Seconds between two periodic lines.
        redraw: Seconds between two redraws on a terminal.
        clock: The clock, in seconds.
    """

    def __init__(
        self,
        err: TextIO,
        *,
        terminal: bool,
        every: float = 10.0,
        redraw: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._err = err
        self._terminal = terminal
        self._every = redraw if terminal else every
        self._clock = clock
        self._started = self._last = clock()
        self._shown = 0  # the width of the line on the terminal, to blank it

    def line(self, counts: Counts) -> str:
        """The progress line: done/total, ok and failed, rate and time left."""
        seconds = self._clock() - self._started
        rate = counts.processed / seconds if seconds > 0 else 0.0
        left = counts.total - counts.processed
        eta = f"{left / rate:.0f} s" if rate > 0 else "?"
        return (
            f"eventide: batch: {counts.processed}/{counts.total} ({counts.ok} ok, "
            f"{counts.failed} failed) · {rate:.1f} req/s · ETA {eta}"
        )

    def _draw(self, counts: Counts) -> None:
        text = self.line(counts)
        if self._terminal:
            self._err.write(f"\r{text}{' ' * max(0, self._shown - len(text))}")
            self._shown = len(text)
        else:
            self._err.write(text + "\n")
        self._err.flush()

    def _blank(self) -> None:
        if self._shown:
            self._err.write(f"\r{' ' * self._shown}\r")
            self._shown = 0

    def start(self, counts: Counts) -> None:
        self._started = self._last = self._clock()
        if self._terminal:
            self._draw(counts)

    def update(self, counts: Counts) -> None:
        now = self._clock()
        if now - self._last >= self._every:
            self._last = now
            self._draw(counts)

    def note(self, message: str) -> None:
        self._blank()
        print(message, file=self._err, flush=True)

    def stop(self) -> None:
        self._blank()
        self._err.flush()


@final
class _Rich:
    """A rich progress bar on stderr: processed/total, ok and failed, rate, ETA."""

    def __init__(self, *, force: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TaskID,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("  -.- req/s" if speed is None else f"{speed:5.1f} req/s")

        console = Console(stderr=True, force_terminal=True if force else None)
        self.console = console
        self._progress = Progress(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[ok]} ok[/] [red]{task.fields[failed]} failed[/]"),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            speed_estimate_period=10.0,
        )
        self._task = TaskID(0)

    def start(self, counts: Counts) -> None:
        self._task = self._progress.add_task("batch", total=counts.total, ok=0, failed=0)
        self._progress.start()

    def update(self, counts: Counts) -> None:
        self._progress.update(
            self._task,
            total=counts.total,
            completed=counts.processed,
            ok=counts.ok,
            failed=counts.failed,
        )

    def note(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        self._progress.stop()


def progress_for(mode: Literal["auto", "always", "never"], err: TextIO) -> Progress:
    """A rich bar for `mode` (when stderr is a terminal, for "auto"); else, without rich or
    a terminal, plain `Lines`; for "never", the notes alone."""
    if mode == "never":
        return _Plain(err)
    isatty = getattr(err, "isatty", None)
    terminal = bool(isatty is not None and isatty())
    try:
        progress = _Rich(force=mode == "always")
    except ImportError:
        if mode == "always":
            print(
                "eventide: no progress bar: rich is not installed (eventide[cli]); "
                "plain progress lines instead",
                file=err,
            )
        return Lines(err, terminal=terminal)
    return progress if progress.console.is_terminal else Lines(err, terminal=terminal)


def summary(counts: Counts, seconds: float, output: str) -> str:
    """The line that ends every run: what succeeded, failed, was resumed, and how fast."""
    failed = [
        f"{n} {what}{'' if n == 1 else 's'}"
        for n, what in (
            (counts.errors, "request error"),
            (counts.bad, "malformed line"),
            (counts.duplicates, "duplicate id"),
        )
        if n
    ]
    text = f"eventide: batch: {counts.ok} ok, {counts.failed} failed"
    if failed:
        text += f" ({', '.join(failed)})"
    rate = counts.processed / seconds if seconds > 0 else math.inf
    text += f" in {seconds:.1f} s ({rate:.1f} req/s)"
    resumed = counts.resumed_ok + counts.resumed_failed
    if resumed:
        text += f"; {resumed} already in {output}"
        if counts.resumed_failed:
            text += f" ({counts.resumed_failed} failed)"
    if counts.stopped:
        text += "; stopped at a bad input line (--on-error stop)"
    if counts.interrupted:
        text += "; interrupted: run the same command again to resume"
    return text
