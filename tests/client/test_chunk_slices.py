"""OpenAI-shaped chunks are made a few events at a time (`CHUNKS_AT_ONCE`), as they are asked
for, by the async `ChunkStream` and the sync `Stream` alike: a big network read's chunks
never all live at once, so they do not set off the garbage collector."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import httpx

from eventide import AsyncClient, Client, Finish, Metadata, TextDelta, Usage
from eventide.client._shapes import CHUNKS_AT_ONCE, Chunker
from eventide.providers import OpenAIChat
from eventide.wire import ChatStyle, encode_chat_stream

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from eventide import Event

PIECE = 64 * 1024  # what the built-in transport reads at most at once
TEXTS = [f" tok{i % 100}" for i in range(2000)]
METADATA = Metadata(provider="openai", model="m-1", requested_model="m-1")
EVENTS: list[Event] = [METADATA, *map(TextDelta, TEXTS), Usage(9, 2000, None), Finish("stop")]


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._body), PIECE):
            yield self._body[start : start + PIECE]


def _provider() -> OpenAIChat:
    """Every response: `EVENTS` as OpenAI streams them, in 64 KiB pieces (~230 chunks each)."""
    body = encode_chat_stream(EVENTS, style=ChatStyle(null_usage=True, created=1750000000))

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=_Pieces(body))

    return OpenAIChat(
        base_url="http://chunks.test/v1",
        api_key="k",
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )


def test_slices_are_the_batch_a_few_events_at_a_time() -> None:
    """`Chunker.slices` gives `Chunker.batch`'s chunks, in order, `CHUNKS_AT_ONCE` events'
    worth at a time; events that make no chunk make no empty list."""
    sliced = [len(chunks) for chunks in Chunker(include_usage=True).slices(EVENTS)]
    assert sliced[:2] == [CHUNKS_AT_ONCE, CHUNKS_AT_ONCE]
    assert sum(sliced) == len(Chunker(include_usage=True).batch(EVENTS)) == 2002
    assert list(Chunker().slices([Usage(1, 2, 3)] * (CHUNKS_AT_ONCE + 1))) == []
    dumped = [c.model_dump() for chunks in Chunker().slices(EVENTS) for c in chunks]
    assert dumped == [c.model_dump() for c in Chunker().batch(EVENTS)]


async def test_big_reads_chunks_set_off_the_garbage_collector_rarely() -> None:
    """Five requests of 2,000 chunks in reads of ~230 (after a first one, and `gc.collect()`)
    set off at most two young collections each (the requests' own objects), and no older
    one: made all at once, a read's chunks are ~900 objects the collector counts, past its
    first threshold (700), some eleven collections a request, and older ones."""
    collections: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    async def text(client: AsyncClient) -> str:
        async with client.chat.completions.create(messages="hi", stream=True) as chunks:
            return "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])

    async with _provider() as provider, AsyncClient(provider) as client:
        assert await text(client) == "".join(TEXTS)
        gc.collect()
        gc.callbacks.append(count)
        try:
            for _ in range(5):
                assert await text(client) == "".join(TEXTS)
        finally:
            gc.callbacks.remove(count)
    assert len(collections) <= 10
    assert set(collections) <= {0}


def test_a_sync_stream_hands_a_big_reads_chunks_out_a_few_at_a_time() -> None:
    """The sync `Reader` makes a read's chunks a slice at a time, as the consumer asks, and
    empties the list it handed out before it makes the next."""
    with Client(_provider()) as client:
        chunks = client.chat.completions.create(messages="hi", stream=True)
        events = chunks._reader  # the Reader behind the Stream
        first = next(events)
        assert len(first) == CHUNKS_AT_ONCE
        assert first[0].choices[0].delta.role == "assistant"
        second = next(events)
        assert len(second) == CHUNKS_AT_ONCE
        assert first == []
        texts = [c.choices[0].delta.content for c in second]
        texts += [c.choices[0].delta.content for c in chunks if c.choices]
        assert texts[: 2000 - CHUNKS_AT_ONCE + 1] == TEXTS[CHUNKS_AT_ONCE - 1 :]
