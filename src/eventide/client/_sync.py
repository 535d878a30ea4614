"""`Client`: the same surface, synchronous, driving the same async pipeline.

A `Client` runs one trio event loop in a thread of its own and sends every call there:
there is no second, synchronous code path, and it works inside a thread that already runs
an event loop (Jupyter, an asyncio or trio application) without patching that loop, since
it only hands work over with `TrioToken.run_sync_soon` and waits on a plain future. Streams,
of events (`EventIterator`) or of OpenAI-shaped chunks (`Stream`), are objects with `close()`
and ``with``; they are read on the loop up to `READ_AHEAD_EVENTS` events ahead of the
consumer into a queue, a list per read: the consumer waits on the loop thread only when it
has caught up with the network, so the thread handoff is paid per wait, not per item (see
`_sync_stream`).
A stream of chunks makes them in the consumer's thread, from each read's events.

Lifetime. Every call runs on the loop as a job with a cancel scope of its own, and the job
closes what it opened before it reports. So:

- a calling thread that stops waiting (``KeyboardInterrupt``, or any exception raised in
  it), leaves a ``for`` loop over a stream it holds no other reference to, or closes a
  stream (`close()`, the end of its ``with`` block) cancels its job and waits for the job
  to close its connection before going on (at most `CANCEL_WAIT` seconds);
- `Client.close()` cancels every job, then closes the provider and ends the loop thread; a
  thread still waiting on a job gets an `eventide.Error` saying the client was closed;
- a `Client` garbage-collected unclosed does the same, with a `ResourceWarning` (as the
  standard library does for unclosed files and sockets) if it had started its loop; the
  loop thread holds no reference to the `Client`, and an unfinished stream keeps its
  `Client` alive;
- after ``os.fork()``, a `Client` whose loop was started in the parent raises a clear
  `eventide.Error` in the child (its pooled connections belong to the parent, and its loop
  thread did not survive the fork); one that had not started its loop works in the child.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import threading
import warnings
import weakref
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

import trio

from .._errors import Error
from .._resource import SyncResource
from ._async import AsyncClient, closed_error
from ._chat import CallOptions, Chat
from ._chunks import ChunkStream, chat_completion
from ._sync_stream import READ_AHEAD_EVENTS, EventIterator, Reader, Stream, closed_during_call

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

    from .._completion import Completion
    from .._events import Event, Metadata
    from .._request import Request
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from .._transport import HTTPClientOption
    from ..providers import Provider
    from ._batch import BatchItem, BatchResult
    from ._shapes import ChatCompletion, ChatCompletionChunk

__all__ = ["Client"]

T = TypeVar("T")

CANCEL_WAIT: Final = 5.0
"""Seconds a calling thread that stopped waiting gives its job to cancel and close."""

COLLECT_WAIT: Final = 1.0
"""Seconds the finaliser of an unclosed `Client` waits for its loop thread to end."""


def _forked() -> Error:
    return Error(
        "this Client started its event loop before os.fork(): its connections belong to "
        "the parent process; make a new Client in the child"
    )


@final
class Client(SyncResource):
    """`AsyncClient`, synchronously. Same arguments; use it in ``with`` or call `close()`.

    Every call blocks the calling thread until the answer (or the next chunk) is there.
    `close()` also closes the provider, even one passed in: its connections were made on
    this client's own event loop, which ends with it. After `close()`, every call raises
    `eventide.Error` (the base class) and starts no event loop. See the module docstring
    for interruption, closing from another thread, garbage collection and ``os.fork()``.
    """

    def __init__(
        self,
        provider: Provider | Sequence[Any] | str | None = None,
        *,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        http_client: HTTPClientOption = None,
        timeouts: Timeouts | None = None,
        **fallback: Any,
    ) -> None:
        self._async = AsyncClient(
            provider,
            model=model,
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            default_query=default_query,
            http_client=http_client,
            timeouts=timeouts,
            **fallback,
        )
        routes = self._async._routes
        routes.owned = True  # its connections live on this client's loop, which ends with it
        self._lifetime = _Lifetime(routes)
        weakref.finalize(self, self._lifetime.collected)
        self.chat: Chat[ChatCompletion, Stream[ChatCompletionChunk]] = Chat(
            complete=self._chat_completion, stream=self._chat_chunks
        )

    @property
    def provider(self) -> Provider:
        """The provider (or router) every call goes to."""
        return self._async.provider

    @property
    def closed(self) -> bool:
        """Whether `close()` has been called (or the client was collected)."""
        return self._lifetime.closed

    def __repr__(self) -> str:
        return f"Client(provider={self.provider!r})"

    def close(self) -> None:
        """Cancel every call still running (their threads get `eventide.Error`), close the
        provider and stop the client's event loop. Idempotent."""
        self._lifetime.close()

    def _loop_thread(self) -> _LoopThread:
        loop = self._lifetime.loop()
        if loop is None:
            raise closed_error(self)
        return loop

    def _call(self, function: Callable[[], Awaitable[T]]) -> T:
        return self._loop_thread().call(function)

    def complete(self, request: Request | str, *, model: str | None = None) -> Completion:
        """The whole response (see `AsyncClient.complete`)."""
        return self._call(lambda: self._async.complete(request, model=model))

    def first_metadata(self, request: Request | str, *, model: str | None = None) -> Metadata:
        """Who serves this request; the connection is closed right after."""
        return self._call(lambda: self._async.first_metadata(request, model=model))

    def stream(self, request: Request | str, *, model: str | None = None) -> EventIterator:
        """The events of the response, as an `EventIterator`; the request is sent at once.

        Use it in ``with``: leaving the block (or `EventIterator.close`) closes the
        connection at once.

        Raises:
            Error: The client is closed (at the call); what the stream raises, as it is read.
        """
        loop = self._loop_thread()  # a closed client raises here, at the call
        events = self._async.stream(request, model=model)
        reader: Reader[Event] = Reader(
            loop,
            events.receive_batch,
            events.aclose,
            ahead=READ_AHEAD_EVENTS,
            by_items=True,
            owner=self,
        )
        return EventIterator(reader)

    def _chat_completion(self, request: Request, options: CallOptions) -> ChatCompletion:
        events = self._async._chat_events(request, options)
        return self._loop_thread().call(chat_completion, events)

    def _chat_chunks(
        self, request: Request, options: CallOptions, *, wait_open: bool = True
    ) -> Stream[ChatCompletionChunk]:
        self._loop_thread()  # a closed client raises here, at the call
        chunks = ChunkStream(self._async._chat_events(request, options), options)
        return self._chunks(chunks, wait_open=wait_open)

    def _chunks(
        self, chunks: ChunkStream, *, wait_open: bool = False
    ) -> Stream[ChatCompletionChunk]:
        """`chunks` as a `Stream` in this thread: their events are read ahead on the loop and
        made into chunks here, in the thread that reads them (objects made and dropped by
        one thread cost less than objects that cross to another CPU). The chunker is this
        thread's alone: the loop closes the events, not `chunks` (whose `aclose` would drop
        the usage chunk the chunker holds for the end).

        With `wait_open`, the loop's task opens the events first (`EventStream.open`: sends
        the request and waits until the provider has accepted it) and this returns once it
        has: a refused request raises its typed error here, as openai-python's
        ``create(stream=True)`` does. Else the events' first read sends the request.
        """
        events = chunks.events
        reader = Reader(
            self._loop_thread(),
            events.receive_batch,
            events.aclose,
            ahead=READ_AHEAD_EVENTS,
            by_items=True,
            owner=self,
            shape=chunks.chunker,
            open_first=events.open if wait_open else None,
        )
        if wait_open:
            reader.wait_open()
        return Stream(reader)

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
        closable: EventStream,
        receive: Callable[[], Awaitable[list[T]]],
    ) -> Stream[T]:
        """The items `receive` reads, as a `Stream` in this thread (its lists are read
        ahead on the loop); closing it, or its end, closes `closable`. It keeps the client
        alive."""
        return Stream(Reader(self._loop_thread(), receive, closable.aclose, owner=self))


