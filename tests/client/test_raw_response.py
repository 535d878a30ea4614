"""``chat.completions.with_raw_response`` and ``with_streaming_response``, on `AsyncClient`
and `Client`, over a real server on 127.0.0.1: the provider's headers and status beside what
``create`` returns, the body re-encoded as OpenAI's, and the connection closed on leaving."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import attrs
import pytest
import trio

import eventide
from eventide import (
    AsyncClient,
    ChatCompletion,
    ChatCompletionChunk,
    Client,
    Event,
    EventStream,
    Finish,
    Metadata,
    RateLimitError,
    Request,
    TextDelta,
)
from eventide._resource import AsyncResource
from eventide.client import ChunkStream
from eventide.providers import OpenAIChat
from tests.http_server import Pause, Reply, ScriptedServer, openai_chunks, serve, serve_in_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Sequence

    from eventide import Timeouts

HEADERS = (("content-type", "text/event-stream"), ("X-Request-ID", "req-raw-1"))
HI = [{"role": "user", "content": "Why is the sky blue?"}]


def answer(texts: Sequence[str] = ("The sky ", "is blue.")) -> Reply:
    return Reply(headers=HEADERS, body=openai_chunks(list(texts), model="gpt-4o-2024"))


def slow() -> Reply:
    words = openai_chunks([f"w{i} " for i in range(100)])
    return Reply(headers=HEADERS, body=[p for w in words for p in (Pause(0.01), w)])


def refused() -> Reply:
    body = json.dumps({"error": {"message": "slow down", "type": "x", "code": "rate_limit"}})
    headers = (("content-type", "application/json"), ("x-request-id", "req-refused"))
    return Reply(status=429, headers=headers, body=[body.encode()])


def sse_text(lines: Sequence[str]) -> str:
    """The text of an OpenAI chunk stream, from its lines."""
    chunks = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


# -- AsyncClient -------------------------------------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(answer()) as made:
        yield made


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[AsyncClient]:
    provider = OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="upstream")
    async with provider, AsyncClient(provider, model="gpt-4o") as made:
        yield made


async def test_raw_response_has_the_headers_and_parses_to_the_completion(
    client: AsyncClient, server: ScriptedServer
) -> None:
    raw = await client.chat.completions.with_raw_response.create(model="gpt-4o", messages=HI)
    assert raw.headers["x-request-id"] == "req-raw-1"
    assert raw.headers.get("X-Request-ID") == "req-raw-1"
    assert raw.request_id == "req-raw-1"
    assert raw.status_code == 200
    assert raw.is_closed  # a whole completion is read before the response is returned
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == "The sky is blue."
    assert completion.provider == "upstream"
    assert raw.parse() is completion
    assert server.completed == 1
    assert "req-raw-1" not in repr(raw)


async def test_raw_response_of_a_stream_has_the_headers_before_the_body(
    client: AsyncClient, server: ScriptedServer
) -> None:
    server.reply(slow())
    raw = await client.chat.completions.with_raw_response.create(messages=HI, stream=True)
    assert raw.request_id == "req-raw-1"
    assert not raw.is_closed
    chunks = raw.parse()
    assert isinstance(chunks, ChunkStream)
    async with chunks:
        texts = [chunk.choices[0].delta.content async for chunk in chunks if chunk.choices]
    assert "".join(t or "" for t in texts) == "".join(f"w{i} " for i in range(100))
    assert raw.is_closed


async def test_raw_response_raises_the_typed_error_of_a_refused_request(
    client: AsyncClient, server: ScriptedServer
) -> None:
    server.reply(refused())
    with pytest.raises(RateLimitError):
        await client.chat.completions.with_raw_response.create(messages=HI, stream=True)
    with pytest.raises(RateLimitError):
        await client.chat.completions.with_raw_response.create(messages=HI)


async def test_raw_response_refuses_invalid_arguments_before_any_io(
    client: AsyncClient, server: ScriptedServer
) -> None:
    with pytest.raises(TypeError):
        await client.chat.completions.with_raw_response.create(messages=HI, stream="yes")  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        client.chat.completions.with_streaming_response.create(messages=HI, stream="yes")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="messages"):
        await client.chat.completions.with_raw_response.create(messages=[])
    assert server.requests == []


async def test_streaming_response_parses_to_the_completion(
    client: AsyncClient, server: ScriptedServer
) -> None:
    response = client.chat.completions.with_streaming_response.create(messages=HI)
    assert server.requests == []  # nothing is sent before the block is entered
    async with response:
        assert response.headers["X-Request-Id"] == "req-raw-1"
        assert response.status_code == 200
        completion = await response.parse()
        assert isinstance(completion, ChatCompletion)
        assert completion.choices[0].message.content == "The sky is blue."
        assert await response.parse() is completion
        body = await response.json()
    assert body == completion.to_dict()
    assert response.is_closed


async def test_streaming_response_lines_are_openai_server_sent_events(
    client: AsyncClient, server: ScriptedServer
) -> None:
    async with client.chat.completions.with_streaming_response.create(
        messages=HI, stream=True
    ) as response:
        assert response.request_id == "req-raw-1"
        lines = [line async for line in response.iter_lines()]
    assert lines[-2:] == ["data: [DONE]", ""]
    assert "" in lines[:-2]  # a blank line ends each event
    assert sse_text(lines) == "The sky is blue."
    chunk = json.loads(next(line for line in lines if line.startswith("data: {"))[6:])
    assert chunk["object"] == "chat.completion.chunk"
    assert chunk["model"] == "gpt-4o-2024"


async def test_streaming_response_bytes_text_and_parse_of_a_stream(
    client: AsyncClient, server: ScriptedServer
) -> None:
    create = client.chat.completions.with_streaming_response.create
    async with create(messages=HI, stream=True) as response:
        pieces = [piece async for piece in response.iter_bytes(chunk_size=7)]
    assert all(len(piece) == 7 for piece in pieces[:-1])
    assert 0 < len(pieces[-1]) <= 7
    text = b"".join(pieces).decode()
    async with create(messages=HI, stream=True) as response:
        assert "".join([t async for t in response.iter_text()]) == text
    assert sse_text(text.split("\n")) == "The sky is blue."
    async with create(messages=HI, stream=True) as response:
        chunks = await response.parse()
        assert isinstance(chunks, ChunkStream)
        got = [chunk async for chunk in chunks]
    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in got)
    assert "".join(c.choices[0].delta.content or "" for c in got if c.choices) == (
        "The sky is blue."
    )


async def test_streaming_response_leaving_early_closes_the_connection(
    client: AsyncClient, server: ScriptedServer
) -> None:
    server.reply(slow())
    create = client.chat.completions.with_streaming_response.create
    async with create(messages=HI, stream=True) as response:
        async for line in response.iter_lines():
            assert line.startswith("data: ")
            break
    closed_at = time.monotonic()
    assert response.is_closed
    assert await server.wait_disconnect(timeout=2) - closed_at < 0.1
    async with create(messages=HI) as whole:
        assert whole.request_id == "req-raw-1"  # left without reading the body
    closed_at = time.monotonic()
    assert await server.wait_disconnect(timeout=2) - closed_at < 0.1
    assert server.completed == 0


async def test_streaming_response_left_unfinished_ends_its_parsed_stream(
    client: AsyncClient, server: ScriptedServer
) -> None:
    """The chunks `parse()` gives end with the block: none read ahead comes after it, and
    reading on raises, as openai-python's stream does once its response is closed; a stream
    parsed only after the block likewise."""
    server.reply(Reply(headers=HEADERS, body=[b"".join(openai_chunks(["a ", "b ", "c"]))]))
    create = client.chat.completions.with_streaming_response.create
    async with create(messages=HI, stream=True) as response:
        stream = await response.parse()
        assert await response.parse() is stream
        await stream.__anext__()  # the first read's other chunks wait in the stream
    with pytest.raises(eventide.Error, match="closed before its end"):
        await stream.__anext__()
    server.reply(Reply(headers=HEADERS, body=[b"".join(openai_chunks(["a ", "b ", "c"]))]))
    async with create(messages=HI, stream=True) as response:
        pass
    with pytest.raises(eventide.Error, match="closed before its end"):
        await (await response.parse()).__anext__()


async def test_streaming_response_raises_the_typed_error_on_entering(
    client: AsyncClient, server: ScriptedServer
) -> None:
    server.reply(refused())
    response = client.chat.completions.with_streaming_response.create(messages=HI)
    with pytest.raises(RuntimeError, match="enter the with block"):
        _ = response.headers
    with pytest.raises(RateLimitError):
        async with response:
            pytest.fail("entered a refused response")
    assert response.is_closed


async def test_raw_response_of_a_fallback_has_the_served_attempts_headers(
    server: ScriptedServer,
) -> None:
    server.queue(refused())
    first = OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="first")
    second = OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="second")
    async with first, second, AsyncClient([first, second]) as client:
        raw = await client.chat.completions.with_raw_response.create(messages=HI, model="m")
    assert raw.request_id == "req-raw-1"
    assert raw.parse().choices[0].message.content == "The sky is blue."
    assert len(server.requests) == 2


@attrs.define
class InProcessSource:
    """A source with no HTTP response: one answer, from memory."""

    batches: list[list[Event]] = attrs.Factory(
        lambda: [[Metadata("local", "m", "m")], [TextDelta("From memory."), Finish("stop")]]
    )
    provider: str = "local"
    model: str = "m"

    async def open(self) -> None:
        await trio.lowlevel.checkpoint()

    async def receive(self) -> list[Event]:
        await trio.lowlevel.checkpoint()
        return self.batches.pop(0) if self.batches else []

    async def aclose(self) -> None:
        self.batches.clear()

    def abandon(self) -> None:
        self.batches.clear()


class InProcess(AsyncResource):
    name = "local"

    def stream(
        self, request: Request | str, *, model: str | None = None, timeouts: Timeouts | None = None
    ) -> EventStream:
        return EventStream(InProcessSource())

    async def aclose(self) -> None:
        pass


async def test_raw_response_of_a_provider_without_http_has_no_headers() -> None:
    async with AsyncClient(InProcess()) as client:
        stream = client.stream("hi")
        await stream.open()
        assert (stream.headers, stream.status_code) == (None, None)
        await stream.aclose()
        raw = await client.chat.completions.with_raw_response.create(messages=HI)
        assert raw.parse().choices[0].message.content == "From memory."
        async with client.chat.completions.with_streaming_response.create(
            messages=HI, stream=True
        ) as response:
            lines = [line async for line in response.iter_lines()]
    assert (dict(raw.headers), raw.request_id, raw.status_code) == ({}, None, 200)
    assert (dict(response.headers), response.status_code) == ({}, 200)
    assert sse_text(lines) == "From memory."


# -- Client (sync) -----------------------------------------------------------------------------


@pytest.fixture
def sync_server() -> Iterator[ScriptedServer]:
    with serve_in_thread(answer(["Sync ", "works."])) as made:
        yield made


@pytest.fixture
def sync_client(sync_server: ScriptedServer) -> Iterator[Client]:
    provider = OpenAIChat(base_url=f"{sync_server.url}/v1", api_key="k", name="upstream")
    with Client(provider) as made:
        yield made


def test_sync_raw_response_has_the_headers_and_parses(
    sync_client: Client, sync_server: ScriptedServer
) -> None:
    raw = sync_client.chat.completions.with_raw_response.create(messages=HI, model="m")
    assert raw.headers["X-REQUEST-ID"] == "req-raw-1"
    assert raw.status_code == 200
    completion = raw.parse()
    assert completion.choices[0].message.content == "Sync works."
    streamed = sync_client.chat.completions.with_raw_response.create(messages=HI, stream=True)
    assert streamed.request_id == "req-raw-1"
    chunks = list(streamed.parse())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Sync works."
    assert streamed.is_closed
    assert sync_server.completed == 2


def test_sync_streaming_response_reads_lines_bytes_and_parses(sync_client: Client) -> None:
    create = sync_client.chat.completions.with_streaming_response.create
    with create(messages=HI, stream=True) as response:
        assert response.request_id == "req-raw-1"
        lines = list(response.iter_lines())
    assert response.is_closed
    assert lines[-2:] == ["data: [DONE]", ""]
    assert sse_text(lines) == "Sync works."
    with create(messages=HI, stream=True) as response:
        pieces = list(response.iter_bytes(chunk_size=5))
    assert all(len(piece) == 5 for piece in pieces[:-1])
    assert b"".join(pieces).decode().split("\n")[:-1] == lines
    with create(messages=HI, stream=True) as response:
        assert "".join(response.iter_text()) == "\n".join(lines) + "\n"
    with create(messages=HI, stream=True) as response:
        got = list(response.parse())
    assert "".join(c.choices[0].delta.content or "" for c in got if c.choices) == "Sync works."
    with create(messages=HI) as whole:
        completion = whole.parse()
        assert whole.json() == completion.to_dict()
        assert whole.text() == whole.read().decode()
    assert completion.choices[0].message.content == "Sync works."


def test_sync_streaming_response_leaving_early_closes_the_connection(
    sync_client: Client, sync_server: ScriptedServer
) -> None:
    sync_server.reply(slow())
    create = sync_client.chat.completions.with_streaming_response.create
    with create(messages=HI, stream=True) as response:
        for line in response.iter_lines():
            assert line.startswith("data: ")
            break
    closed_at = time.monotonic()
    assert sync_server.wait_disconnect_sync(timeout=2) - closed_at < 0.1
    with create(messages=HI, stream=True) as response:
        assert response.status_code == 200
    closed_at = time.monotonic()
    assert response.is_closed
    assert sync_server.wait_disconnect_sync(timeout=2) - closed_at < 0.1
    assert sync_server.completed == 0


def test_sync_streaming_response_parses_to_one_stream(
    sync_client: Client, sync_server: ScriptedServer
) -> None:
    """As openai-python's ``parse()``: the same `Stream` every time, over one reading task."""
    sync_server.reply(slow())
    create = sync_client.chat.completions.with_streaming_response.create
    with create(messages=HI, stream=True) as response:
        first = response.parse()
        assert response.parse() is first
        next(first)
        assert response.parse() is first
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text == "".join(f"w{i} " for i in range(100))
    sync_server.reply(answer(["Sync ", "works."]))
    with create(messages=HI, stream=True) as response:
        assert response.parse() is not None  # dropped at once
        got = list(response.parse())
    assert "".join(c.choices[0].delta.content or "" for c in got if c.choices) == "Sync works."


