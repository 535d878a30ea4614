"""EventStream: lifetime, ordering, errors and timeouts, over an in-memory httpx transport and
then over a real HTTP/1.1 server on 127.0.0.1 (with `OpenAIChat`; what every provider does over
a real server is in providers/test_http.py)."""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

import httpx
import pytest
import trio

import eventide
from eventide import (
    Finish,
    Metadata,
    ProtocolError,
    StreamTimeout,
    TextDelta,
    Timeouts,
    Usage,
)
from tests.fakes import Sleep, mock_provider, reply
from tests.http_server import (
    Cut,
    RawBytes,
    Reply,
    Stall,
    assert_disconnect_seen,
    openai_chunks,
    refused_url,
    slow,
    sse,
)
from tests.kits import OPENAI, WORDS, kit_fixture

if TYPE_CHECKING:
    from eventide.providers import Provider
    from tests.http_server import ScriptedServer

HELLO = openai_chunks(["Hel", "lo", "!"])


async def read_into(stream: eventide.EventStream, received: list[eventide.Event]) -> None:
    """Iterate `stream` in `async with`, keeping each event even if the stream then fails."""
    async with stream:
        async for event in stream:
            received.append(event)  # noqa: PERF401 - must keep events received before a failure


async def test_stream_does_no_io_until_read() -> None:
    handler, bodies, requests = reply(HELLO)
    provider = mock_provider(handler)
    stream = provider.stream("hi")
    await trio.lowlevel.checkpoint()
    assert requests == []
    assert bodies == []
    await stream.aclose()
    assert requests == []


async def test_stream_yields_metadata_first_then_content_usage_finish() -> None:
    handler, bodies, _ = reply(HELLO)
    async with mock_provider(handler).stream("hi", model="gpt-4o-mini") as events:
        seen = [event async for event in events]
    assert seen[0] == OPENAI.metadata  # the model asked for, the id and the fingerprint
    assert seen[1:4] == [TextDelta("Hel"), TextDelta("lo"), TextDelta("!")]
    assert isinstance(seen[4], Usage)
    assert seen[5] == Finish("stop", "stop")
    assert len(seen) == 6
    assert bodies[0].closed


async def test_stream_sends_the_openai_request() -> None:
    handler, _, requests = reply(HELLO)
    await eventide.collect(mock_provider(handler).stream("hi", model="m-1"))
    (request,) = requests
    assert request.method == "POST"
    assert str(request.url) == "http://llm.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-secret-key"
    assert request.headers["accept"] == "text/event-stream"
    body = httpx.Response(200, content=request.content).json()
    assert body["model"] == "m-1"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [{"role": "user", "content": "hi"}]


async def test_stream_closes_the_body_when_async_with_exits_early() -> None:
    handler, bodies, _ = reply(HELLO)
    async with mock_provider(handler).stream("hi") as events:
        first = await events.__anext__()
        open_inside = not bodies[0].closed
    assert isinstance(first, Metadata)
    assert open_inside
    assert bodies[0].closed
    assert events.closed


async def test_stream_closes_the_body_when_cancelled(autojump_clock: trio.abc.Clock) -> None:
    handler, bodies, _ = reply([HELLO[0], HELLO[1], Sleep(100), *HELLO[2:]])
    stream = mock_provider(handler).stream("hi")
    with trio.move_on_after(5):
        async for _ in stream:
            pass
    assert bodies[0].closed
    assert stream.closed


async def test_stream_plain_async_for_break_releases_the_body() -> None:
    """Without `async with`, the body is closed when the stream is garbage-collected."""
    handler, bodies, _ = reply(HELLO)
    async for _ in mock_provider(handler).stream("hi"):
        break
    gc.collect()
    await bodies[0].wait_closed()  # the finaliser closes it in a system task


async def test_stream_aclose_is_idempotent_and_survives_cancellation() -> None:
    handler, bodies, _ = reply(HELLO)
    stream = mock_provider(handler).stream("hi")
    await stream.__anext__()
    with trio.CancelScope() as scope:
        scope.cancel()
        await stream.aclose()
    assert bodies[0].closed
    await stream.aclose()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_stream_content_emitted_tracks_delivery() -> None:
    handler, _, _ = reply(HELLO)
    async with mock_provider(handler).stream("hi") as events:
        first = await events.__anext__()
        assert isinstance(first, Metadata)
        assert not events.content_emitted
        await events.__anext__()
        assert events.content_emitted


async def test_stream_truncated_body_raises_after_the_events_before_it() -> None:
    handler, bodies, _ = reply(HELLO[:3])  # no finish, no usage, no [DONE]
    received: list[eventide.Event] = []
    with pytest.raises(ProtocolError, match="before \\[DONE\\]") as info:
        await read_into(mock_provider(handler).stream("hi"), received)
    assert [type(e) for e in received] == [Metadata, TextDelta, TextDelta]
    assert info.value.provider == "openai"
    assert info.value.content_emitted
    assert info.value.retryable
    assert bodies[0].closed


