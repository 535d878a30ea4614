"""litellm's ``stream=True`` results: `CompletionStream` and `AsyncCompletionStream`."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Self, final

from ..._errors import Error
from ..._resource import AsyncResource, SyncResource

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ...client import AsyncClient, ChatCompletionChunk, ChunkStream, Client
    from ...providers import Provider
    from ._call import Call

__all__ = ["AsyncCompletionStream", "CompletionStream", "close"]


@final
class CompletionStream(SyncResource):
    """litellm's sync ``stream=True`` result: `ChatCompletionChunk` objects; ``for`` over
    it. Reaching the end, `close()`, ``with`` or collection closes the connection."""

    __slots__ = ("__weakref__", "_call", "_chunks", "_client")

    def __init__(self, client: Client, chunks: Iterator[ChatCompletionChunk], call: Call) -> None:
        self._client = client
        self._chunks = chunks
        self._call = call  # the model a failure names, as litellm's stream wrapper is given
        weakref.finalize(self, client.close)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ChatCompletionChunk:
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise
        except Error as exc:
            self.close()
            self._call.raise_as_litellm(exc)

    def close(self) -> None:
        """Close the connection and the client. Idempotent."""
        self._client.close()


@final
class AsyncCompletionStream(AsyncResource):
    """litellm's async ``stream=True`` result: ``async for`` over it. Reaching the end,
    `aclose()` or ``async with`` closes the connection and the providers; leaving the loop
    early closes the connection when the stream is collected."""

    __slots__ = ("_call", "_chunks", "_client")

    def __init__(self, client: AsyncClient, chunks: ChunkStream, call: Call) -> None:
        self._client = client
        self._chunks = chunks
        self._call = call

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            await self.aclose()
            raise
        except Error as exc:
            await self.aclose()
            self._call.raise_as_litellm(exc)

    async def aclose(self) -> None:
        """Close the connection, the client and the provider. Idempotent.

        Cancellation: shielded where it matters, as `EventStream.aclose` is.
        """
        try:
            await self._chunks.aclose()
        finally:
            await close(self._client, self._call.provider)


async def close(client: AsyncClient, provider: Provider) -> None:
    try:
        await client.aclose()
    finally:
        await provider.aclose()
