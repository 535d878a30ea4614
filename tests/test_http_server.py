"""The scripted HTTP server itself, exercised by a real httpx client over real sockets."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, cast

import httpx
import pytest
import trio

from tests.http_server import (
    Cut,
    Pause,
    Piece,
    RawBytes,
    Received,
    Reply,
    Stall,
    openai_chunks,
    serve,
    serve_in_thread,
    sse,
)

if TYPE_CHECKING:
    from collections.abc import Generator


async def first_chunk_then_close(response: httpx.Response) -> tuple[bytes, float]:
    """Read one chunk, close the response (and so its connection) mid-stream: (chunk, when).

    The iteration is resumed after the close, to let httpx's nested async generators finish
    with a ReadError: abandoning them instead makes trio warn (ResourceWarning, an error here)
    that they were garbage collected before being exhausted.
    """
    chunks = response.aiter_raw()
    first = await anext(chunks)
    closed_at = time.monotonic()
    await response.aclose()
    with pytest.raises(httpx.ReadError):
        await anext(chunks)
    return first, closed_at


async def test_chunked_reply_streams_each_piece_intact() -> None:
    pieces = openai_chunks(["Hel", "lo"])
    body: list[Piece] = [pieces[0], Pause(0.05), *pieces[1:]]
    url = "/v1/chat/completions"
    async with (
        serve(Reply(body=body)) as server,
        httpx.AsyncClient(base_url=server.url) as client,
        client.stream("POST", url, json={"a": 1}) as r,
    ):
        assert r.status_code == 200
        assert r.headers["transfer-encoding"] == "chunked"
        assert r.headers["content-type"] == "text/event-stream"
        chunks = [chunk async for chunk in r.aiter_raw()]
    # The pause splits the body: the first piece arrives on its own, before the rest is sent.
    assert chunks[0] == pieces[0]
    assert b"".join(chunks) == b"".join(pieces)
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.json() == {"a": 1}
    assert request.headers["content-type"] == "application/json"
    assert server.completed == 1
    assert server.disconnects == []


async def test_content_length_reply() -> None:
    reply = Reply(
        headers=[("content-type", "application/json")],
        body=[b'{"ok"', b":true}"],
        content_length=True,
    )
    async with serve(reply) as server, httpx.AsyncClient() as client:
        response = await client.get(f"{server.url}/models")
    assert response.headers["content-length"] == "11"
    assert "transfer-encoding" not in response.headers
    assert response.json() == {"ok": True}
    assert response.reason_phrase == "OK"
    assert server.completed == 1


async def test_keep_alive_reuses_one_connection_and_queue_comes_first() -> None:
    async with serve(Reply(body=[b"default"])) as server, httpx.AsyncClient() as client:
        server.queue(Reply(status=201, body=[b"first"]))
        first = await client.post(f"{server.url}/a", content=b"one")
        second = await client.post(f"{server.url}/b", content=b"two")
        third = await client.get(f"{server.url}/c")
    assert (first.status_code, first.content) == (201, b"first")
    assert (second.status_code, second.content) == (200, b"default")
    assert third.content == b"default"
    assert server.connections_accepted == 1
    assert [(r.path, r.body, r.connection) for r in server.requests] == [
        ("/a", b"one", 0),
        ("/b", b"two", 0),
        ("/c", b"", 0),
    ]
    assert server.completed == 3


async def test_reply_function_sees_the_request() -> None:
    def echo(request: Received) -> Reply:
        return Reply(status=202, body=[request.path.encode(), b"|", request.body])

    async with serve(echo) as server, httpx.AsyncClient() as client:
        response = await client.put(f"{server.url}/echo?x=1", content=b"payload")
    assert (response.status_code, response.content) == (202, b"/echo?x=1|payload")


async def test_client_closing_mid_stream_is_seen_within_100ms() -> None:
    async with (
        serve(Reply(body=[b"data: 1\n\n", Stall()])) as server,
        httpx.AsyncClient() as client,
    ):
        async with client.stream("GET", server.url) as response:
            first, closed_at = await first_chunk_then_close(response)
        seen_at = await server.wait_disconnect(timeout=1.0)
        await server.wait_for(lambda: server.open_connections == 0, timeout=1.0)
    assert first == b"data: 1\n\n"
    assert 0 <= seen_at - closed_at < 0.1
    assert len(server.disconnects) == 1
    assert server.completed == 0


async def test_wait_disconnect_times_out_when_nobody_leaves() -> None:
    async with serve() as server, httpx.AsyncClient() as client:
        response = await client.get(server.url)
        with pytest.raises(TimeoutError):
            await server.wait_disconnect(timeout=0.05)
    assert response.status_code == 200
    assert server.disconnects == []


async def test_cut_is_a_protocol_error_for_the_client_and_not_a_disconnect() -> None:
    async with serve(Reply(body=[b"data: 1\n\n", Cut(), b"never sent"])) as server:
        async with httpx.AsyncClient() as client, client.stream("GET", server.url) as response:
            chunks = response.aiter_raw()
            assert await anext(chunks) == b"data: 1\n\n"
            with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
                await anext(chunks)
        await server.wait_for(lambda: server.open_connections == 0, timeout=1.0)
    assert server.disconnects == []
    assert server.completed == 0


async def test_cut_truncates_a_content_length_body() -> None:
    reply = Reply(content_length=True, body=[b"0123456789", Cut(), b"abcdef"])
    async with serve(reply) as server, httpx.AsyncClient() as client:
        with pytest.raises(httpx.RemoteProtocolError, match="received 10 bytes, expected 16"):
            await client.get(server.url)


async def test_cut_with_reset_is_a_read_error() -> None:
    reply = Reply(body=[b"x", Pause(0.02), Cut(reset=True)])
    async with serve(reply) as server, httpx.AsyncClient() as client:
        with pytest.raises(httpx.ReadError):
            await client.get(server.url)
    assert server.disconnects == []


async def test_raw_bytes_break_the_chunked_encoding() -> None:
    reply = Reply(body=[b"ok", RawBytes(b"zz\r\nnot a chunk\r\n")])
    async with serve(reply) as server, httpx.AsyncClient() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)
    assert server.connections_accepted == 1


async def test_raw_reply_is_written_verbatim() -> None:
    raw = b"HTTP/1.1 418 Teapot\r\nContent-Length: 3\r\nX-Raw: yes\r\n\r\ntea"
    async with (
        serve(Reply.raw(raw[:20], Pause(0.01), raw[20:])) as server,
        httpx.AsyncClient() as c,
    ):
        response = await c.get(server.url)
    assert (response.status_code, response.headers["x-raw"], response.content) == (
        418,
        "yes",
        b"tea",
    )
    assert server.completed == 1


async def test_stall_before_headers_times_out_and_is_seen_as_a_disconnect() -> None:
    async with serve(Reply(stall_before_headers=True)) as server:
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.05)) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(server.url)
        await server.wait_disconnect(timeout=1.0)
    assert len(server.requests) == 1
    assert server.completed == 0


async def test_server_shutdown_closes_open_connections() -> None:
    async with httpx.AsyncClient() as client:
        async with serve(Reply(body=[b"a"])) as server:
            await client.get(server.url)
            assert server.open_connections == 1
        assert server.open_connections == 0
        with trio.fail_after(1):  # the pooled connection is dead: httpx must not hang on it
            with pytest.raises(httpx.ConnectError):
                await client.get(server.url)


def test_serve_in_thread_from_sync_code() -> None:
    with serve_in_thread(Reply(body=openai_chunks(["hi"]))) as server:
        with httpx.Client() as client:
            first = client.post(f"{server.url}/v1/chat/completions", json={"n": 1})
            second = client.post(f"{server.url}/v1/chat/completions", json={"n": 2})
        # A client that read every response, then closed, is no disconnect.
        server.wait_for_sync(lambda: server.open_connections == 0, timeout=1.0)
        assert server.disconnects == []
        assert server.completed == 2
        server.reply(Reply(body=[b"x", Stall()]))
        with httpx.Client() as client, client.stream("GET", server.url) as response:
            chunks = cast("Generator[bytes, None, None]", response.iter_raw())
            assert next(chunks) == b"x"
            closed_at = time.monotonic()
            chunks.close()  # closes the response, hence the connection
        seen_at = server.wait_disconnect_sync(timeout=1.0)
    assert first.content == second.content == b"".join(openai_chunks(["hi"]))
    assert [r.json() for r in server.requests[:2]] == [{"n": 1}, {"n": 2}]
    assert server.connections_accepted == 2
    assert 0 <= seen_at - closed_at < 0.1
    assert server.open_connections == 0


def test_sse_encoding_is_byte_exact() -> None:
    assert sse({"a": 1, "b": [1, "é"]}, "[DONE]") == (
        'data: {"a":1,"b":[1,"é"]}\n\ndata: [DONE]\n\n'.encode()
    )
    assert sse("one\ntwo") == b"data: one\ndata: two\n\n"


def test_openai_chunks_shape() -> None:
    pieces = openai_chunks(["Hel", "lo"], model="gpt-4o-mini")
    assert pieces[-1] == b"data: [DONE]\n\n"
    assert all(p.startswith(b"data: ") and p.endswith(b"\n\n") for p in pieces)
    chunks = [json.loads(p[len(b"data: ") :]) for p in pieces[:-1]]
    assert [c["object"] for c in chunks] == ["chat.completion.chunk"] * 5
    assert all(c["id"].startswith("chatcmpl-") and c["model"] == "gpt-4o-mini" for c in chunks)
    deltas = [c["choices"][0]["delta"] if c["choices"] else None for c in chunks]
    assert deltas == [
        {"role": "assistant", "content": "", "refusal": None},
        {"content": "Hel"},
        {"content": "lo"},
        {},
        None,
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks[:4]] == [None, None, None, "stop"]
    assert chunks[-1]["usage"]["completion_tokens"] == 2
    assert all(c["usage"] is None for c in chunks[:-1])
    without_usage = openai_chunks(["x"], usage=False)
    assert len(without_usage) == 4
    assert all(b'"usage"' not in p for p in without_usage)
