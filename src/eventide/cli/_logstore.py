"""The conversation log: every ``eventide chat`` exchange in a local SQLite database.

Where: ``EVENTIDE_LOGS_PATH``, else ``logs.db`` in the user's data directory
(platformdirs: ``~/.local/share/eventide`` on Linux, ``~/Library/Application Support/eventide``
on macOS, ``%LOCALAPPDATA%\\eventide`` on Windows). ``EVENTIDE_LOGS=off`` (or ``0``,
``false``, ``no``) turns logging off. The file is made readable by its owner only.

Two tables:

```text
conversations (id TEXT PRIMARY KEY, started, provider, model)
exchanges     (id INTEGER PRIMARY KEY, conversation_id, started, provider, model,
               requested_model, system, prompt, response, reasoning, finish_reason,
               input_tokens, output_tokens, usage, to_first_token, duration, error,
               request, events, eventide)
```

``request`` is the record format's request (`eventide.record`: the cattrs form, every
credential removed); ``events`` the record format's event lines (``{"t", "event"}``, one
per line); ``error`` the record format's error data; ``usage`` the cattrs form of `Usage`;
times are seconds. An exchange's request holds the whole conversation it continued, so
the last exchange and its answer are the history the next one sends.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import secrets
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

import attrs
import platformdirs

from .._request import Message, Request
from .._serde import dumps, structure, unstructure
from .._version import __version__
from ..record._errors import error_data
from ..record._format import safe_request

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._completion import Completion
    from .._errors import Error

__all__ = ["Conversation", "LogStore", "logging_on", "logs_path"]

LOGS_PATH_ENV: Final = "EVENTIDE_LOGS_PATH"
LOGS_ENV: Final = "EVENTIDE_LOGS"
_OFF: Final = frozenset({"off", "0", "false", "no"})
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT
);
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    started TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT,
    requested_model TEXT,
    system TEXT,
    prompt TEXT NOT NULL,
    response TEXT,
    reasoning TEXT,
    finish_reason TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    usage TEXT,
    to_first_token REAL,
    duration REAL,
    error TEXT,
    request TEXT NOT NULL,
    events TEXT NOT NULL,
    eventide TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exchanges_by_conversation ON exchanges (conversation_id, id);
"""
_COLUMNS: Final = (
    "id, conversation_id, started, provider, model, requested_model, system, prompt, "
    "response, reasoning, finish_reason, input_tokens, output_tokens, usage, to_first_token, "
    "duration, error, request, events, eventide"
)


def logs_path() -> Path:
    """The database: ``EVENTIDE_LOGS_PATH``, else ``logs.db`` in the user's data directory."""
    given = os.environ.get(LOGS_PATH_ENV)
    if given:
        return Path(given)
    return platformdirs.user_data_path("eventide", appauthor=False) / "logs.db"


def logging_on() -> bool:
    """Whether exchanges are logged by default (``EVENTIDE_LOGS=off`` turns it off)."""
    return os.environ.get(LOGS_ENV, "").strip().lower() not in _OFF


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _text_of(message: Message) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(getattr(part, "text", "") for part in content)


@final
@attrs.frozen
class Conversation:
    """A logged conversation, to continue.

    Attributes:
        id: Its id.
        provider: The provider of its last exchange.
        model: The model its last exchange asked for (None: the provider's default).
        messages: What the next request sends before its own messages: the last answered
            exchange's messages and its answer.
    """

    id: str
    provider: str
    model: str | None
    messages: tuple[Message, ...]


@final
class LogStore:
    """The log database, open. Made (with its directory) if missing.

    Args:
        path: The database file.

    Raises:
        OSError: The file or its directory cannot be made.
        sqlite3.Error: It is not a database, or cannot be written.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # the owner's only
        self._db = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        try:
            self._db.row_factory = sqlite3.Row
            self._db.executescript(_SCHEMA)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @staticmethod
    def new_conversation_id() -> str:
        """The id of a new conversation (random: nothing to guess from it); the
        conversation is stored with its first exchange."""
        return secrets.token_hex(8)

    def last_conversation(self) -> str | None:
        """The id of the conversation with the latest exchange, if any."""
        row = self._db.execute(
            "SELECT conversation_id FROM exchanges ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])

    def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation `conversation_id`, to continue; None if there is none."""
        rows = self._db.execute(
            "SELECT provider, requested_model, request, response, error FROM exchanges "
            "WHERE conversation_id = ? ORDER BY id DESC",
            (conversation_id,),
        ).fetchall()
        if not rows:
            return None
        last = rows[0]
        messages: tuple[Message, ...] = ()
        answered = next((row for row in rows if row["error"] is None), None)
        if answered is not None:
            request = structure(json.loads(answered["request"]), Request)
            messages = (*request.messages, Message.assistant(answered["response"] or ""))
        return Conversation(conversation_id, last["provider"], last["requested_model"], messages)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add(
        self,
        conversation_id: str,
        request: Request,
        *,
        provider: str,
        started: str,
        completion: Completion,
        events: list[bytes],
        error: Error | None,
    ) -> None:
        """Log one exchange: its request (credentials removed), its events (the record
        format's lines), what it came to, and its error (or the stream's abandonment)."""
        system = "\n".join(_text_of(m) for m in request.messages if m.role == "system")
        prompts = [m for m in request.messages if m.role == "user"]
        usage = completion.usage
        metadata = completion.metadata
        with self._transaction():  # both rows in one commit: one sync to disk
            self._db.execute(
                "INSERT OR IGNORE INTO conversations (id, started, provider, model)"
                " VALUES (?, ?, ?, ?)",
                (conversation_id, started, provider, request.model),
            )
            self._db.execute(
                "INSERT INTO exchanges (conversation_id, started, provider, model, requested_model,"
                " system, prompt, response, reasoning, finish_reason, input_tokens, output_tokens,"
                " usage, to_first_token, duration, error, request, events, eventide)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    started,
                    metadata.provider if metadata is not None else provider,
                    completion.model if metadata is not None else request.model,
                    request.model,
                    system or None,
                    _text_of(prompts[-1]) if prompts else "",
                    completion.text or completion.refusal or "",
                    completion.reasoning or None,
                    completion.finish_reason,
                    usage.input_tokens if usage is not None else None,
                    usage.output_tokens if usage is not None else None,
                    dumps(unstructure(usage)) if usage is not None else None,
                    completion.timing.to_first_content,
                    completion.timing.total,
                    None if error is None else dumps(error_data(error)),
                    dumps(safe_request(request)),
                    b"".join(events).decode(),
                    __version__,
                ),
            )

    def exchanges(
        self, *, limit: int, query: str | None = None, conversation_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The latest `limit` exchanges (0: all), oldest first, those whose prompt or
        response contains `query` (any case), of one conversation if given."""
        where, params = [], []
        if query:
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("(prompt LIKE ? ESCAPE '\\' OR response LIKE ? ESCAPE '\\')")
            params += [f"%{escaped}%"] * 2
        if conversation_id:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        sql = f"SELECT {_COLUMNS} FROM exchanges"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        rows = [dict(row) for row in self._db.execute(sql, params)]
        rows.reverse()
        for row in rows:
            for column in ("usage", "error", "request"):
                if row[column] is not None:
                    row[column] = json.loads(row[column])
            row["events"] = [json.loads(line) for line in row["events"].splitlines()]
        return rows
