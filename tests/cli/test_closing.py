"""The providers ``eventide chat --record``, the chat log and ``eventide batch --record-dir``
put around the upstream provider close it with themselves: the loopback server sees its
connection closed while the test still holds the provider (so no garbage collection
closes it)."""

from __future__ import annotations

import io
import sqlite3
from typing import TYPE_CHECKING

import pytest

from eventide._request import as_request
from eventide.cli._batch import run_batch
from eventide.cli._chat import run_chat
from eventide.cli._main import _parser
from eventide.cli._replay import recording
from eventide.providers import OpenAIChat
from tests.cli.script import write_jsonl
from tests.http_server import Reply, openai_chunks, serve, serve_in_thread

if TYPE_CHECKING:
    from pathlib import Path

KEY = "sk-cli-closing-secret-0123456789"
ANSWER = Reply(body=openai_chunks(["Blue ", "sky."], model="llama-3"))


def _upstream(url: str) -> OpenAIChat:
    return OpenAIChat(base_url=f"{url}/v1", api_key=KEY, model="llama-3")


@pytest.mark.parametrize("logged", [True, False])
async def test_chat_record_and_log_close_the_upstream_connection(
    logged: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTIDE_LOGS_PATH", str(tmp_path / "logs.db"))
    monkeypatch.delenv("EVENTIDE_LOGS", raising=False)
    record = tmp_path / "out.jsonl"
    args = _parser().parse_args(
        ["chat", "--record", str(record), *(() if logged else ("--no-log",)), "hi"]
    )
    out = io.StringIO()
    async with serve(ANSWER) as server:
        upstream = _upstream(server.url)
        status = await run_chat(
            args, out, io.StringIO(), recording(upstream, args.record), as_request("hi")
        )
        await server.wait_for(lambda: server.open_connections == 0, 5, "the upstream's close")
        assert server.connections_accepted == 1
    assert status == 0
    assert out.getvalue() == "Blue sky.\n"
    assert KEY not in record.read_text()
    assert (tmp_path / "logs.db").exists() == logged
    if logged:
        with sqlite3.connect(tmp_path / "logs.db") as db:
            rows = db.execute("SELECT provider, response FROM exchanges").fetchall()
        db.close()
        assert rows == [("openai", "Blue sky.")]


def test_batch_record_dir_closes_the_upstream_connection(tmp_path: Path) -> None:
    requests = tmp_path / "in.jsonl"
    write_jsonl(requests, [{"id": "a", "prompt": "one"}, {"id": "b", "prompt": "two"}])
    folder = tmp_path / "records"
    args = _parser().parse_args(
        [
            "batch",
            str(requests),
            "-o",
            str(tmp_path / "out.jsonl"),
            "--record-dir",
            str(folder),
            "--concurrency",
            "1",
        ]
    )
    with serve_in_thread(ANSWER) as server:
        upstream = _upstream(server.url)
        status = run_batch(
            args, io.StringIO(), lambda: recording(upstream, str(folder), directory=True)
        )
        server.wait_for_sync(lambda: server.open_connections == 0, 5, "the upstream's close")
    assert status == 0
    assert len(list(folder.iterdir())) == 2
