"""``eventide batch IN.jsonl -o OUT.jsonl``: one request per input line, one record per request.

An input line is a JSON object with ``messages`` (OpenAI-style) or ``prompt``, and optionally
``id`` (a string or an integer; default: the 1-based line number), ``model`` and OpenAI-style
parameters. An output line is a compact JSON record::

    {"id", "provider", "model", "text", "reasoning", "tool_calls": [{"id", "name", "arguments"}],
     "usage": {...} | null, "finish_reason", "timing": {"to_metadata", "to_first_content",
     "total"}, "error": null | {"kind", "message", "status_code", "retryable", "partial_text"}}

A failed request's record has ``text`` and ``reasoning`` null and what did arrive in
``error.partial_text``. Malformed lines and duplicate ids get no record: they are reported
on stderr with their line number, and skipped or (``--on-error stop``) end the run.

Reading: a first, cheap pass counts IN's lines (the progress total); the second reads them
lazily, in a sync generator that `AsyncClient.batch` pulls from only when a slot is free,
so memory grows with ``--concurrency``, not with the file. Only ids are kept for every
line: those already in OUT (to resume) and those seen in IN (to catch duplicates).

Writing: OUT is opened with ``O_APPEND`` and each record is one ``os.write`` of a complete
line, so a crash or a kill leaves whole lines only. A torn last line (a full disk, a copy
cut short) is cut back to the last newline before anything is appended. Re-running the
same command skips the ids OUT already holds, so an interrupted batch resumes where it
stopped and ends with the same records as a run that was never interrupted.

Ctrl-C cancels the batch (every open stream is closed) and exits with 130; every record
handed out is already in OUT. A result the batch had not handed out yet is not written, and
runs again on resume: with ``--ordered`` those are the ones held back behind a request still
running (at most ``--concurrency - 1``). A second Ctrl-C interrupts the clean-up itself.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, TextIO, final

import attrs
import trio

from ._completion import Timing
from ._errors import Error

if TYPE_CHECKING:
    import argparse

    from rich.progress import Task
    from rich.text import Text

    from ._request import Request
    from .client import BatchResult
    from .providers import Provider

__all__ = ["add_batch_arguments", "run_batch"]

ProviderFactory = Callable[["argparse.Namespace", TextIO], "Provider"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

_INT_PARAMS = ("max_tokens", "max_completion_tokens", "seed", "n")
_NUMBER_PARAMS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``eventide batch`` (the provider options are added by the caller)."""
    parser.add_argument("input", metavar="IN.jsonl", help="one request per line")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT.jsonl",
        required=True,
        help="where the records go; appended to, and the ids it holds are skipped (resume)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=16,
        metavar="N",
        help="requests in flight at once (default: 16)",
    )
    parser.add_argument(
        "--ordered",
        action="store_true",
        help="write the records in input order (default: as they finish)",
    )
    parser.add_argument(
        "--on-error",
        choices=("skip", "stop"),
        default="skip",
        help="a malformed input line or a duplicate id is reported and skipped (default), "
        "or stops the run after the requests in flight finish",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="a progress bar on stderr (needs rich, the `cli` extra): when stderr is a "
        "terminal (auto, the default), always, or never; a summary line ends every run",
    )


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


# -- input ------------------------------------------------------------------------------


class _BadLine(Exception):
    """An input line that is not a valid request."""


class _Duplicate(_BadLine):
    """An input line whose id an earlier line has."""


@final
@attrs.frozen
class _Item:
    """What the output record needs to know about a request in flight."""

    id: Any
    model: str | None