async def test_stream_error_in_the_same_chunk_as_content_keeps_the_content() -> None:
    error = {"error": {"message": "boom", "type": "server_error", "code": None}}
    handler, _, _ = reply([b"".join([*HELLO[:3], sse(error)])])
    received: list[eventide.Event] = []
    with pytest.raises(eventide.ServerError) as info:
        await read_into(mock_provider(handler).stream("hi"), received)
    assert [type(e) for e in received] == [Metadata, TextDelta, TextDelta]
    assert info.value.content_emitted


async def test_stream_error_before_any_content_says_no_content_was_emitted() -> None:
    handler, _, _ = reply([b"data: {not json}\n\n"])
    with pytest.raises(ProtocolError, match="not valid JSON") as info:
        await eventide.collect(mock_provider(handler).stream("hi"))
    assert not info.value.content_emitted
    assert info.value.partial is not None
    assert info.value.partial.metadata is None


async def test_stream_stops_at_done_without_waiting_for_the_server_to_close(
    autojump_clock: trio.abc.Clock,
) -> None:
    """Bytes after [DONE] never arrive: the stream still ends, after a bounded drain."""
    handler, bodies, _ = reply([*HELLO, Sleep(3600), b"data: late\n\n"])
    start = trio.current_time()
    completion = await eventide.collect(mock_provider(handler).stream("hi"))
    assert completion.text == "Hello!"
    assert trio.current_time() - start < 1
    assert bodies[0].closed


async def test_stream_without_usage_has_usage_none() -> None:
    handler, _, _ = reply(openai_chunks(["a"], usage=False))
    completion = await eventide.collect(mock_provider(handler).stream("hi"))
    assert completion.usage is None
    assert completion.finish_reason == "stop"


async def test_stream_http_error_closes_the_body() -> None:
    body = b'{"error":{"message":"nope","type":"x","code":"y"}}'
    headers = {"content-type": "application/json", "retry-after": "7"}
    handler, bodies, _ = reply([body], status=429, headers=headers)
    with pytest.raises(eventide.RateLimitError) as info:
        await eventide.collect(mock_provider(handler).stream("hi"))
    assert info.value.retry_after == 7.0
    assert "nope" in str(info.value)
    assert bodies[0].closed


async def test_stream_html_error_page_from_a_proxy_is_a_server_error() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    handler, _, _ = reply([page], status=502, headers={"content-type": "text/html"})
    with pytest.raises(eventide.ServerError) as info:
        await eventide.collect(mock_provider(handler).stream("hi"))
    assert info.value.status_code == 502
    assert "502 Bad Gateway" in info.value.body
    assert len(info.value.body) <= 200


async def test_stream_first_event_timeout_carries_an_empty_partial(
    autojump_clock: trio.abc.Clock,
) -> None:
    handler, bodies, _ = reply([Sleep(30), *HELLO])
    stream = mock_provider(handler).stream("hi", timeouts=Timeouts(first_event=5))
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(stream)
    assert info.value.phase == "first_event"
    assert info.value.timeout == 5
    assert info.value.partial is not None
    assert info.value.partial.metadata is None
    assert bodies[0].closed


async def test_stream_idle_timeout_keeps_what_arrived(autojump_clock: trio.abc.Clock) -> None:
    handler, bodies, _ = reply([*HELLO[:3], Sleep(30), *HELLO[3:]])
    stream = mock_provider(handler).stream("hi", timeouts=Timeouts(idle=5, first_event=10))
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(stream)
    assert info.value.phase == "idle"
    assert info.value.partial is not None
    assert info.value.partial.text == "Hello"
    assert info.value.content_emitted
    assert bodies[0].closed


async def test_stream_keep_alive_comments_do_not_reset_the_idle_timeout(
    autojump_clock: trio.abc.Clock,
) -> None:
    keep_alive: list[bytes | Sleep] = [Sleep(2), b": OPENROUTER PROCESSING\n\n"] * 10
    handler, _, _ = reply([*HELLO[:2], *keep_alive, *HELLO[2:]])
    stream = mock_provider(handler).stream("hi", timeouts=Timeouts(idle=5))
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(stream)
    assert info.value.phase == "idle"


async def test_stream_total_timeout_bounds_a_slow_trickle(autojump_clock: trio.abc.Clock) -> None:
    trickle: list[bytes | Sleep] = [
        piece for text in "abcdefghij" for piece in (Sleep(1), sse({"x": text}))
    ]
    handler, _, _ = reply([*HELLO[:2], *trickle])
    stream = mock_provider(handler).stream("hi", timeouts=Timeouts(idle=5, total=4))
    start = trio.current_time()
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(stream)
    assert info.value.phase == "total"
    assert trio.current_time() - start == pytest.approx(4)


