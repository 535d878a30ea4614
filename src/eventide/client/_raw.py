"""``chat.completions.with_raw_response`` and ``with_streaming_response``, as in openai-python:
the same ``create`` (the same arguments, checked the same way, the same one `EventStream`
behind it), answered with the HTTP response's headers and status beside the result.

- ``with_raw_response.create(...)`` returns a `RawResponse` (openai's ``LegacyAPIResponse``)
  once the response is in: for a whole completion, after it has been read to its end; with
  ``stream=True``, as soon as the provider has accepted the request. ``.parse()`` is what
  ``create`` itself would have returned.
- ``with_streaming_response.create(...)`` returns a context manager that sends the request
  when entered and closes the connection when left, however it is left (openai's
  ``APIResponse``, or ``AsyncAPIResponse`` whose methods are awaited on `AsyncClient`).

eventide does not keep the bytes the provider sent: it decodes them into events as they come.
``iter_bytes()``, ``iter_text()``, ``iter_lines()`` and ``read()`` therefore give the body as an
OpenAI server would have sent it, re-encoded from the events: a streamed answer as OpenAI
Chat Completions server-sent events (`eventide.wire.ChatStreamEncoder`), whichever API served
it; a whole completion as the JSON of its `ChatCompletion`. The headers and the status are the
provider's own.
"""

from __future__ import annotations

import codecs
import json
import time
from collections import deque
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    Self,
    TypeVar,
    cast,
    final,
    overload,
)

from .._http_source import ResponseHeaders
from .._resource import AsyncResource, SyncResource
from ..wire import ChatStreamEncoder, ChatStyle

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping

    from .._request import Request
    from .._stream import EventStream
    from ._chat import CallOptions, Completions
    from ._chunks import ChunkStream
    from ._shapes import ChatCompletion, ChatCompletionChunk
    from ._sync import Client
    from ._sync_stream import Stream

    AsyncCompletions = Completions[Awaitable[ChatCompletion], ChunkStream]

__all__ = [
    "AsyncRawCompletions",
    "AsyncStreamingCompletions",
    "AsyncStreamingResponse",
    "RawCompletions",
    "RawResponse",
    "StreamingCompletions",
    "StreamingResponse",
    "WithRawResponse",
    "WithStreamingResponse",
]

R = TypeVar("R")
T = TypeVar("T")

_NO_HEADERS: Final = ResponseHeaders({})


# -- one call ------------------------------------------------------------------------------


def _arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Request, CallOptions, bool]:
    """What ``create(*args, **kwargs)`` asks for: its own argument handling, run on a
    `Completions` whose two functions hand back what they are given."""
    from ._chat import Completions  # here: _chat imports this module

    def complete(request: Request, options: CallOptions) -> tuple[Request, CallOptions, bool]:
        return request, options, False

    def stream(request: Request, options: CallOptions) -> tuple[Request, CallOptions, bool]:
        return request, options, True

    return Completions(complete=complete, stream=stream).create(*args, **kwargs)


@final
class _Call:
    """One call's stream: its events, and its chunk view (no I/O yet)."""

    __slots__ = ("chunks", "events", "opened", "stream")

    def __init__(
        self, completions: AsyncCompletions, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        request, options, self.stream = _arguments(args, kwargs)
        self.chunks = completions._stream(request, options)  # what create(stream=True) gives
        self.events: EventStream = self.chunks._events
        self.opened = False

    async def open(self) -> None:
        """Send the request and wait for the response's head."""
        await self.events.open()
        self.opened = True

    async def completion(self) -> ChatCompletion:
        """The whole `ChatCompletion` (the stream is closed after)."""
        from ._chunks import chat_completion  # here: _chunks imports _chat

        completion = await chat_completion(self.events)
        self.opened = True
        return completion

    def body(self, parsed: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[list[bytes]]]:
        """The body's bytes, a list per network read: the chunks as OpenAI server-sent
        events, or the JSON of the whole completion (`parsed`)."""
        events = self.events
        if not self.stream:
            done = False

            async def whole() -> list[bytes]:
                nonlocal done
                if done:
                    raise StopAsyncIteration
                done = True
                completion = await parsed()
                return [json.dumps(completion.to_dict(), separators=(",", ":")).encode()]

            return whole
        encoder = ChatStreamEncoder(style=ChatStyle(created=int(time.time())))

        async def chunks() -> list[bytes]:
            while True:
                data = b"".join([encoder.encode(event) for event in await events.receive_batch()])
                if data:
                    return [data]

        return chunks


def _sized(
    receive: Callable[[], Awaitable[list[bytes]]], size: int | None
) -> Callable[[], Awaitable[list[bytes]]]:
    """`receive` cut into pieces of `size` bytes (the last may be shorter); as it is if None."""
    if size is None:
        return receive
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"chunk_size must be a positive integer or None, not {size!r}")
    held = b""

    async def sized() -> list[bytes]:
        nonlocal held
        while len(held) < size:
            try:
                held += b"".join(await receive())
            except StopAsyncIteration:
                if not held:
                    raise
                rest, held = held, b""
                return [rest]
        cut = len(held) - len(held) % size
        pieces = [held[i : i + size] for i in range(0, cut, size)]
        held = held[cut:]
        return pieces

    return sized


