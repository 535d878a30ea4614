"""Client facades: `AsyncClient`, `Client` and the OpenAI/g4f-shaped surface, on one pipeline."""

from ._async import AsyncClient as AsyncClient
from ._batch import Batch as Batch
from ._batch import BatchItem as BatchItem
from ._batch import BatchResult as BatchResult
from ._chunks import ChunkStream as ChunkStream
from ._shapes import ChatCompletion as ChatCompletion
from ._shapes import ChatCompletionChunk as ChatCompletionChunk
from ._sync import Client as Client
from ._sync_stream import EventIterator as EventIterator
from ._sync_stream import Stream as Stream

__all__ = [
    "AsyncClient",
    "Batch",
    "BatchItem",
    "BatchResult",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChunkStream",
    "Client",
    "EventIterator",
    "Stream",
]
