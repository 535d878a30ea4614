"""`Client`: the same surface, synchronous, driving the same async pipeline.

A `Client` runs one trio event loop in a thread of its own and sends every call there:
there is no second, synchronous code path, and it works inside a thread that already runs
an event loop (Jupyter, an asyncio or trio application) without patching that loop, since
it only hands work over with `TrioToken.run_sync_soon` and waits on a plain future. Streams,
of events or of OpenAI-shaped chunks, are read on the loop a few network reads ahead of the
consumer into a queue, a list per read: the consumer waits on the loop thread only when it
has caught up with the network, so the thread handoff is paid per wait, not per item.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar, final

import trio

from ._async import AsyncClient, ChunkStream, chat_completion, closed_error
from ._chat import Chat

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
    from types import TracebackType

    from .._completion import Completion
    from .._events import Event, Metadata
    from .._request import Request
    from .._stream import EventStream
    from ..providers import Provider
    from ._batch import BatchItem, BatchResult
    from ._shapes import ChatCompletion, ChatCompletionChunk

__all__ = ["Client"]

T = TypeVar("T")

READ_AHEAD: Final = 8
"""Network reads a sync stream reads ahead of its consumer (bounded memory, few crossings)."""


@final
class Client:
    """`AsyncClient`, synchronously. Same arguments; use it in ``with`` or call `close()`.

    Every call blocks the calling thread until the answer (or the next chunk) is there.
    `close()` also closes the provider, even one passed in: its connections were made on
    this client's own event loop, which ends with it. After `close()`, every call raises
    `eventide.Error` (the base class) and starts no event loop.
    """

    def __init__(
        self,
        provider: Provider | Sequence[Any] | None = None,
        *,
        model: str | None = None,
        **options: Any,
    ) -> None:
        self._async = AsyncClient(provider, model=model, **options)
        self._lock = threading.Lock()
        self._loop: _LoopThread | None = None
        self.closed = False
        self.chat: Chat[ChatCompletion, Iterator[ChatCompletionChunk]] = Chat(
            complete=self._chat_completion, stream=self._chat_chunks
        )

    @property
    def provider(self) -> Provider:
        """The provider (or router) every call goes to."""
        return self._async.provider

    def __repr__(self) -> str:
        return f"Client(provider={self.provider!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the provider (if the client made it) and stop the client's event loop."""
        with self._lock:
            loop, self._loop, self.closed = self._loop, None, True
        if loop is not None:
            try:  # even a provider passed in: its connections live on this client's loop
                loop.call(self._async.provider.aclose)
            finally:
                loop.stop()

    def _call(self, function: Callable[[], Awaitable[T]]) -> T:
        return self._loop_thread().call(function)

    def _loop_thread(self) -> _LoopThread:
        with self._lock:
            if self.closed:
                raise closed_error(self)
            if self._loop is None:
                self._loop = _LoopThread()
            return self._loop

    def complete(self, request: Request | str, *, model: str | None = None) -> Completion:
        """The whole response (see `AsyncClient.complete`)."""
        return self._call(lambda: self._async.complete(request, model=model))

    def first_metadata(self, request: Request | str, *, model: str | None = None) -> Metadata:
        """Who serves this request; the connection is closed right after."""
        return self._call(lambda: self._async.first_metadata(request, model=model))

    def stream(self, request: Request | str, *, model: str | None = None) -> Iterator[Event]:
        """The events of the response; leaving the loop closes the stream."""
        self._loop_thread()  # a closed client raises here, at the call
        events = self._async.stream(request, model=model)
        return self._pull(events, events.receive_batch)

    def _chat_completion(self, request: Request) -> ChatCompletion:
        return self._loop_thread().call(chat_completion, self._async.stream(request))

    def _chat_chunks(self, request: Request) -> Iterator[ChatCompletionChunk]:
        self._loop_thread()
        chunks = ChunkStream(self._async.stream(request))
        return self._pull(chunks, chunks.receive_batch)

    def batch(
        self,
        items: Iterable[BatchItem],
        *,
        max_concurrency: int = 16,
        ordered: bool = False,
        model: str | None = None,
    ) -> list[BatchResult]:
        """Run many requests (see `AsyncClient.batch`); every result, when all are done."""

        async def run() -> list[BatchResult]:
            batch = self._async.batch(
                items, max_concurrency=max_concurrency, ordered=ordered, model=model
            )
            async with batch as results:
                return [result async for result in results]

        return self._call(run)

    def _pull(
        self,
        closable: EventStream | ChunkStream,
        receive: Callable[[], Awaitable[list[T]]],
    ) -> Iterator[T]:
        """Iterate an async stream from this thread; closing the iterator, or leaving a
        ``for`` loop over it, closes the stream."""
        return self._loop_thread().iterate(receive, closable.aclose)


@final
class _LoopThread:
    """A trio event loop in a daemon thread that runs the coroutines handed to it."""

    def __init__(self) -> None:
        started = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._stopping: trio.Event | None = None
        self._thread = threading.Thread(
            target=trio.run, args=(self._main, started), name="eventide-client", daemon=True
        )
        self._thread.start()
        started.wait()

    async def _main(self, started: threading.Event) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self._token = trio.lowlevel.current_trio_token()
            self._stopping = trio.Event()
            started.set()
            await self._stopping.wait()
            nursery.cancel_scope.cancel()

    def call(self, function: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await function(*args)`` on the loop; block until it returns or raises."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        async def job() -> None:
            try:
                future.set_result(await function(*args))
            except Exception as exc:
                future.set_exception(exc)
            except BaseException:
                future.set_exception(RuntimeError("the client was closed during the call"))
                raise

        assert self._token is not None
        assert self._nursery is not None
        self._token.run_sync_soon(self._nursery.start_soon, job)
        return future.result()

    def iterate(
        self,
        receive: Callable[[], Awaitable[list[T]]],
        aclose: Callable[[], Awaitable[None]],
        *,
        ahead: int = READ_AHEAD,
    ) -> Iterator[T]:
        """The items of an async stream, in this thread: a task on the loop reads up to
        `ahead` lists (network reads) ahead into a queue, so that a consumer crosses threads
        only when it has caught up with the network. Leaving the loop cancels that task and
        closes the stream (`aclose`) before it returns, on an exception or interrupt too."""
        batches: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        credits = trio.Semaphore(ahead)
        consumed = 0
        handback = max(ahead // 2, 1)  # credits go back in groups: fewer wake-ups of the loop

        def release() -> None:
            for _ in range(handback):
                credits.release()

        scope = trio.CancelScope()
        pumped = trio.Event()

        async def pump() -> None:
            with scope:
                try:
                    while True:
                        await credits.acquire()
                        batches.put((True, await receive()))
                except StopAsyncIteration:
                    batches.put((False, None))
                except Exception as exc:
                    batches.put((False, exc))
                finally:
                    pumped.set()

        async def close() -> None:
            scope.cancel()
            await pumped.wait()
            await aclose()

        token, nursery = self._token, self._nursery
        assert token is not None
        assert nursery is not None
        token.run_sync_soon(nursery.start_soon, pump)
        try:
            while True:
                more, got = batches.get()
                if not more:
                    if got is not None:
                        raise got
                    return
                consumed += 1
                if consumed == handback:
                    consumed = 0
                    token.run_sync_soon(release)
                yield from got
        finally:
            self.call(close)

    def stop(self) -> None:
        """Cancel what still runs, end the loop and wait for its thread."""
        assert self._token is not None
        assert self._stopping is not None
        self._token.run_sync_soon(self._stopping.set)
        self._thread.join()