def _texts(receive: Callable[[], Awaitable[list[bytes]]]) -> Callable[[], Awaitable[list[str]]]:
    """`receive` decoded as UTF-8 (a character split across reads is kept whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")()

    async def texts() -> list[str]:
        while True:
            try:
                text = decoder.decode(b"".join(await receive()))
            except StopAsyncIteration:
                decoder.decode(b"", final=True)
                raise
            if text:
                return [text]

    return texts


def _lines(receive: Callable[[], Awaitable[list[str]]]) -> Callable[[], Awaitable[list[str]]]:
    """`receive` split into lines, without their line endings (LF or CRLF), blank lines
    included; split on those two only, never inside a JSON string."""
    held = ""

    async def lines() -> list[str]:
        nonlocal held
        while True:
            try:
                text = held + "".join(await receive())
            except StopAsyncIteration:
                if not held:
                    raise
                rest, held = held, ""
                return [rest.removesuffix("\r")]
            *done, held = text.split("\n")
            if done:
                return [line.removesuffix("\r") for line in done]

    return lines


@final
class _Batches(Generic[T]):
    """The items of `receive` (a list per call, `StopAsyncIteration` at the end), one at a
    time: an async iterator that is not a bare async generator."""

    __slots__ = ("_items", "_receive")

    def __init__(self, receive: Callable[[], Awaitable[list[T]]]) -> None:
        self._receive = receive
        self._items: deque[T] = deque()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while not self._items:
            self._items.extend(await self._receive())
        return self._items.popleft()


# -- the responses -------------------------------------------------------------------------


class _Head:
    """What every response shows of the HTTP response: headers, status, request id."""

    __slots__ = ("_call",)

    def __init__(self, call: _Call) -> None:
        self._call = call

    @property
    def headers(self) -> Mapping[str, str]:
        """The response's headers, read-only; a name is found in any case.

        Raises:
            RuntimeError: The response is not in yet (a streaming response not entered).
        """
        headers = self._call.events.headers
        if headers is None:
            if not self._call.opened:
                raise RuntimeError("the response is not in yet: enter the with block first")
            return _NO_HEADERS  # a provider that is not served over HTTP
        return headers

    @property
    def status_code(self) -> int:
        """The HTTP status (an error status raises the typed error instead)."""
        status = self._call.events.status_code
        return 200 if status is None else status

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header (OpenAI's), else ``request-id`` (Anthropic's)."""
        headers = self.headers
        return headers.get("x-request-id") or headers.get("request-id")

    @property
    def is_closed(self) -> bool:
        """Whether the connection has been released (read to its end, or closed)."""
        return self._call.events.closed

    def __repr__(self) -> str:
        events = self._call.events
        return f"<{type(self).__name__} [{events.status_code}] provider={events.provider!r}>"


