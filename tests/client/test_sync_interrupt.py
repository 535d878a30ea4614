"""Ctrl-C on the sync Client, for real: the client runs in a subprocess against a loopback
server, gets SIGINT while it streams or waits for the first byte, and must have closed its
connection before the ``KeyboardInterrupt`` reaches the caller's ``except``. Any other
exception raised in the waiting thread (a SIGALRM timeout, say) does the same."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import NoReturn

import pytest

from eventide import Client
from eventide.providers import OpenAIChat
from tests.http_server import DISCONNECT_BUDGET, Reply, Stall, openai_chunks, serve_in_thread

CHILD = """
import os, signal, sys
from eventide import Client
from eventide.providers import OpenAIChat

url, how = sys.argv[1], sys.argv[2]
client = Client(OpenAIChat(base_url=url + "/v1", api_key="k", name="upstream"))
try:
    if how == "complete":
        client.complete("hi")
    elif how == "first_metadata":
        client.first_metadata("hi")
    elif how == "create":
        client.chat.completions.create(messages="hi")
    elif how == "create-stream-opening":
        client.chat.completions.create(messages="hi", stream=True)
    elif how == "create-stream":
        for chunk in client.chat.completions.create(messages="hi", stream=True):
            print("streaming", flush=True)
    else:
        for event in client.stream("hi"):
            print("streaming", flush=True)
except KeyboardInterrupt:
    # Freeze the whole process right here: whatever has not been closed by now stays open.
    os.kill(os.getpid(), signal.SIGSTOP)
    print("interrupted", flush=True)
    client.close()
    sys.exit(0)
sys.exit(3)
"""


def wait_stopped(process: subprocess.Popen[str], timeout: float) -> None:
    """Wait until `process` is stopped (by a signal), without reaping it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status = os.waitpid(process.pid, os.WNOHANG | os.WUNTRACED)
        if pid:
            assert os.WIFSTOPPED(status), f"the child ended instead of stopping: {status}"
            return
        time.sleep(0.01)
    pytest.fail("the child did not reach its except block")


STREAMING = Reply(body=[*openai_chunks(["Never ", "ends"])[:3], Stall()])
WAITING = Reply(stall_before_headers=True)


@pytest.mark.parametrize(
    ("how", "reply"),
    [
        ("complete", STREAMING),
        ("first_metadata", WAITING),
        ("create", STREAMING),
        ("create-stream-opening", WAITING),
        ("create-stream", STREAMING),
        ("stream", STREAMING),
    ],
)
def test_sigint_closes_the_connection_before_the_interrupt_propagates(
    how: str, reply: Reply
) -> None:
    with serve_in_thread(reply) as server:
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, server.url, how],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            if how.endswith("stream"):
                assert process.stdout.readline() == "streaming\n"
            else:
                server.wait_for_sync(lambda: len(server.requests) == 1, 30, "the request")
                time.sleep(0.2)  # the response has begun (or is awaited) on the client's side
            interrupted = time.monotonic()
            process.send_signal(signal.SIGINT)
            # The child stops itself (SIGSTOP) as soon as the interrupt reaches its `except`:
            # the server can see a close within the second only if it happened before that.
            closed = server.wait_disconnect_sync(timeout=1.0)
            assert closed - interrupted < 1.0
            wait_stopped(process, timeout=10)
            process.send_signal(signal.SIGCONT)
            stdout, stderr = process.communicate(timeout=30)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert stdout.endswith("interrupted\n")
    assert len(server.requests) == 1


class Alarm(Exception):
    """Raised by the SIGALRM handler in the thread that waits on the client."""


def test_any_exception_raised_in_the_waiting_thread_cancels_the_call() -> None:
    def ring(signum: int, frame: object) -> NoReturn:
        raise Alarm

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        with (
            serve_in_thread(STREAMING) as server,
            Client(OpenAIChat(base_url=f"{server.url}/v1", api_key="k")) as client,
        ):
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            with pytest.raises(Alarm):
                client.complete("hi")
            raised = time.monotonic()
            assert server.wait_disconnect_sync(timeout=1.0) - raised < DISCONNECT_BUDGET
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
