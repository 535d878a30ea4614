"""What a stream keeps alive while it waits, over a real socket: one coroutine per layer
above the transport, and the request's body only until it has been sent."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import pytest
import trio

import eventide
from eventide import Error
from eventide._http_source import HTTPSource
from tests.http_server import Cut, Reply, ScriptedServer
from tests.kits import OPENAI, kit_fixture

if TYPE_CHECKING:
    from eventide.providers import Provider

kit = kit_fixture(OPENAI)
LONG = OPENAI.long()


def _eventide_frames(coro: Any) -> list[str]:
    """The coroutines of eventide above its transport in a task's await chain, outermost
    first."""
    names = []
    while coro is not None and hasattr(coro, "cr_code"):
        module = coro.cr_frame.f_globals.get("__name__", "") if coro.cr_frame else ""
        if module.startswith("eventide.") and not module.startswith("eventide._transport"):
            names.append(coro.cr_code.co_qualname)
        coro = coro.cr_await
    return names


async def test_a_stream_waiting_for_its_head_keeps_one_coroutine_per_layer(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(Reply(body=LONG, stall_before_headers=True))
    tasks: list[trio.lowlevel.Task] = []

    async def read() -> None:
        tasks.append(trio.lowlevel.current_task())
        await eventide.collect(provider.stream("hi"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read)
        await server.wait_for(lambda: len(server.requests) == 1, 5, "the request")
        await trio.testing.wait_all_tasks_blocked()
        outer: Any = tasks[0].coro.cr_await  # `collect`, under the test's own `read`
        frames = _eventide_frames(outer)
        collector = outer.cr_frame.f_locals["collector"]
        containers = [
            o for o in gc.get_referents(collector) if gc.is_tracked(o) and not isinstance(o, type)
        ]
        nursery.cancel_scope.cancel()
    assert frames == ["collect", "EventStream.receive_batch", "HTTPSource._read"]
    assert containers == [[]]  # the text's list; the rarer pieces' come with their events


async def test_the_body_is_let_go_once_the_head_is_in_and_errors_keep_the_request(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(Reply(body=[*LONG[:2], Cut()]))
    stream = provider.stream("hi")
    source = stream._source
    assert isinstance(source, HTTPSource)
    assert source._request.body  # not sent yet
    await stream.open()
    assert source._request.body == b""
    assert source._make_decoder is None
    with pytest.raises(Error) as info:
        await eventide.collect(stream)
    request = info.value.request
    assert request is not None
    assert request.method == "POST"
    assert request.url.endswith("/chat/completions")
    assert server.requests[0].json()["messages"][0]["content"] == "hi"