@final
class RawResponse(_Head, Generic[R]):
    """What ``with_raw_response.create(...)`` returns (openai's ``LegacyAPIResponse``).

    ``parse()`` gives what ``create`` would have: the `ChatCompletion`, read whole before
    this response was returned; or, with ``stream=True``, the chunk stream, not read yet
    (read it, or close it, to release the connection).
    """

    __slots__ = ("_parsed",)

    def __init__(self, call: _Call, parsed: R) -> None:
        super().__init__(call)
        self._parsed = parsed

    def parse(self) -> R:
        """What ``create`` would have returned, with the same arguments."""
        return self._parsed


@final
class AsyncStreamingResponse(_Head, AsyncResource, Generic[R]):
    """The response of ``AsyncClient``'s ``with_streaming_response.create(...)``: entering
    ``async with`` sends the request and waits for the response's head; leaving it closes the
    connection (openai's ``AsyncAPIResponse``).

    The body is read only when asked: ``await parse()`` (the `ChatCompletion`, or the
    `ChunkStream` with ``stream=True``), or ``iter_bytes()``/``iter_text()``/``iter_lines()``
    (OpenAI's wire format, re-encoded from the events: see the module docstring). Read it
    one way only.

    Cancellation:
        Entering is cancellable (the connection is closed); leaving is shielded.
    """

    __slots__ = ("_completion",)

    def __init__(self, call: _Call) -> None:
        super().__init__(call)
        self._completion: ChatCompletion | None = None

    async def __aenter__(self) -> Self:
        await self._call.open()
        return self

    async def parse(self) -> R:
        """What ``create`` would have returned: the `ChatCompletion` (the body read to its
        end), or with ``stream=True`` the `ChunkStream` over this response."""
        if self._call.stream:
            return cast("R", self._call.chunks)
        if self._completion is None:
            self._completion = await self._call.completion()
        return cast("R", self._completion)

    def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body's bytes (re-encoded from the events), as they come, or in pieces of
        `chunk_size` bytes."""
        return _Batches(_sized(self._call.body(self.parse), chunk_size))

    def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """The body as text, as it comes."""
        return _Batches(_texts(_sized(self._call.body(self.parse), chunk_size)))

    def iter_lines(self) -> AsyncIterator[str]:
        """The body's lines, without their line endings (blank lines included: they end
        each server-sent event)."""
        return _Batches(_lines(_texts(self._call.body(self.parse))))

    async def read(self) -> bytes:
        """The whole body (re-encoded from the events)."""
        return b"".join([piece async for piece in self.iter_bytes()])

    async def text(self) -> str:
        """The whole body, as text."""
        return (await self.read()).decode()

    async def json(self) -> object:
        """The body parsed as JSON (a whole completion's; a stream's is no JSON document)."""
        return json.loads(await self.read())

    async def aclose(self) -> None:
        """Release the connection (at once, unless the body has been read to its end); with
        ``stream=True``, the chunks `parse` gives end here too."""
        if self._call.stream:
            await self._call.chunks.aclose()
        else:
            await self._call.events.aclose()

    async def close(self) -> None:
        """`aclose`, under openai's name."""
        await self.aclose()


