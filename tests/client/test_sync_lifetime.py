"""The sync Client's lifetime: closed from another thread while a call runs, collected
without `close()`, and used in a child after ``os.fork()``; always against a real server."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
import warnings
from typing import TYPE_CHECKING

import pytest

import eventide
from eventide import Client
from eventide.client._sync_stream import EventIterator, Reader
from eventide.providers import OpenAIChat
from tests.http_server import Reply, ScriptedServer, Stall, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ANSWER = openai_chunks(["Sync ", "works."], model="m-1")
STALLED = Reply(body=[*ANSWER[:2], Stall()])


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve_in_thread(Reply(body=ANSWER)) as s:
        yield s


def make_client(server: ScriptedServer) -> Client:
    return Client(OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="upstream"))


def new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread not in before]


def ran(call: Callable[[], object]) -> tuple[threading.Thread, list[BaseException | str]]:
    """`call`, in a thread of its own; the thread, and what it raised (or ``"returned"``)
    once it has ended."""
    outcome: list[BaseException | str] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append("returned")

    thread = threading.Thread(target=run, name="caller", daemon=True)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("how", ["stream", "complete", "create-stream"])
def test_close_from_another_thread_ends_its_calls_with_an_error(
    server: ScriptedServer, how: str
) -> None:
    server.reply(STALLED)
    before = set(threading.enumerate())
    client = make_client(server)
    reading = threading.Event()

    def call() -> None:
        if how == "complete":
            client.complete("hi")
        items = (
            client.stream("hi")
            if how == "stream"
            else client.chat.completions.create(messages="hi", stream=True)
        )
        for _ in items:
            reading.set()

    caller, outcome = ran(call)
    server.wait_for_sync(lambda: len(server.requests) == 1, 5, "the request")
    if how != "complete":
        assert reading.wait(5)
    client.close()
    caller.join(5)
    assert not caller.is_alive(), "the calling thread still waits on a closed client"
    (error,) = outcome
    assert type(error) is eventide.Error
    assert str(error) == "the Client was closed while this call was running"
    server.wait_for_sync(lambda: server.open_connections == 0, 2, "the connection closed")
    assert new_threads(before) == []


def test_calls_handed_over_while_the_client_closes_are_refused(server: ScriptedServer) -> None:
    client = make_client(server)
    loop = client._loop_thread()
    client.close()
    with pytest.raises(eventide.Error, match="closed while this call"):
        loop.call(client._async.complete, "hi")
    events = client._async.stream("hi")
    with pytest.raises(eventide.Error, match="closed while this call"):
        list(EventIterator(Reader(loop, events.receive_batch, events.aclose)))
    assert server.requests == []


def test_an_unclosed_client_is_stopped_by_the_garbage_collector(server: ScriptedServer) -> None:
    before = set(threading.enumerate())
    client = make_client(server)
    assert client.complete("hi").text == "Sync works."
    (thread,) = new_threads(before)
    server.wait_for_sync(lambda: server.open_connections == 1, 2, "a pooled connection")
    del client
    with pytest.warns(ResourceWarning, match=r"unclosed Client\(provider="):
        gc.collect()
    thread.join(2)
    assert not thread.is_alive()
    server.wait_for_sync(lambda: server.open_connections == 0, 2, "the connection closed")


def unclosed_client_warnings(action: Callable[[], object]) -> list[str]:
    """The "unclosed Client" warnings given while `action` runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return [str(w.message) for w in caught if "unclosed Client" in str(w.message)]


def test_an_unfinished_stream_keeps_its_client_alive(server: ScriptedServer) -> None:
    """The iterator is all the caller holds; collecting the client under it would end the
    stream half-way."""
    iterators = [make_client(server).stream("hi")]
    first = next(iterators[0])
    assert unclosed_client_warnings(gc.collect) == []
    rest: list[eventide.Event] = []

    def finish() -> None:
        rest.extend(iterators.pop())
        gc.collect()

    assert len(unclosed_client_warnings(finish)) == 1
    assert isinstance(first, eventide.Metadata)
    assert "".join(e.text for e in rest if isinstance(e, eventide.TextDelta)) == "Sync works."


def forked(child: Callable[[], int], timeout: float = 10) -> int:
    """Run `child` in a forked copy of this process; its exit status (it never returns into
    the test run: it ends with ``os._exit``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads running
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        status = 70
        try:
            status = child()
        finally:
            os._exit(status)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"the forked child hung for {timeout} s")


def test_after_fork_a_started_client_raises_a_clear_error_in_the_child(
    server: ScriptedServer,
) -> None:
    server.queue(STALLED)  # a stream the child inherits half-read, that never ends
    with make_client(server) as client:
        events = client.stream("hi")
        assert isinstance(next(events), eventide.Metadata)

        def child() -> int:
            for call in (lambda: list(events), lambda: client.complete("hi")):
                try:
                    call()
                except eventide.Error as exc:
                    if "os.fork()" not in str(exc):
                        return 3
                else:
                    return 2
            client.close()
            with make_client(server) as fresh:  # a new client works in the child
                return 0 if fresh.complete("hi").text == "Sync works." else 4

        assert forked(child) == 0
        assert client.complete("hi").text == "Sync works."  # the parent's is unaffected
    assert len(server.requests) == 3


def test_after_fork_a_client_not_started_yet_works_in_the_child(server: ScriptedServer) -> None:
    with make_client(server) as client:

        def child() -> int:
            with client:
                return 0 if client.complete("hi").text == "Sync works." else 2

        assert forked(child) == 0
        assert client.complete("hi").text == "Sync works."
    assert len(server.requests) == 2
