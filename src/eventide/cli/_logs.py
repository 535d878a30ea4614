"""``eventide logs``, and the conversation log behind ``eventide chat`` (``-c``, ``--cid``,
``--no-log``): see `eventide.cli._logstore` for where and what is written."""

from __future__ import annotations

import contextlib
import datetime
import json
import sqlite3
import time
from typing import TYPE_CHECKING, Any, TextIO, final

import attrs

from .._errors import ConfigurationError, Error
from ..collectors import CompletionCollector
from ..record._format import event_lines
from ..stages import StageBase, Staged
from ._arguments import number
from ._logstore import LogStore, logging_on, logs_path

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from .._completion import Completion
    from .._events import Event
    from .._request import Request
    from ..providers import Provider
    from ._logstore import Conversation

__all__ = ["conversation_log", "run_logs"]


@final
class _Warning:
    """Says a log problem on stderr, once per command."""

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._said = False

    def __call__(self, problem: str) -> None:
        if not self._said:
            self._said = True
            print(f"eventide: warning: {problem}; going on without logging", file=self._err)


@final
class _Log:
    """Where one command's exchanges go: conversation `conversation_id` in the log at
    `path`, opened for each write, so nothing is held open between exchanges. A write that
    fails is said once on `err`, and the answer goes on."""

    __slots__ = ("_warn", "conversation_id", "path", "provider")

    def __init__(self, path: Path, conversation_id: str, provider: str, err: TextIO) -> None:
        self.path = path
        self.conversation_id = conversation_id
        self.provider = provider
        self._warn = _Warning(err)

    def write(
        self,
        request: Request,
        started: str,
        completion: Completion,
        lines: list[bytes],
        error: Error | None,
    ) -> None:
        """Log one exchange (a failure to write is warned about, once)."""
        try:
            with contextlib.closing(LogStore(self.path)) as store:
                store.add(
                    self.conversation_id,
                    request,
                    provider=self.provider,
                    started=started,
                    completion=completion,
                    events=lines,
                    error=error,
                )
        except (sqlite3.Error, OSError) as exc:
            self._warn(f"cannot write the log at {self.path} ({exc})")


@final
class _LogStage(StageBase):
    """One exchange's pass: its events gathered as they stream, the whole written at its
    end, failure or abandonment."""

    __slots__ = ("_collector", "_lines", "_log", "_request", "_start", "_started")

    def __init__(self, log: _Log) -> None:
        self._log = log
        self._request: Request | None = None
        self._lines: list[bytes] = []
        self._start = time.perf_counter()
        self._started = ""
        self._collector = CompletionCollector(started=self._start)

    def start(self, request: Request) -> Request:
        self._request = request
        self._start = time.perf_counter()
        self._started = datetime.datetime.now(datetime.UTC).isoformat()
        self._collector = CompletionCollector(started=self._start)
        return request

    def feed(self, events: list[Event]) -> list[Event]:
        self._collector.feed_batch(events)
        self._lines.append(event_lines(events, time.perf_counter() - self._start))
        return events

    def end(self) -> list[Event]:
        self._write(None)
        return []

    def fail(self, error: Error) -> Error:
        self._write(error)
        return error

    def close(self) -> None:
        abandoned = Error("the stream was closed before its end")
        abandoned.kind = "abandoned"
        self._write(abandoned)

    def _write(self, error: Error | None) -> None:
        request, self._request = self._request, None
        if request is not None:
            self._log.write(request, self._started, self._collector.result(), self._lines, error)


def _continued(history: Conversation, request: Request) -> Request:
    """`request` after the conversation's messages; a new system prompt replaces the old."""
    system = [m for m in request.messages if m.role == "system"]
    earlier = [m for m in history.messages if not (system and m.role == "system")]
    rest = [m for m in request.messages if m.role != "system"]
    return attrs.evolve(request, messages=(*system, *earlier, *rest))


def _load(store: LogStore, wanted: str | None) -> Conversation:
    conversation_id = wanted or store.last_conversation()
    if conversation_id is None:
        raise ConfigurationError(f"no conversation to continue: the log {store.path} is empty")
    history = store.conversation(conversation_id)
    if history is None:
        raise ConfigurationError(
            f"no conversation {conversation_id!r} in the log {store.path} "
            "(eventide logs shows the ids)"
        )
    return history