def close_when_collected(client: Client) -> Client:
    """`client`, made to close without a ResourceWarning when it is collected unclosed: for
    the clients of `eventide.compat`, whose originals (openai-python's, g4f's) close quietly
    and are never closed by their users. Whatever can still call it (its ``chat``, its
    streams) keeps it alive, so it is closed only when nothing can use it any more."""
    client._lifetime.quiet = True
    return client


def refusals_when_read(client: Client) -> Client:
    """`client`, whose ``chat.completions.create(stream=True)`` returns at once (the request
    sent) and raises a refusal when the stream is read: for `eventide.compat.g4f`, as g4f's
    streams are generators that raise as they are iterated (openai-python's, and eventide's
    own, raise at the call)."""
    client.chat = Chat(
        complete=client._chat_completion,
        stream=functools.partial(client._chat_chunks, wait_open=False),
    )
    return client


_LIFETIMES: weakref.WeakSet[_Lifetime] = weakref.WeakSet()
"""Every client's lifetime, for the fork handler."""


@final
class _Lifetime:
    """A `Client`'s event loop thread: started on first use, stopped by `close()` or by the
    client's finaliser, forgotten in a forked child. Kept apart from the `Client` so that
    neither the loop nor the finaliser keeps the client alive."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self._lock = threading.Lock()
        self._loop: _LoopThread | None = None
        self._forked = False
        self.closed = False
        self.quiet = False  # collected unclosed: no ResourceWarning (`close_when_collected`)
        _LIFETIMES.add(self)

    def loop(self) -> _LoopThread | None:
        """The running loop, started if need be; None once closed.

        Raises:
            Error: The loop was started in the process this one was forked from.
        """
        with self._lock:
            if self.closed:
                return None
            if self._forked:
                raise _forked()
            if self._loop is None:
                self._loop = _LoopThread(self._provider.aclose)
            return self._loop

    def close(self) -> None:
        """Stop the loop (its jobs, then the provider); raise what closing the provider did."""
        with self._lock:
            loop, self._loop, self.closed = self._loop, None, True
        if loop is not None:
            loop.stop()

    def collected(self) -> None:
        """The client was garbage-collected (or the interpreter exits) unclosed."""
        with self._lock:
            loop, self._loop, self.closed = self._loop, None, True
        if loop is None:
            return
        try:
            with contextlib.suppress(Exception):  # no caller to tell
                loop.stop(wait=COLLECT_WAIT)
        finally:
            if not self.quiet:
                warnings.warn(
                    f"unclosed Client(provider={self._provider!r}): close it, or use it in a "
                    "with block",
                    ResourceWarning,
                    stacklevel=2,
                )

    def forget_after_fork(self) -> None:
        """In a forked child: the loop thread is gone and its connections are the parent's."""
        self._lock = threading.Lock()  # another thread may have held it at the fork
        if self._loop is not None:
            self._loop.forked()
            self._loop = None
            self._forked = True


