"""The same app under uvicorn (asyncio): the sync openai SDK streams through it, and a
client that leaves closes the upstream, in each window: waiting for the upstream's head, for
its first token, and mid-stream."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

import openai
import pytest
import uvicorn

from eventide.gateway import create_app
from eventide.providers import OpenAIChat
from tests.http_server import DISCONNECT_BUDGET, Reply, Stall, openai_chunks, serve_in_thread, slow

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def uvicorn_gateway(upstream_url: str) -> Iterator[str]:
    """The gateway over an OpenAI upstream, served by uvicorn in a thread; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    provider = OpenAIChat(base_url=f"{upstream_url}/v1", api_key="sk-up", model="gpt-4o-mini")
    config = uvicorn.Config(create_app(provider), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    async def main() -> None:
        async with provider:
            await server.serve(sockets=[sock])

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_uvicorn_streams_and_propagates_a_disconnect() -> None:
    pieces = openai_chunks(["Hello", " there"], usage=False)
    cut = [*slow(openai_chunks(["a", "b", "c"], usage=False)[:3]), Stall()]
    with serve_in_thread() as upstream, uvicorn_gateway(upstream.url) as url:
        upstream.queue(Reply(body=pieces), Reply(body=cut))
        with openai.OpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0) as sdk:
            whole = sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            text = "".join(c.choices[0].delta.content or "" for c in whole if c.choices)
            stream = sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            seen = ""
            for chunk in stream:
                seen += "".join(choice.delta.content or "" for choice in chunk.choices)
                if seen == "ab":
                    break
            stream.close()
            left = time.monotonic()
            seen_at = upstream.wait_disconnect_sync(timeout=2)
    assert text == "Hello there"
    assert whole.response.headers["x-eventide-provider"] == "openai"
    assert seen_at - left < DISCONNECT_BUDGET


WAITING = {
    "before-head": Reply(stall_before_headers=True),
    "before-first-token": Reply(body=[Stall()]),
}


@pytest.mark.parametrize("window", list(WAITING))
def test_uvicorn_closes_the_upstream_when_the_client_leaves_before_any_token(
    window: str,
) -> None:
    """The client sends its request and hangs up while the gateway waits on the upstream."""
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    request = (
        "POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n{body}"
    )
    with serve_in_thread(WAITING[window]) as upstream, uvicorn_gateway(upstream.url) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as client:
            client.sendall(request.encode())
            upstream.wait_for_sync(lambda: len(upstream.requests) == 1, timeout=5)
            time.sleep(0.05)  # the gateway now waits on the upstream
        left = time.monotonic()
        seen_at = upstream.wait_disconnect_sync(timeout=2)
    assert seen_at - left < DISCONNECT_BUDGET