def conversation_log(
    args: argparse.Namespace, err: TextIO, provider: Provider, request: Request
) -> tuple[Provider, Request]:
    """``eventide chat``'s log: the provider, logged unless ``--no-log`` or
    ``EVENTIDE_LOGS=off``, and the request, after the conversation it continues (``-c``:
    the last one, ``--cid ID``: that one) with that conversation's model when the same
    provider serves it and no model is asked for. Other commands' are left as they are.
    A log that cannot be opened is warned about once, and the answer goes on unlogged.

    Raises:
        ConfigurationError: The conversation to continue cannot be found or read.
    """
    if getattr(args, "command", None) != "chat":
        return provider, request
    wanted: str | None = getattr(args, "cid", None)
    continuing = bool(getattr(args, "continue_conversation", False) or wanted)
    logging = logging_on() and not getattr(args, "no_log", False)
    if not (logging or continuing):
        return provider, request
    path = logs_path()
    try:
        store = LogStore(path)
    except (sqlite3.Error, OSError) as exc:
        if continuing:
            raise ConfigurationError(f"cannot read the log {path}: {exc}") from None
        _Warning(err)(f"cannot open the log at {path} ({exc})")
        return provider, request
    with contextlib.closing(store):
        conversation_id = store.new_conversation_id()
        if continuing:
            history = _load(store, wanted)
            conversation_id = history.id
            request = _continued(history, request)
            if request.model is None and history.provider == provider.name:
                request = attrs.evolve(request, model=history.model)
    if not logging:
        return provider, request
    log = _Log(path, conversation_id, provider.name, err)
    return Staged(provider, lambda: _LogStage(log), owned=True), request


def _shown(row: dict[str, Any], out: TextIO) -> None:
    served = " · ".join(str(row[key]) for key in ("provider", "model") if row[key])
    print(
        f"# {row['started'][:19]} · {served} · conversation {row['conversation_id']}"
        f" · exchange {row['id']}",
        file=out,
    )
    if row["system"]:
        print(f"\n## System\n\n{row['system']}", file=out)
    print(f"\n## Prompt\n\n{row['prompt']}\n\n## Response\n\n{row['response']}\n", file=out)
    error = row["error"]
    if error is not None:
        print(f"[error: {error['kind']}: {error['message']}]\n", file=out)
        return
    tokens = ""
    if row["input_tokens"] is not None:
        tokens = f" · {row['input_tokens']} in / {row['output_tokens']} out tokens"
    duration = f" · {row['duration']:.2f} s" if row["duration"] is not None else ""
    print(f"[finish: {row['finish_reason']}{tokens}{duration}]\n", file=out)


def run_logs(args: argparse.Namespace, out: TextIO) -> int:
    """List the logged exchanges (``--json``: as JSON), or with ``--path`` say where the
    log is; return the exit status.

    Raises:
        ConfigurationError: The log exists and cannot be read.
    """
    path = logs_path()
    if args.path:
        print(path, file=out)
        return 0
    rows: list[dict[str, Any]] = []
    if path.exists():
        try:
            store = LogStore(path)
            try:
                rows = store.exchanges(limit=args.count, query=args.query, conversation_id=args.cid)
            finally:
                store.close()
        except (sqlite3.Error, OSError) as exc:
            raise ConfigurationError(f"cannot read the log {path}: {exc}") from None
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False), file=out)
    else:
        for row in rows:
            _shown(row, out)
    return 0


def chat_log_arguments(chat: argparse.ArgumentParser) -> None:
    """``eventide chat``'s conversation options."""
    chat.add_argument(
        "-c",
        "--continue",
        dest="continue_conversation",
        action="store_true",
        help="continue the last conversation: its messages are sent again "
        "(example: eventide chat -c 'and in French?')",
    )
    chat.add_argument(
        "--cid",
        metavar="ID",
        help="continue the conversation ID (eventide logs shows the ids)",
    )
    chat.add_argument(
        "--no-log",
        action="store_true",
        help="do not log this exchange (EVENTIDE_LOGS=off: log none)",
    )


def add_logs_parser(commands: Any) -> None:
    """The ``eventide logs`` subcommand."""
    logs = commands.add_parser(
        "logs",
        help="list the logged chat exchanges",
        description="List the exchanges eventide chat logged (oldest first), from the "
        "SQLite database at EVENTIDE_LOGS_PATH, else logs.db in the user's data directory. "
        "Example: eventide logs -n 10 -q 'sky'",
    )
    logs.add_argument(
        "-n",
        "--count",
        type=number(int, low=0, inclusive=True, rule="must be 0 (all) or more"),
        default=3,
        metavar="N",
        help="how many of the latest exchanges (default: 3; 0: all)",
    )
    logs.add_argument(
        "-q", "--query", metavar="TEXT", help="only those whose prompt or answer contains TEXT"
    )
    logs.add_argument("--cid", metavar="ID", help="only the exchanges of conversation ID")
    logs.add_argument("--json", action="store_true", help="print them as a JSON array")
    logs.add_argument("--path", action="store_true", help="print the log database's path")
    logs.set_defaults(model=None, provider=None)