@final
class StreamingResponse(_Head, SyncResource, Generic[R]):
    """The response of `Client`'s ``with_streaming_response.create(...)``: entering ``with``
    sends the request and waits for the response's head; leaving it closes the connection
    (openai's ``APIResponse``). As `AsyncStreamingResponse`, without ``await``.
    """

    __slots__ = ("_client", "_completion", "_left", "_stream")

    def __init__(self, call: _Call, client: Client) -> None:
        super().__init__(call)
        self._client = client
        self._completion: ChatCompletion | None = None
        self._stream: Stream[ChatCompletionChunk] | None = None
        self._left = False  # `close()` (the block left): a stream parsed after it is closed

    def __enter__(self) -> Self:
        self._client._loop_thread().call(self._call.open)
        return self

    def parse(self) -> R:
        """What ``create`` would have returned: the `ChatCompletion`, or with
        ``stream=True`` a `Stream` of `ChatCompletionChunk` over this response; the same
        one on every call (as openai-python's ``parse()``)."""
        call = self._call
        if call.stream:
            if self._stream is None:
                self._stream = self._client._chunks(call.chunks)
                if self._left:  # parsed after the block: reading raises, as in openai
                    self._stream.close()
            return cast("R", self._stream)
        if self._completion is None:
            self._completion = self._client._loop_thread().call(call.completion)
        return cast("R", self._completion)

    async def _completed(self) -> ChatCompletion:
        if self._completion is None:
            self._completion = await self._call.completion()
        return self._completion

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body's bytes (re-encoded from the events), as they come, or in pieces of
        `chunk_size` bytes."""
        receive = _sized(self._call.body(self._completed), chunk_size)
        return self._client._pull(self._call.events, receive)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """The body as text, as it comes."""
        receive = _texts(_sized(self._call.body(self._completed), chunk_size))
        return self._client._pull(self._call.events, receive)

    def iter_lines(self) -> Iterator[str]:
        """The body's lines, without their line endings (blank lines included)."""
        receive = _lines(_texts(self._call.body(self._completed)))
        return self._client._pull(self._call.events, receive)

    def read(self) -> bytes:
        """The whole body (re-encoded from the events)."""
        return b"".join(self.iter_bytes())

    def text(self) -> str:
        """The whole body, as text."""
        return self.read().decode()

    def json(self) -> object:
        """The body parsed as JSON (a whole completion's; a stream's is no JSON document)."""
        return json.loads(self.read())

    def close(self) -> None:
        """Release the connection (at once, unless the body has been read to its end); the
        `Stream` `parse` gave is closed: reading on raises `eventide.Error`."""
        self._left = True
        if self._stream is not None:
            self._stream.close()
        if not self._call.events.closed:
            self._client._loop_thread().call(self._call.events.aclose)


# -- the namespaces ------------------------------------------------------------------------


class _OnAsyncClient:
    __slots__ = ("_completions",)

    def __init__(self, completions: AsyncCompletions) -> None:
        self._completions = completions


class _OnClient:
    __slots__ = ("_client",)

    def __init__(self, client: Client) -> None:
        self._client = client


@final
class AsyncRawCompletions(_OnAsyncClient):
    """``AsyncClient.chat.completions.with_raw_response``."""

    __slots__ = ()

    @overload
    async def create(
        self, *args: Any, stream: Literal[False] = ..., **kwargs: Any
    ) -> RawResponse[ChatCompletion]: ...
    @overload
    async def create(
        self, *args: Any, stream: Literal[True], **kwargs: Any
    ) -> RawResponse[ChunkStream]: ...
    @overload
    async def create(
        self, *args: Any, stream: bool, **kwargs: Any
    ) -> RawResponse[ChatCompletion] | RawResponse[ChunkStream]: ...

    async def create(self, *args: Any, **kwargs: Any) -> RawResponse[Any]:
        """``create``'s arguments; the `RawResponse` once the response is in (see the
        module docstring).

        Raises:
            TypeError, ValueError: Invalid arguments, before any I/O.
            Error: The request failed (the typed error ``create`` raises).
        """
        call = _Call(self._completions, args, kwargs)
        if call.stream:
            await call.open()
            return RawResponse(call, call.chunks)
        return RawResponse(call, await call.completion())


@final
class RawCompletions(_OnClient):
    """`Client`'s ``chat.completions.with_raw_response``."""

    __slots__ = ()

    @overload
    def create(
        self, *args: Any, stream: Literal[False] = ..., **kwargs: Any
    ) -> RawResponse[ChatCompletion]: ...
    @overload
    def create(
        self, *args: Any, stream: Literal[True], **kwargs: Any
    ) -> RawResponse[Iterator[ChatCompletionChunk]]: ...
    @overload
    def create(
        self, *args: Any, stream: bool, **kwargs: Any
    ) -> RawResponse[ChatCompletion] | RawResponse[Iterator[ChatCompletionChunk]]: ...

    def create(self, *args: Any, **kwargs: Any) -> RawResponse[Any]:
        """As `AsyncRawCompletions.create`, from this thread; with ``stream=True``,
        ``parse()`` gives an iterator of chunks (leaving its ``for`` loop closes it)."""
        client = self._client
        loop = client._loop_thread()  # a closed client raises here, before anything is built
        call = _Call(client._async.chat.completions, args, kwargs)
        if call.stream:
            loop.call(call.open)
            return RawResponse(call, client._chunks(call.chunks))
        return RawResponse(call, loop.call(call.completion))


