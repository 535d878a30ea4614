"""The sync Client: the same pipeline, run on its own trio loop, usable from any thread —
including one that already runs an asyncio or a trio event loop."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
import trio

import eventide
from eventide import Client, Metadata, TextDelta
from eventide.providers import OpenAIChat
from tests.http_server import Pause, Reply, ScriptedServer, openai_chunks, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator

SLOW = [p for w in openai_chunks([f"w{i} " for i in range(100)]) for p in (Pause(0.01), w)]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve_in_thread(Reply(body=openai_chunks(["Sync ", "works."], model="m-1"))) as s:
        yield s


def make_client(server: ScriptedServer) -> Client:
    return Client(OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="upstream"))


def use(client: Client) -> tuple[str, str | None, str]:
    response = client.chat.completions.create(messages="hi", model="m")
    chunks = list(client.chat.completions.create(messages="hi", stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return response.choices[0].message.content or "", response.provider, text


def test_sync_client_complete_create_and_stream(server: ScriptedServer) -> None:
    with make_client(server) as client:
        content, provider, streamed = use(client)
        completion = client.complete("hi")
        metadata = client.first_metadata("hi")
        events = list(client.stream("hi"))
    assert (content, provider, streamed) == ("Sync works.", "upstream", "Sync works.")
    assert completion.text == "Sync works."
    assert metadata.provider == "upstream"
    assert isinstance(events[0], Metadata)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Sync works."


def test_sync_client_leaving_the_loop_closes_the_connection(server: ScriptedServer) -> None:
    server.reply(Reply(body=SLOW))
    with make_client(server) as client:
        for chunk in client.chat.completions.create(messages="hi", stream=True):
            assert chunk.provider == "upstream"
            break
        closed_at = time.monotonic()
        assert server.wait_disconnect_sync(timeout=2) - closed_at < 0.1


def test_sync_client_inside_a_running_asyncio_loop(server: ScriptedServer) -> None:
    async def main() -> tuple[str, str | None, str]:
        with make_client(server) as client:  # no loop patching: the client has its own
            return use(client)

    assert asyncio.run(main()) == ("Sync works.", "upstream", "Sync works.")


def test_sync_client_inside_a_running_trio_loop(server: ScriptedServer) -> None:
    async def main() -> tuple[str, str | None, str]:
        with make_client(server) as client:
            return use(client)

    assert trio.run(main) == ("Sync works.", "upstream", "Sync works.")


def test_sync_client_batch(server: ScriptedServer) -> None:
    with make_client(server) as client:
        results = client.batch(
            [{"id": "a", "prompt": "one"}, {"id": "b", "prompt": "two"}, "three"], ordered=True
        )
    assert [(r.id, r.provider, r.completion and r.completion.text) for r in results] == [
        ("a", "upstream", "Sync works."),
        ("b", "upstream", "Sync works."),
        (2, "upstream", "Sync works."),
    ]


def test_sync_client_errors_keep_the_partial(server: ScriptedServer) -> None:
    server.reply(Reply(body=openai_chunks(["Half"])[:2]))
    with make_client(server) as client, pytest.raises(eventide.ProtocolError) as info:
        client.chat.completions.create(messages="hi")
    assert info.value.partial is not None
    assert info.value.partial.text == "Half"


def test_a_closed_client_raises_and_starts_no_loop(server: ScriptedServer) -> None:
    client = make_client(server)
    client.complete("before")
    client.close()
    assert client.closed
    for call in (
        lambda: client.stream("hi"),
        lambda: client.complete("hi"),
        lambda: client.first_metadata("hi"),
        lambda: client.batch(["hi"]),
        lambda: client.chat.completions.create(messages="hi"),
        lambda: client.chat.completions.create(messages="hi", stream=True),
    ):
        with pytest.raises(eventide.Error, match="Client is closed"):
            call()
    assert client._lifetime._loop is None
    client.close()  # idempotent
    assert len(server.requests) == 1


class Stop(Exception):
    """The caller's own exception."""


def test_sync_client_batch_raises_the_items_exception_unwrapped(server: ScriptedServer) -> None:
    def items() -> Iterator[str]:
        yield "one"
        raise Stop("no more items")

    with make_client(server) as client, pytest.raises(Stop, match="no more items") as info:
        client.batch(items())
    assert type(info.value) is Stop


def test_sync_client_batch_results_have_text_and_usage(server: ScriptedServer) -> None:
    with make_client(server) as client:
        (result,) = client.batch(["one"])
    assert (result.provider, result.model, result.text) == ("upstream", "m-1", "Sync works.")
    assert result.usage is not None
    assert result.usage.input_tokens == 12
