"""g4f's legacy API (``g4f.ChatCompletion.create`` / ``create_async``): answers as text.

A call makes a g4f-style client for its provider, asks it, and closes it when the answer
is read (or the stream is closed, or left and collected). A stream yields `TextChunk`
pieces (``str`` that name the provider): an empty one first, where g4f's providers send
their ``ProviderInfo``, so the provider is read from the first chunk; then the text.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Self, final

from ..._resource import AsyncResource, SyncResource

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

    from ...client import ChatCompletion, ChatCompletionChunk, ChunkStream
    from .client import AsyncClient, Client

__all__ = ["AsyncTextStream", "TextChunk", "TextStream", "text_of"]


@final
class TextChunk(str):
    """A piece of a legacy stream's answer: a ``str``, that also says who serves it.

    The first piece is empty and comes before any text, where g4f's providers send their
    ``ProviderInfo`` (whose ``str()`` is ``""`` too): read the provider from it, then break
    or read on. Joining every piece gives the answer.

    Attributes:
        provider: The provider that serves the request (`eventide.Metadata.provider`).
        model: The model it serves, as the provider reports it.
    """

    provider: str
    model: str

    def __new__(cls, text: str, *, provider: str, model: str) -> Self:
        chunk = super().__new__(cls, text)
        chunk.provider = provider
        chunk.model = model
        return chunk

    @property
    def name(self) -> str:
        """The provider, under the name g4f's ``ProviderInfo`` gives it."""
        return self.provider

    def get_dict(self) -> dict[str, str]:
        """``{"name": ..., "model": ...}``, as g4f's ``ProviderInfo.get_dict()``."""
        return {"name": self.provider, "model": self.model}


def _piece(chunk: ChatCompletionChunk, first: bool) -> TextChunk | None:
    """What a legacy stream yields for one chunk: its text, the first always, or nothing."""
    text = chunk.choices[0].delta.content if chunk.choices else None
    if not (text or first):
        return None
    return TextChunk(text or "", provider=chunk.provider, model=chunk.model)


@final
class TextStream(SyncResource):
    """A legacy stream, blocking: `TextChunk` pieces, the first empty. Closing it (or
    leaving it to be collected) closes the connection and the client behind it."""

    __slots__ = ("__weakref__", "_chunks", "_client", "_first")

    def __init__(self, client: Client, chunks: Iterator[ChatCompletionChunk]) -> None:
        self._client = client
        self._chunks = chunks
        self._first = True
        weakref.finalize(self, client.close)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> TextChunk:
        try:
            while True:
                piece = _piece(next(self._chunks), self._first)
                self._first = False
                if piece is not None:
                    return piece
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection and the client. Idempotent."""
        self._client.close()


@final
class AsyncTextStream(AsyncResource):
    """A legacy stream: `TextChunk` pieces, the first empty; ``async for`` over it, or
    over ``await`` of it. Leaving the loop closes the connection (at once with
    ``async with`` or `aclose()`, else when the stream is collected)."""

    __slots__ = ("_chunks", "_client", "_first")

    def __init__(self, client: AsyncClient, chunks: ChunkStream) -> None:
        self._client = client
        self._chunks = chunks
        self._first = True

    def __await__(self) -> Generator[Any, None, Self]:
        async def itself() -> Self:
            return self

        return itself().__await__()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> TextChunk:
        try:
            while True:
                piece = _piece(await self._chunks.__anext__(), self._first)
                self._first = False
                if piece is not None:
                    return piece
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Close the connection and the client. Idempotent."""
        try:
            await self._chunks.aclose()
        finally:
            await self._client.aclose()


def text_of(completion: ChatCompletion) -> str:
    """The answer text of a `ChatCompletion` (``""`` for none)."""
    return completion.choices[0].message.content or ""