async def test_first_metadata_reads_one_event_and_closes() -> None:
    handler, bodies, _ = reply([*HELLO[:2], Sleep(100), *HELLO[2:]])
    metadata = await eventide.first_metadata(mock_provider(handler).stream("hi"))
    assert metadata.provider == "openai"
    assert metadata.model == "gpt-4o-mini"
    assert bodies[0].closed
    assert bodies[0].sent <= 2


async def test_first_metadata_on_an_http_error_raises_it() -> None:
    handler, _, _ = reply([b"{}"], status=404, headers={"content-type": "application/json"})
    with pytest.raises(eventide.NotFoundError) as info:
        await eventide.first_metadata(mock_provider(handler).stream("hi"))
    assert info.value.partial is not None


async def test_stream_connection_error_is_a_transport_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(eventide.TransportError, match="cannot connect") as info:
        await eventide.collect(mock_provider(refuse).stream("hi"))
    assert info.value.retryable
    assert isinstance(info.value.__cause__, httpx.ConnectError)


# -- over a real server ----------------------------------------------------------------------

LONG = OPENAI.long()


kit = kit_fixture(OPENAI)


async def test_stream_cancel_scope_closes_the_connection(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(Reply(body=[*LONG[:3], Stall()]))
    received: list[eventide.Event] = []
    with trio.CancelScope() as scope:
        async with provider.stream("hi") as events:
            async for event in events:
                received.append(event)
                if len(received) == 3:  # all the server sends before it stalls
                    scope.cancel()
    closed_at = time.monotonic()
    assert scope.cancelled_caught
    assert [type(e) for e in received] == [Metadata, TextDelta, TextDelta]
    await assert_disconnect_seen(server, closed_at)


async def test_stream_plain_async_for_break_closes_the_connection(
    server: ScriptedServer, provider: Provider
) -> None:
    """No `async with`: the abandoned stream is closed when it is collected."""
    server.reply(Reply(body=slow(LONG)))
    async for event in provider.stream("hi"):
        assert isinstance(event, Metadata)
        break
    gc.collect()
    closed_at = time.monotonic()
    await assert_disconnect_seen(server, closed_at)


async def test_stream_200_early_stops_leak_no_connection(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(Reply(body=[*LONG[:2], Stall()]))
    for _ in range(200):
        metadata = await eventide.first_metadata(provider.stream("hi"))
        assert metadata.provider == "openai"
    await server.wait_for(lambda: server.open_connections == 0, 5, "every connection closed")
    assert server.connections_accepted == 200  # an early-closed connection is never reused
    assert len(server.disconnects) == 200


async def test_stream_close_mid_chunk_is_a_protocol_error(
    server: ScriptedServer, provider: Provider
) -> None:
    server.reply(Reply(body=[*LONG[:2], RawBytes(b'40\r\ndata: {"choi'), Cut()]))
    with pytest.raises(ProtocolError, match="broken HTTP response") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 "


async def test_stream_connection_refused_is_a_transport_error() -> None:
    async with OPENAI.provider(refused_url()) as provider:
        with pytest.raises(eventide.TransportError, match="cannot connect") as info:
            await eventide.collect(provider.stream("hi"))
    assert info.value.retryable
    assert not info.value.content_emitted


@pytest.mark.parametrize(
    ("script", "timeouts", "phase", "text"),
    [
        (
            Reply(body=LONG, stall_before_headers=True),
            Timeouts(first_event=30),
            "first_event",
            None,
        ),
        (Reply(body=[*LONG[:3], Stall()]), Timeouts(idle=15), "idle", "word0 word1 "),
        (Reply(body=slow(LONG, 1.0)), Timeouts(idle=5, total=20.5), "total", "".join(WORDS[:19])),
    ],
    ids=["stall-before-headers", "stall-between-events", "endless-trickle"],
)
async def test_stream_budget_over_a_real_server_ends_with_the_partial(
    autojump_clock: trio.abc.Clock,
    server: ScriptedServer,
    provider: Provider,
    script: Reply,
    timeouts: Timeouts,
    phase: str,
    text: str | None,
) -> None:
    """A server that stalls before its headers, between events, or trickles for ever."""
    server.reply(script)
    start = trio.current_time()
    with pytest.raises(StreamTimeout) as info:
        await eventide.collect(provider.stream("hi", timeouts=timeouts))
    assert info.value.phase == phase
    assert trio.current_time() - start == pytest.approx(info.value.timeout)
    partial = info.value.partial
    assert partial is not None
    if text is None:
        assert partial.metadata is None
    else:
        assert partial.text == text
    await server.wait_for(lambda: server.open_connections == 0, 5, "the connection closed")
