"""``eventide batch IN.jsonl -o OUT.jsonl``: one request per input line, one record per request.

An input line is a JSON object with ``messages`` (OpenAI-style) or ``prompt``, and optionally
``id`` (a string or an integer; default: the 1-based line number), ``model`` and OpenAI-style
parameters; its record is described in `eventide.client._batch_output`. A failed request's
record has ``text`` and ``reasoning`` null and what did arrive in ``error.partial_text``; so has
a request that cannot be built (no messages, a bad parameter, a lone surrogate in its text): its
error is a ``bad_request``, and the batch goes on. Lines that name no request (not a JSON
object, a bad id) and duplicate ids get no record: they are reported on stderr with their line
number, and skipped or (``--on-error stop``) end the run.

Reading: a first, cheap pass counts IN's lines (the progress total); the second reads them
lazily, in a sync generator that `AsyncClient.batch` pulls from only when a slot is free,
so memory grows with ``--concurrency``, not with the file. Only ids are kept for every
line: those already in OUT (to resume) and those seen in IN (to catch duplicates).

Re-running the same command skips the ids OUT already holds: an interrupted batch resumes
where it stopped and ends with the records of a run that was never interrupted. Only a
regular file is read back: to a pipe (``-o /dev/stdout``) records are written and nothing is
skipped. An OUT that cannot be opened for writing ends the run before any request, and one
that refuses a record (its reader went away) stops it, each with one ``eventide: error:``
line.

Ctrl-C cancels the batch (every open stream is closed) and exits with 130; every record
handed out is already in OUT. A result the batch had not handed out yet is not written, and
runs again on resume: with ``--ordered`` those are the ones held back behind a request still
running (at most ``--concurrency - 1``). A second Ctrl-C interrupts the clean-up itself.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import IO, TYPE_CHECKING, Any, TextIO, final

import trio

from .._errors import Error
from .._validate import type_name
from ..client import AsyncClient
from ..client._batch_output import Item, Resumed, open_output, record_of, write_line
from ._arguments import hide_keys
from ._batch_engine import check_engine, engine_records
from ._progress import Counts, Progress, progress_for, summary

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator

    from ..client import BatchResult
    from ..providers import Provider

__all__ = ["run_batch"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


class _BadLine(Exception):
    """An input line that is not a valid request."""


class _Duplicate(_BadLine):
    """An input line whose id an earlier line has."""


class _Unwritable(Exception):
    """OUT could not be written to (the run stops: a record would be lost)."""


def _item_of(raw: bytes, line: int) -> dict[str, Any]:
    """The batch item of one input line, with its ``id`` (default: the line number).

    Only what identifies a request is checked here; a line whose request cannot be built
    (no messages, a bad parameter, a lone surrogate) is the batch's: it gets an error record.

    Raises:
        _BadLine: The line is not a JSON object, or its id is not a string or an integer.
    """
    try:
        text = raw.rstrip(b"\r\n").decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise _BadLine(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(item, dict):
        raise _BadLine(f"expected a JSON object, got {type_name(item)}")
    item_id = item.setdefault("id", line)
    if isinstance(item_id, bool) or not isinstance(item_id, str | int):
        raise _BadLine(f"id must be a string or an integer, not {type_name(item_id)}")
    return item


def count_lines(path: str) -> int:
    """The non-blank lines of a file: the requests it holds, valid or not."""
    count = 0
    with open(path, "rb") as source:
        for raw in source:
            if not raw.isspace():
                count += 1
    return count


@final
class _Run:
    """One ``eventide batch`` run: the input generator, the result loop and the counts."""

    def __init__(
        self,
        args: argparse.Namespace,
        source: IO[bytes],
        out_fd: int,
        resumed: Resumed,
        progress: Progress,
    ) -> None:
        self.args = args
        self.source = source
        self.out_fd = out_fd
        self.resumed = resumed.ok
        self.progress = progress
        self.counts = Counts(total=0)
        self.pending: dict[int, Item] = {}  # batch index -> item; at most concurrency + 1
        self.unwritable: OSError | None = None  # why OUT could not be written, if it could not

    def requests(self) -> Iterator[dict[str, Any]]:
        """IN's requests, read lazily; reports, counts and skips lines that name none."""
        counts, name = self.counts, self.args.input
        seen: dict[Any, int] = {}  # id -> line
        index = 0
        for line, raw in enumerate(self.source, 1):
            if raw.isspace():
                continue
            try:
                item = _item_of(raw, line)
                item_id = item["id"]
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
            model = item.get("model") or self.args.model
            self.pending[index] = Item(item_id, model if isinstance(model, str) else None)
            index += 1
            yield item

    def _report(self, message: str) -> None:
        self.progress.note(message)
        self.progress.update(self.counts)

    @trio.lowlevel.enable_ki_protection
    def finished(self, result: BatchResult, default_model: str | None) -> None:
        """Write one result's record (KeyboardInterrupt waits until it is written).

        Raises:
            _Unwritable: OUT refused the record (the reader of a pipe went away, a full disk);
                every later result is dropped.
        """
        item = self.pending.pop(result.index)
        if self.unwritable is None:
            self.write(record_of(item, result, default_model))

    def write(self, record: dict[str, Any]) -> None:
        """Append one record to OUT and count it.

        Raises:
            _Unwritable: OUT refused it (`unwritable` says why).
        """
        try:
            write_line(self.out_fd, record)
        except OSError as exc:
            self.unwritable = exc
            raise _Unwritable from exc
        if record["error"] is None:
            self.counts.ok += 1
        else:
            self.counts.errors += 1
        self.progress.update(self.counts)

    def run_on_engine(self) -> None:
        """Run IN's requests on ``--engine`` (a cluster) and write their records as they
        come back; a first Ctrl-C stops it (`counts.interrupted`)."""
        try:
            rows = list(self.requests())
            self.pending.clear()  # the records come back whole
            for record in engine_records(self.args, rows):
                self.write(record)
        except _Unwritable:
            pass
        except KeyboardInterrupt:
            self.counts.interrupted = True

    async def run(self, provider: Provider) -> None:
        default_model = getattr(provider, "model", None)
        if not isinstance(default_model, str):
            default_model = None
        args = self.args
        async with provider, AsyncClient(provider) as client:
            batch = client.batch(
                self.requests(),
                max_concurrency=args.concurrency,
                ordered=args.ordered,
                model=args.model,
            )
            async with batch as results:
                try:
                    async for result in results:
                        self.finished(result, default_model)
                finally:  # stopped early (Ctrl-C): keep what had already finished
                    for result in results.ready():
                        self.finished(result, default_model)

    async def run_until_interrupted(self, provider: Provider) -> None:
        """`run`, stopped cleanly by the first Ctrl-C (SIGINT cancels it), or by a record
        OUT refused (then `unwritable` says why)."""
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._watch_sigint, nursery.cancel_scope)
                await self.run(provider)
                nursery.cancel_scope.cancel()
        except* _Unwritable:
            pass

    async def _watch_sigint(self, scope: trio.CancelScope) -> None:
        with trio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                self.counts.interrupted = True
                scope.cancel()
                break  # a second Ctrl-C raises KeyboardInterrupt as usual