def _request_of(raw: bytes, line: int, model: str | None) -> tuple[Any, Request]:
    """The id and `Request` of one input line.

    Raises:
        _BadLine: The line is not a JSON object with ``messages`` or ``prompt`` and valid types.
    """
    from .client._batch import item_request

    try:
        text = raw.rstrip(b"\r\n").decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise _BadLine(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(item, dict):
        raise _BadLine(f"expected a JSON object, got {_json_type(item)}")
    item_id = item.get("id", line)
    if isinstance(item_id, bool) or not isinstance(item_id, str | int):
        raise _BadLine(f"id must be a string or an integer, not {_json_type(item_id)}")
    if "messages" not in item and "prompt" not in item:
        raise _BadLine("a request needs messages or prompt")
    if "prompt" in item and not isinstance(item["prompt"], str):
        raise _BadLine(f"prompt must be a string, not {_json_type(item['prompt'])}")
    if "messages" in item and not isinstance(item["messages"], list):
        raise _BadLine(f"messages must be a list, not {_json_type(item['messages'])}")
    _check_param(item, "model", str)
    for name in _INT_PARAMS:
        _check_param(item, name, int)
    for name in _NUMBER_PARAMS:
        _check_param(item, name, int | float)
    try:
        _, request = item_request(item, line, model)
    except KeyError as exc:
        raise _BadLine(f"missing field {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise _BadLine(str(exc)) from None
    return item_id, request


def _check_param(item: dict[str, Any], name: str, kind: Any) -> None:
    value = item.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        wanted = "a string" if kind is str else "an integer" if kind is int else "a number"
        raise _BadLine(f"{name} must be {wanted}, not {_json_type(value)}")


_JSON_TYPES = {type(None): "null", bool: "a boolean", int: "a number", float: "a number"}
_JSON_TYPES |= {str: "a string", list: "an array", dict: "an object"}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def count_lines(path: str) -> int:
    """The non-blank lines of a file: the requests it holds, valid or not."""
    count = 0
    with open(path, "rb") as source:
        for raw in source:
            if not raw.isspace():
                count += 1
    return count


# -- output -----------------------------------------------------------------------------


@final
@attrs.frozen
class Resumed:
    """What OUT already holds: its ids, whether each succeeded, and what was repaired."""

    ok: dict[Any, bool]
    torn_bytes: int = 0
    bad_lines: tuple[int, ...] = ()


def open_output(path: str) -> tuple[int, Resumed]:
    """Open OUT for appending (made if missing), after reading the ids it holds and cutting
    off a torn last line; return the file descriptor and what was found."""
    binary = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | binary, 0o644)
    try:
        ok: dict[Any, bool] = {}
        bad: list[int] = []
        end = 0  # offset just past the last complete line
        with os.fdopen(os.dup(fd), "rb") as existing:
            for number, raw in enumerate(existing, 1):
                if not raw.endswith(b"\n"):
                    break
                end += len(raw)
                if raw.isspace():
                    continue
                try:
                    record = json.loads(raw)
                    item_id = record["id"]
                    ok[item_id] = record.get("error") is None
                except (ValueError, TypeError, KeyError):  # JSON, not an object, no id
                    bad.append(number)
        size = os.fstat(fd).st_size
        if size > end:
            os.ftruncate(fd, end)
        return fd, Resumed(ok, size - end, tuple(bad))
    except BaseException:
        os.close(fd)
        raise


def write_line(fd: int, record: dict[str, Any]) -> None:
    """Append one record as one line, with one ``os.write`` (O_APPEND: a complete line)."""
    try:
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    except UnicodeEncodeError:  # a lone surrogate from the provider: keep it, escaped
        data = (json.dumps(record, separators=(",", ":")) + "\n").encode()
    view = memoryview(data)
    while view:  # a regular file takes it all at once, short of a full disk
        view = view[os.write(fd, view) :]


def record_of(item: _Item, result: BatchResult, default_model: str | None) -> dict[str, Any]:
    """The output record of one result."""
    completion, error = result.completion, result.error
    shown = completion if completion is not None else error.partial if error is not None else None
    timing = shown.timing if shown is not None else Timing()
    usage = shown.usage if shown is not None else None
    return {
        "id": item.id,
        "provider": result.provider,
        "model": result.model or item.model or default_model,
        "text": completion.text if completion is not None else None,
        "reasoning": completion.reasoning if completion is not None else None,
        "tool_calls": [
            {"id": call.id, "name": call.name, "arguments": call.arguments}
            for call in (completion.tool_calls if completion is not None else ())
        ],
        "usage": None
        if usage is None
        else {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
            "cached_tokens": usage.cached_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
        },
        "finish_reason": completion.finish_reason if completion is not None else None,
        "timing": {
            "to_metadata": _seconds(timing.to_metadata),
            "to_first_content": _seconds(timing.to_first_content),
            "total": _seconds(timing.total),
        },
        "error": None if error is None else _error_of(error),
    }


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _error_of(error: Error) -> dict[str, Any]:
    status = getattr(error, "status_code", None)
    return {
        "kind": error.kind,
        "message": error.message,
        "status_code": status if isinstance(status, int) else None,
        "retryable": error.retryable,
        "partial_text": error.partial.text if error.partial is not None else "",
    }


# -- progress ---------------------------------------------------------------------------


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


class _Progress(Protocol):
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


def _progress(mode: Literal["auto", "always", "never"], err: TextIO) -> _Progress:
    if mode == "never":
        return _Plain(err)
    try:
        progress = _Rich(force=mode == "always")
    except ImportError:
        if mode == "always":
            print("eventide: no progress bar: rich is not installed (eventide[cli])", file=err)
        return _Plain(err)
    return progress if progress.console.is_terminal else _Plain(err)


def _summary(counts: Counts, seconds: float, output: str) -> str:
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


# -- the run ----------------------------------------------------------------------------


@final
class _Run:
    """One ``eventide batch`` run: the input generator, the result loop and the counts."""

    def __init__(
        self,
        args: argparse.Namespace,
        source: IO[bytes],
        out_fd: int,
        resumed: Resumed,
        progress: _Progress,
    ) -> None:
        self.args = args
        self.source = source
        self.out_fd = out_fd
        self.resumed = resumed.ok
        self.progress = progress
        self.counts = Counts(total=0)
        self.pending: dict[int, _Item] = {}  # batch index -> item; at most concurrency + 1

    def requests(self) -> Iterator[Request]:
        """IN's requests, read lazily; reports, counts and skips what cannot run."""
        counts, name = self.counts, self.args.input
        seen: dict[Any, int] = {}  # id -> line
        index = 0
        for line, raw in enumerate(self.source, 1):
            if raw.isspace():
                continue
            try:
                item_id, request = _request_of(raw, line, self.args.model)
                first = seen.setdefault(item_id, line)
                if first != line:
                    raise _Duplicate(f"duplicate id {json.dumps(item_id)} (first on line {first})")
            except _BadLine as exc:
                if isinstance(exc, _Duplicate):
                    counts.duplicates += 1
                else:
                    counts.bad += 1
                stop = self.args.on_error == "stop"
                then = "stopping (--on-error stop)" if stop else "skipped"
                self._report(f"eventide: {name}:{line}: {exc}; {then}")
                if stop:
                    counts.stopped = True
                    return
                continue
            done = self.resumed.get(item_id)
            if done is not None:
                counts.total -= 1
                if done:
                    counts.resumed_ok += 1
                else:
                    counts.resumed_failed += 1
                self.progress.update(counts)
                continue
            self.pending[index] = _Item(item_id, request.model)
            index += 1
            yield request

    def _report(self, message: str) -> None:
        self.progress.note(message)
        self.progress.update(self.counts)

    @trio.lowlevel.enable_ki_protection
    def finished(self, result: BatchResult, default_model: str | None) -> None:
        """Write one result's record (KeyboardInterrupt waits until it is written)."""
        item = self.pending.pop(result.index)
        write_line(self.out_fd, record_of(item, result, default_model))
        if result.ok:
            self.counts.ok += 1
        else:
            self.counts.errors += 1
        self.progress.update(self.counts)

    async def run(self, provider: Provider) -> None:
        from .client import AsyncClient

        default_model = getattr(provider, "model", None)
        if not isinstance(default_model, str):
            default_model = None
        args = self.args
        async with provider, AsyncClient(provider) as client:
            batch = client.batch(
                self.requests(), max_concurrency=args.concurrency, ordered=args.ordered
            )
            async with batch as results:
                try:
                    async for result in results:
                        self.finished(result, default_model)
                finally:  # stopped early (Ctrl-C): keep what had already finished
                    for result in results.ready():
                        self.finished(result, default_model)

    async def run_until_interrupted(self, provider: Provider) -> None:
        """`run`, stopped cleanly by the first Ctrl-C (SIGINT cancels it)."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._watch_sigint, nursery.cancel_scope)
            await self.run(provider)
            nursery.cancel_scope.cancel()

    async def _watch_sigint(self, scope: trio.CancelScope) -> None:
        with trio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                self.counts.interrupted = True
                scope.cancel()
                break  # a second Ctrl-C raises KeyboardInterrupt as usual


def run_batch(args: argparse.Namespace, err: TextIO, make_provider: ProviderFactory) -> int:
    """Run ``eventide batch``; return the exit status.

    0: every line of IN has a successful record in OUT. 1: a request failed (its record
    says how), a line was malformed or a duplicate, or the run was stopped. 130: Ctrl-C.
    """
    input_path, output_path = args.input, args.output
    try:
        if os.path.exists(output_path) and os.path.samefile(input_path, output_path):
            print("eventide: error: IN and OUT are the same file", file=err)
            return 2
        total = count_lines(input_path)
        source = open(input_path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        print(f"eventide: error: {exc.strerror or exc}: {exc.filename or input_path}", file=err)
        return 2
    with source:
        try:
            out_fd, resumed = open_output(output_path)
        except OSError as exc:
            print(f"eventide: error: {exc.strerror or exc}: {output_path}", file=err)
            return 2
        try:
            return _run_batch(args, err, make_provider, source, out_fd, resumed, total)
        finally:
            os.close(out_fd)


def _run_batch(
    args: argparse.Namespace,
    err: TextIO,
    make_provider: ProviderFactory,
    source: IO[bytes],
    out_fd: int,
    resumed: Resumed,
    total: int,
) -> int:
    try:
        provider = make_provider(args, err)
    except ValueError as exc:
        print(f"eventide: error: {exc}", file=err)
        return 2
    progress = _progress(args.progress, err)
    state = _Run(args, source, out_fd, resumed, progress)
    counts = state.counts
    counts.total = total
    if resumed.torn_bytes:
        progress.note(
            f"eventide: {args.output}: removed an incomplete last line "
            f"({resumed.torn_bytes} bytes): its request runs again"
        )
    for number in resumed.bad_lines:
        progress.note(f"eventide: {args.output}:{number}: not a record, ignored")
    start = time.monotonic()
    progress.start(counts)
    failure: Error | None = None
    try:
        trio.run(state.run_until_interrupted, provider)
    except KeyboardInterrupt:  # a second Ctrl-C, during the clean-up
        counts.interrupted = True
    except BaseExceptionGroup as group:
        if group.subgroup(KeyboardInterrupt) is None:
            raise
        counts.interrupted = True
    except Error as exc:  # not a request's failure: those are records
        failure = exc
    finally:
        progress.update(counts)
        progress.stop()
    if failure is not None:
        print(f"eventide: error: {failure}", file=err)
        return EXIT_FAILED
    print(_summary(counts, time.monotonic() - start, args.output), file=err, flush=True)
    if counts.interrupted:
        return EXIT_INTERRUPTED
    if counts.failed or counts.resumed_failed or counts.stopped:
        return EXIT_FAILED
    return EXIT_OK
