"""In-memory fakes for unit tests: an httpx body stream that records its closing, and
providers wired to `httpx.MockTransport`. Real-socket tests use `tests.http_server`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

import attrs
import httpx
import trio

from eventide.providers import OpenAIChat


@attrs.frozen
class Sleep:
    """A pause inside a `RecordingStream` body (virtual time under `autojump_clock`)."""

    seconds: float


@attrs.define
class RecordingStream(httpx.AsyncByteStream):
    """A response body that yields its pieces in turn and records `aclose()`."""

    pieces: Sequence[bytes | Sleep]
    closed: bool = False
    sent: int = 0
    _next: int = 0
    _closing: trio.Event = attrs.Factory(trio.Event)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        # A class, not an async generator: an early close leaves nothing for a finaliser.
        while self._next < len(self.pieces):
            piece = self.pieces[self._next]
            self._next += 1
            if isinstance(piece, Sleep):
                await trio.sleep(piece.seconds)
                continue
            self.sent += 1
            return piece
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.closed = True
        self._closing.set()

    async def wait_closed(self, timeout: float = 2) -> None:
        """Wait until `aclose()` has run (in another task, say); fail after `timeout` s."""
        with trio.fail_after(timeout):
            await self._closing.wait()


def reply(
    pieces: Sequence[bytes | Sleep],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[RecordingStream], list[httpx.Request]]:
    """A MockTransport handler answering every request with `pieces`; it also returns the
    list of bodies it made and the requests it saw, for assertions."""
    bodies: list[RecordingStream] = []
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        body = RecordingStream(pieces)
        bodies.append(body)
        return httpx.Response(
            status, headers=headers or {"content-type": "text/event-stream"}, stream=body
        )

    return handler, bodies, requests


def mock_provider(
    handler: Callable[[httpx.Request], httpx.Response], **options: object
) -> OpenAIChat:
    """An `OpenAIChat` whose HTTP client answers through `handler`."""
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenAIChat(
        base_url="http://llm.test/v1",
        api_key="sk-test-secret-key",
        http_client=client,
        **options,  # type: ignore[arg-type]
    )