def _after_fork_in_child() -> None:
    for lifetime in list(_LIFETIMES):
        lifetime.forget_after_fork()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


@final
class _LoopThread:
    """A trio event loop in a daemon thread that runs the jobs handed to it.

    Each job runs in a cancel scope of its own and releases what it opened before it
    reports. `stop()` cancels every job (a job cancelled so reports the client closed),
    then runs `on_stop` (the provider's ``aclose``) and ends the loop.
    """

    def __init__(self, on_stop: Callable[[], Awaitable[None]]) -> None:
        started = threading.Event()
        self._on_stop = on_stop
        self._stop_error: Exception | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._stopping: trio.Event | None = None
        self.streams: set[Callable[[Exception | None], None]] = set()  # their `end`s
        self._thread = threading.Thread(
            target=trio.run, args=(self._main, started), name="eventide-client", daemon=True
        )
        self._thread.start()
        started.wait()

    async def _main(self, started: threading.Event) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                self._token = trio.lowlevel.current_trio_token()
                self._stopping = trio.Event()
                started.set()
                await self._stopping.wait()
                self._nursery = None  # no new jobs: those handed over from now are refused
                nursery.cancel_scope.cancel()
            await self._on_stop()
        except Exception as exc:  # raised to the thread that stops the loop
            self._stop_error = exc

    def soon(self, function: Callable[[], object]) -> bool:
        """Run `function` on the loop soon; False if the loop has ended."""
        assert self._token is not None
        try:
            self._token.run_sync_soon(function)
        except trio.RunFinishedError:
            return False
        return True

    def start(self, job: Callable[[], Awaitable[None]], refuse: Callable[[], None]) -> None:
        """Start `job` on the loop, or call `refuse` (in either thread) if it is stopping."""

        def start() -> None:
            if self._nursery is None:
                refuse()
            else:
                self._nursery.start_soon(job)

        if not self.soon(start):
            refuse()

    def abandon(self, scope: trio.CancelScope, finished: Callable[[float], object]) -> None:
        """The caller left before its job ended: cancel the job, and wait (a bounded time)
        until it has closed what it opened."""
        if self.soon(scope.cancel) and threading.current_thread() is not self._thread:
            finished(CANCEL_WAIT)

    def call(self, function: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await function(*args)`` on the loop; block until it returns or raises.

        If this thread stops waiting (``KeyboardInterrupt``, or any exception raised in it),
        the job is cancelled and has closed its connection before the exception goes on.
        """
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        scope = trio.CancelScope()
        finished = threading.Event()

        async def job() -> None:
            try:
                with scope:
                    future.set_result(await function(*args))
            except Exception as exc:
                future.set_exception(exc)
            except BaseException:  # the loop is stopping: the client was closed
                future.set_exception(closed_during_call())
                raise
            finally:
                finished.set()

        def refuse() -> None:
            future.set_exception(closed_during_call())
            finished.set()

        try:
            self.start(job, refuse)
            return future.result()
        finally:
            if not future.done():  # this thread stopped waiting: the job is still running
                self.abandon(scope, finished.wait)

    def forked(self) -> None:
        """In a forked child, where this loop's thread is gone: end the streams being read
        (with a clear error, rather than waiting for ever on a loop that is not there)."""
        for end in list(self.streams):
            end(_forked())

    def stop(self, *, wait: float | None = None) -> None:
        """Cancel every job, close the provider, end the loop and wait for its thread (up
        to `wait` seconds; not at all from the loop thread itself).

        Raises:
            Exception: What closing the provider raised.
        """
        assert self._stopping is not None
        self.soon(self._stopping.set)
        if threading.current_thread() is not self._thread:
            self._thread.join(wait)
        error, self._stop_error = self._stop_error, None
        if error is not None:
            raise error
