"""g4f's legacy API (``g4f.ChatCompletion.create`` / ``create_async``): answers as text.

A call makes a g4f-style client for its provider, asks it, and closes it when the answer
is read (or the stream is closed, or left and collected). A stream yields a `ProviderInfo`
first, as g4f's providers do, so the provider is read from the first chunk; then the text,
piece by piece, as ``str``.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Self, final

import attrs

from ..._resource import AsyncResource

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator
    from types import TracebackType

    from ...client import ChatCompletion, ChatCompletionChunk, ChunkStream
    from .client import AsyncClient, Client

__all__ = ["AsyncTextStream", "ProviderInfo", "TextStream", "text_of"]


@final
@attrs.frozen
class ProviderInfo:
    """The first chunk of a legacy stream: who serves it. ``str()`` of it is ``""``, as in
    g4f, so joining every chunk gives the text.

    Attributes:
        name: The provider that serves the request (as `eventide.Metadata.provider`).
        model: The model it serves (as the provider reports it).
    """

    name: str
    model: str

    def __str__(self) -> str:
        return ""

    def get_dict(self) -> dict[str, str]:
        """``{"name": ..., "model": ...}``, as g4f's ``ProviderInfo.get_dict()``."""
        return {"name": self.name, "model": self.model}


def _piece(chunk: ChatCompletionChunk, first: bool) -> ProviderInfo | str | None:
    """What a legacy stream yields for one chunk: its provider, its text, or nothing."""
    if first:
        return ProviderInfo(chunk.provider, chunk.model)
    if not chunk.choices:
        return None
    return chunk.choices[0].delta.content or None


@final
class TextStream:
    """A legacy stream, blocking: `ProviderInfo`, then ``str`` pieces. Closing it (or
    leaving it to be collected) closes the connection and the client behind it."""

    __slots__ = ("__weakref__", "_chunks", "_client", "_first")

    def __init__(self, client: Client, chunks: Iterator[ChatCompletionChunk]) -> None:
        self._client = client
        self._chunks = chunks
        self._first = True
        weakref.finalize(self, client.close)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ProviderInfo | str:
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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@final
class AsyncTextStream(AsyncResource):
    """A legacy stream: `ProviderInfo`, then ``str`` pieces; ``async for`` over it, or
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

    async def __anext__(self) -> ProviderInfo | str:
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
