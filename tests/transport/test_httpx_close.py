"""Closing an httpx response on every path, exactly once: read to its end (httpx closed it
already, so nothing is awaited), left early, and drained after the terminal event while the
caller is being cancelled; the drain under asyncio too (its cancel scope is anyio's there,
trio's own under trio)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import anyio
import httpx

import eventide
from eventide import Finish, Metadata
from tests.fakes import Sleep, mock_provider
from tests.http_server import openai_chunks

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

PIECES = openai_chunks(["Hel", "lo", "!"])
HELLO = b"".join(PIECES)  # every event, [DONE] too, in one read
TAIL = b": a comment after [DONE]\n\n"


class CountingStream(httpx.AsyncByteStream):
    """A response body that counts the pieces read and the calls to `aclose()`."""

    def __init__(self, pieces: Sequence[bytes | Sleep]) -> None:
        self.pieces = list(pieces)
        self.read = 0
        self.closes = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        while self.pieces:
            piece = self.pieces.pop(0)
            if isinstance(piece, Sleep):
                await anyio.sleep(piece.seconds)  # a checkpoint: where a cancellation lands
                continue
            self.read += 1
            return piece
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.closes += 1


def provider_of(body: CountingStream) -> eventide.providers.OpenAIChat:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    return mock_provider(handler)


async def test_a_response_read_to_its_end_is_closed_once() -> None:
    body = CountingStream([HELLO, TAIL])
    stream = provider_of(body).stream("hi")
    completion = await eventide.collect(stream)
    assert completion.text == "Hello!"
    assert body.read == 2  # the tail was drained: the connection can be reused
    assert body.closes == 1
    await stream.aclose()  # again: nothing more
    assert body.closes == 1


async def test_a_response_left_early_is_closed_once() -> None:
    body = CountingStream([HELLO, TAIL])
    stream = provider_of(body).stream("hi")
    assert isinstance(await eventide.first_metadata(stream), Metadata)
    assert body.closes == 1
    await stream.aclose()
    assert body.closes == 1


async def test_a_response_left_before_its_end_is_closed_at_once() -> None:
    body = CountingStream([PIECES[0], b"".join(PIECES[1:]), TAIL])
    async with provider_of(body).stream("hi") as stream:
        await stream.__anext__()  # Metadata: the response is open, its body not read to the end
    assert body.read == 1  # not drained: left early, the connection is closed instead
    assert body.closes == 1


async def close_complete_while_cancelled(body: CountingStream) -> eventide.EventStream:
    """A stream over `body` read to its `Finish`, then closed in a cancelled scope (anyio's:
    the same under either loop)."""
    stream = provider_of(body).stream("hi")
    while not isinstance(await stream.__anext__(), Finish):
        pass
    with anyio.CancelScope() as scope:
        scope.cancel()
        await stream.aclose()  # the drain and the close are shielded from this cancellation
    return stream


async def test_a_complete_response_closed_while_cancelled_is_still_drained_and_closed() -> None:
    body = CountingStream([HELLO, Sleep(0), TAIL])
    stream = await close_complete_while_cancelled(body)
    assert body.read == 2
    assert body.closes == 1
    assert stream.closed


def test_a_complete_response_is_drained_under_asyncio_too() -> None:
    body = CountingStream([HELLO, TAIL])

    async def main() -> str:
        return (await eventide.collect(provider_of(body).stream("hi"))).text

    assert asyncio.run(main()) == "Hello!"
    assert body.read == 2  # the tail was drained: the connection can be reused
    assert body.closes == 1


def test_the_drain_under_asyncio_is_bounded_and_shielded() -> None:
    late = CountingStream([HELLO, Sleep(3600), TAIL])  # the tail never comes
    held = CountingStream([HELLO, Sleep(0), TAIL])

    async def main() -> float:
        start = time.monotonic()
        await eventide.collect(provider_of(late).stream("hi"))
        took = time.monotonic() - start
        await close_complete_while_cancelled(held)
        return took

    assert asyncio.run(main()) < 1  # the drain gave up after its 0.25 s
    assert (late.read, late.closes) == (1, 1)
    assert (held.read, held.closes) == (2, 1)