def run_batch(args: argparse.Namespace, err: TextIO, make_provider: Callable[[], Provider]) -> int:
    """Run ``eventide batch``; return the exit status.

    0: every line of IN has a successful record in OUT. 1: a request failed (its record
    says how), a line was malformed or a duplicate, or the run was stopped. 130: Ctrl-C.
    """
    check_engine(args)
    input_path, output_path = args.input, args.output
    try:
        if os.path.exists(output_path) and os.path.samefile(input_path, output_path):
            print("eventide: error: IN and OUT are the same file", file=err)
            return 2
        source = open(input_path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        message = f"{exc.strerror or exc}: {exc.filename or input_path}"
        print(f"eventide: error: {hide_keys(message, [input_path], names=True)}", file=err)
        return 2
    with source:
        try:
            out_fd, resumed = open_output(output_path)
        except OSError as exc:
            message = f"cannot write to {output_path}: {exc.strerror}"
            print(f"eventide: error: {hide_keys(message, [output_path], names=True)}", file=err)
            return 2
        try:
            total = count_lines(input_path)
            return _run_batch(args, err, make_provider, source, out_fd, resumed, total)
        finally:
            os.close(out_fd)


def _run_batch(
    args: argparse.Namespace,
    err: TextIO,
    make_provider: Callable[[], Provider],
    source: IO[bytes],
    out_fd: int,
    resumed: Resumed,
    total: int,
) -> int:
    engine = args.engine != "local"
    try:
        provider = None if engine else make_provider()
    except ValueError as exc:
        print(f"eventide: error: {exc}", file=err)
        return 2
    progress = progress_for(args.progress, err)
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
    if not resumed.regular:
        progress.note(
            f"eventide: {args.output} is not a regular file: every request runs "
            "(resuming needs a regular file to read back)"
        )
    start = time.monotonic()
    progress.start(counts)
    failure: Error | None = None
    try:
        if provider is None:
            state.run_on_engine()
        else:
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
    if state.unwritable is not None:
        reason = state.unwritable.strerror or state.unwritable
        print(f"eventide: error: cannot write to {args.output}: {reason}", file=err)
        return EXIT_FAILED
    print(summary(counts, time.monotonic() - start, args.output), file=err, flush=True)
    if counts.interrupted:
        return EXIT_INTERRUPTED
    if counts.failed or counts.resumed_failed or counts.stopped:
        return EXIT_FAILED
    return EXIT_OK