@final
class AsyncStreamingCompletions(_OnAsyncClient):
    """``AsyncClient.chat.completions.with_streaming_response``."""

    __slots__ = ()

    @overload
    def create(
        self, *args: Any, stream: Literal[False] = ..., **kwargs: Any
    ) -> AsyncStreamingResponse[ChatCompletion]: ...
    @overload
    def create(
        self, *args: Any, stream: Literal[True], **kwargs: Any
    ) -> AsyncStreamingResponse[ChunkStream]: ...
    @overload
    def create(
        self, *args: Any, stream: bool, **kwargs: Any
    ) -> AsyncStreamingResponse[ChatCompletion] | AsyncStreamingResponse[ChunkStream]: ...

    def create(self, *args: Any, **kwargs: Any) -> AsyncStreamingResponse[Any]:
        """``create``'s arguments; an `AsyncStreamingResponse` to enter with ``async with``
        (nothing is sent before). Invalid arguments raise here, before any I/O."""
        return AsyncStreamingResponse(_Call(self._completions, args, kwargs))


@final
class StreamingCompletions(_OnClient):
    """`Client`'s ``chat.completions.with_streaming_response``."""

    __slots__ = ()

    @overload
    def create(
        self, *args: Any, stream: Literal[False] = ..., **kwargs: Any
    ) -> StreamingResponse[ChatCompletion]: ...
    @overload
    def create(
        self, *args: Any, stream: Literal[True], **kwargs: Any
    ) -> StreamingResponse[Iterator[ChatCompletionChunk]]: ...
    @overload
    def create(
        self, *args: Any, stream: bool, **kwargs: Any
    ) -> StreamingResponse[ChatCompletion] | StreamingResponse[Iterator[ChatCompletionChunk]]: ...

    def create(self, *args: Any, **kwargs: Any) -> StreamingResponse[Any]:
        """``create``'s arguments; a `StreamingResponse` to enter with ``with`` (nothing is
        sent before). Invalid arguments raise here, before any I/O."""
        client = self._client
        client._loop_thread()  # a closed client raises here
        return StreamingResponse(_Call(client._async.chat.completions, args, kwargs), client)


# -- the attributes on Completions ---------------------------------------------------------


def _sync_client(completions: Completions[Any, Any]) -> Client | None:
    """The `Client` whose namespace `completions` is; None for an `AsyncClient`'s."""
    from ._sync import Client  # here: _sync imports _chat, which imports this

    for function in (completions._complete, completions._stream):
        owner = getattr(function, "__self__", None)
        if isinstance(owner, Client):
            return owner
    return None


@final
class WithRawResponse:
    """``chat.completions.with_raw_response``: `AsyncRawCompletions` on `AsyncClient`,
    `RawCompletions` on `Client`."""

    @overload
    def __get__(
        self, instance: Completions[Awaitable[ChatCompletion], ChunkStream], owner: object
    ) -> AsyncRawCompletions: ...
    @overload
    def __get__(
        self, instance: Completions[ChatCompletion, Any], owner: object
    ) -> RawCompletions: ...
    @overload
    def __get__(self, instance: None, owner: object) -> Self: ...

    def __get__(self, instance: Completions[Any, Any] | None, owner: object) -> object:
        if instance is None:
            return self
        client = _sync_client(instance)
        return AsyncRawCompletions(instance) if client is None else RawCompletions(client)


@final
class WithStreamingResponse:
    """``chat.completions.with_streaming_response``: `AsyncStreamingCompletions` on
    `AsyncClient`, `StreamingCompletions` on `Client`."""

    @overload
    def __get__(
        self, instance: Completions[Awaitable[ChatCompletion], ChunkStream], owner: object
    ) -> AsyncStreamingCompletions: ...
    @overload
    def __get__(
        self, instance: Completions[ChatCompletion, Any], owner: object
    ) -> StreamingCompletions: ...
    @overload
    def __get__(self, instance: None, owner: object) -> Self: ...

    def __get__(self, instance: Completions[Any, Any] | None, owner: object) -> object:
        if instance is None:
            return self
        client = _sync_client(instance)
        if client is None:
            return AsyncStreamingCompletions(instance)
        return StreamingCompletions(client)
