"""The OpenAI-shaped views of one `EventStream`: `ChunkStream` (chunks, as they come) and
`chat_completion` (the whole `ChatCompletion`)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Self, final

from .._resource import AsyncResource
from ..collectors import collect
from ._chat import CallOptions
from ._shapes import ChatCompletion, ChatCompletionChunk, Chunker
from ._sync_stream import closed_before_its_end

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

    from .._stream import EventStream

__all__ = ["ChunkStream", "chat_completion"]


async def chat_completion(events: EventStream) -> ChatCompletion:
    """The `ChatCompletion` of a whole stream (closed after)."""
    return ChatCompletion.from_completion(await collect(events), created=int(time.time()))


@final
class ChunkStream(AsyncResource):
    """`ChatCompletionChunk` objects, one per event, as OpenAI streams them (see `Chunker`:
    OpenAI's usage chunk, last, only with ``options.include_usage``); iterable, and
    awaitable (to itself) or entered with ``async with``, either of which sends the request
    and waits until the provider has accepted it (`EventStream.open`), as openai-python's
    ``await create(stream=True)`` does: a refused request raises its typed error there.
    Iterated without either, the request goes out at the first read."""

    __slots__ = (
        "__weakref__",
        "_chunk",
        "_closed_early",
        "_ended",
        "_events",
        "_pending",
        "_pos",
        "_slices",
        "options",
    )

    def __init__(self, events: EventStream, options: CallOptions | None = None) -> None:
        self._events = events
        self.options = options = options if options is not None else CallOptions()
        self._chunk = Chunker(created=int(time.time()), include_usage=options.include_usage)
        self._pending: list[ChatCompletionChunk] = []  # the rest of the chunks made
        self._pos = 0
        self._slices: Iterator[list[ChatCompletionChunk]] | None = None  # the rest of a read
        self._ended = False  # its end was read
        self._closed_early = False  # closed before its end: reading on raises

    @property
    def events(self) -> EventStream:
        """The events the chunks are made of."""
        return self._events

    @property
    def chunker(self) -> Chunker:
        """What makes the chunks of a read's events (and the usage chunk at the end)."""
        return self._chunk

    def __await__(self) -> Generator[Any, None, ChunkStream]:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> Self:
        """Send the request and wait for the response's head (once; not after `aclose`).

        Raises:
            Error: The request failed (the provider refused it: its typed error).

        Cancellation: the connection is closed.
        """
        events = self._events
        if not events.closed:
            await events.open()
        return self

    def __aiter__(self) -> ChunkStream:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        pos = self._pos
        if pos < len(self._pending):  # no await, no call per chunk: made a few at once
            self._pos = pos + 1
            return self._pending[pos]
        self._pending.clear()  # handed out: its chunks go before more are made
        self._pending = pending = await self.receive_batch()
        self._pos = 1
        return pending[0]

    async def receive_batch(self) -> list[ChatCompletionChunk]:
        """The next chunks of a network read, made a few at a time (`Chunker.slices`; never
        empty); `StopAsyncIteration` at the end.

        Chunks buffered by `__anext__` come first.

        Raises:
            Error: The stream was closed (`aclose`) before its end, as openai-python's
                raises when read after ``close()``; or what ended the stream.
        """
        if self._closed_early:
            raise closed_before_its_end()
        if self._pos < len(self._pending):
            rest = self._pending[self._pos :]
            self._pending, self._pos = [], 0
            return rest
        while True:
            if self._slices is not None:
                chunks = next(self._slices, None)
                if chunks is not None:
                    return chunks
                self._slices = None
            try:
                events = await self._events.receive_batch()
            except StopAsyncIteration:
                return [self._end()]
            self._slices = self._chunk.slices(events)

    def _end(self) -> ChatCompletionChunk:
        """The chunk after the stream's last event (OpenAI's usage chunk, with
        ``include_usage``), else `StopAsyncIteration`."""
        self._ended = True
        tail = self._chunk.end()
        if tail is None:
            raise StopAsyncIteration
        return tail

    async def aclose(self) -> None:
        """Close the underlying stream (and its connection); the chunks already read (the
        usage chunk held for the end too) are dropped, and reading on raises
        `eventide.Error` unless the end had been read."""
        self._closed_early = not self._ended
        self._pending, self._pos, self._slices = [], 0, None
        self._chunk.end()
        await self._events.aclose()

    async def close(self) -> None:
        """`aclose`, under openai-python's name (its ``AsyncStream.close()``)."""
        await self.aclose()