def test_sync_streaming_response_left_unfinished_closes_its_parsed_stream(
    sync_client: Client, sync_server: ScriptedServer
) -> None:
    """Reading the parsed stream after the block raises the closed-stream error, not a
    retryable `TransportError` that would invite sending the request again."""
    sync_server.reply(slow())
    create = sync_client.chat.completions.with_streaming_response.create
    with create(messages=HI, stream=True) as response:
        stream = response.parse()
        next(stream)
        time.sleep(0.05)  # its reading task waits on the socket
    closed_at = time.monotonic()
    assert sync_server.wait_disconnect_sync(timeout=2) - closed_at < 0.1
    with pytest.raises(eventide.Error, match="closed before its end") as raised:
        list(stream)
    assert type(raised.value) is eventide.Error
    sync_server.reply(slow())
    with create(messages=HI, stream=True) as response:
        pass
    with pytest.raises(eventide.Error, match="closed before its end"):  # parsed after it
        list(response.parse())
    assert sync_server.completed == 0


def test_sync_raw_response_on_a_closed_client_sends_nothing(
    sync_client: Client, sync_server: ScriptedServer
) -> None:
    sync_client.close()
    with pytest.raises(eventide.Error, match="closed"):
        sync_client.chat.completions.with_raw_response.create(messages=HI)
    with pytest.raises(eventide.Error, match="closed"):
        sync_client.chat.completions.with_streaming_response.create(messages=HI)
    assert sync_server.requests == []


def test_raw_and_streaming_responses_under_asyncio(sync_server: ScriptedServer) -> None:
    sync_server.reply(slow())

    async def main() -> tuple[str | None, str | None, float]:
        provider = OpenAIChat(base_url=f"{sync_server.url}/v1", api_key="k")
        async with provider, AsyncClient(provider) as client:
            raw = await client.chat.completions.with_raw_response.create(messages=HI, stream=True)
            async with raw.parse() as chunks:
                async for _ in chunks:
                    break
            create = client.chat.completions.with_streaming_response.create
            async with create(messages=HI, stream=True) as response:
                async for _ in response.iter_bytes():
                    break
            return raw.request_id, response.request_id, time.monotonic()

    first, second, left_at = asyncio.run(main())
    assert (first, second) == ("req-raw-1", "req-raw-1")
    for _ in range(2):  # both connections were closed on leaving their blocks
        assert sync_server.wait_disconnect_sync(timeout=2) - left_at < 0.1
    assert sync_server.completed == 0
