"""Closing an httpx response on every path, exactly once: read to its end (httpx closed it
already, so nothing is awaited), left early, and drained after the terminal event while the
caller is being cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import trio

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
                await trio.sleep(piece.seconds)  # a checkpoint: where a cancellation lands
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


async def test_a_complete_response_closed_while_cancelled_is_still_drained_and_closed() -> None:
    body = CountingStream([HELLO, Sleep(0), TAIL])
    stream = provider_of(body).stream("hi")
    while not isinstance(await stream.__anext__(), Finish):
        pass
    with trio.CancelScope() as scope:
        scope.cancel()
        await stream.aclose()  # the drain and the close are shielded from this cancellation
    assert body.read == 2
    assert body.closes == 1
    assert stream.closed
