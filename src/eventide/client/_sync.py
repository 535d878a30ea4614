"""`Client`: the same surface, synchronous, driving the same async pipeline.

A `Client` runs one trio event loop in a thread of its own and sends every call there:
there is no second, synchronous code path, and it works inside a thread that already runs
an event loop (Jupyter, an asyncio or trio application) without patching that loop, since
it only hands work over with `TrioToken.run_sync_soon` and waits on a plain future. Streams
are pulled one network chunk at a time across the thread.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, final, overload

import trio

from ._async import AsyncClient, ChunkStream

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
    from types import TracebackType

    from .._completion import Completion
    from .._events import Event, Metadata
    from .._request import Message, Request, ToolSpec
    from .._stream import EventStream
    from ..providers import Provider
    from ._batch import BatchItem, BatchResult
    from ._shapes import ChatCompletion, ChatCompletionChunk

__all__ = ["Client"]

T = TypeVar("T")


@final
class Client:
    """`AsyncClient`, synchronously. Same arguments; use it in ``with`` or call `close()`.

    Every call blocks the calling thread until the answer (or the next chunk) is there.
    `close()` also closes the provider, even one passed in: its connections were made on
    this client's own event loop, which ends with it.
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
        self.chat = _Chat(self)

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
            loop, self._loop = self._loop, None
        if loop is not None:
            try:  # even a provider passed in: its connections live on this client's loop
                loop.call(self._async.provider.aclose)
            finally:
                loop.stop()

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            if self._loop is None:
                self._loop = _LoopThread()
            loop = self._loop
        return loop.call(function, *args)

    def complete(self, request: Request | str, *, model: str | None = None) -> Completion:
        """The whole response (see `AsyncClient.complete`)."""
        result: Completion = self._call(_keywords(self._async.complete, model=model), request)
        return result

    def first_metadata(self, request: Request | str, *, model: str | None = None) -> Metadata:
        """Who serves this request; the connection is closed right after."""
        result: Metadata = self._call(_keywords(self._async.first_metadata, model=model), request)
        return result

    def stream(self, request: Request | str, *, model: str | None = None) -> Iterator[Event]:
        """The events of the response; leaving the loop closes the stream."""
        events = self._async.stream(request, model=model)
        return self._pull(events, events.receive_batch, batched=True)

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

        collected: list[BatchResult] = self._call(run)
        return collected

    def _pull(
        self,
        closable: EventStream | ChunkStream,
        receive: Callable[[], Any],
        *,
        batched: bool = False,
    ) -> Iterator[Any]:
        """Iterate an async stream from this thread (a list per call when `batched`);
        closing the iterator, or leaving a ``for`` loop over it, closes the stream."""
        try:
            while True:
                try:
                    got = self._call(receive)
                except StopAsyncIteration:
                    return
                if batched:
                    yield from got
                else:
                    yield got
        finally:
            self._call(closable.aclose)


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

    def stop(self) -> None:
        """Cancel what still runs, end the loop and wait for its thread."""
        assert self._token is not None
        assert self._stopping is not None
        self._token.run_sync_soon(self._stopping.set)
        self._thread.join()


def _keywords(function: Callable[..., Any], **keywords: Any) -> Callable[..., Any]:
    async def call(*args: Any) -> Any:
        return await function(*args, **keywords)

    return call


@final
class _Chat:
    __slots__ = ("completions",)

    def __init__(self, client: Client) -> None:
        self.completions = _Completions(client)


@final
class _Completions:
    __slots__ = ("_client",)

    def __init__(self, client: Client) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        messages: Sequence[Message | Mapping[str, Any]] | str,
        model: str | None = ...,
        stream: Literal[False] = ...,
        tools: Sequence[ToolSpec | Mapping[str, Any]] | None = ...,
        **params: Any,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        messages: Sequence[Message | Mapping[str, Any]] | str,
        model: str | None = ...,
        stream: Literal[True],
        tools: Sequence[ToolSpec | Mapping[str, Any]] | None = ...,
        **params: Any,
    ) -> Iterator[ChatCompletionChunk]: ...

    def create(
        self,
        *,
        messages: Sequence[Message | Mapping[str, Any]] | str,
        model: str | None = None,
        stream: bool = False,
        tools: Sequence[ToolSpec | Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> ChatCompletion | Iterator[ChatCompletionChunk]:
        """OpenAI's ``chat.completions.create``, synchronously (see the async one).

        With ``stream=True``, iterate the result with ``for``; leaving the loop closes the
        connection.
        """
        client = self._client
        made = client._async.chat.completions.create(
            messages=messages, model=model, stream=stream, tools=tools, **params
        )
        if isinstance(made, ChunkStream):
            return client._pull(made, made.__anext__)

        async def complete() -> ChatCompletion:
            return await made

        result: ChatCompletion = client._call(complete)
        return result
