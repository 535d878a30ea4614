"""`Batch`: many requests, bounded concurrency, one result per request with its provenance.

A feeder task reads the items lazily and waits for a slot before taking the next one; a
slot is freed only when its result has been handed to the consumer. So at most
`max_concurrency` items are ever held (running, or finished and not yet read), whatever
the length of the input. The tasks live in a task group owned by the ``async with`` block:
leaving the block, or cancelling it, cancels every request and closes its stream. An
exception raised in the block (or by the items' iterator) comes out of it as it is, not
wrapped in an `ExceptionGroup`.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self, TypeAlias, final

import anyio
import attrs

from .._completion import Completion
from .._errors import BadRequestError, Error
from .._request import Message, Request
from .._validate import type_name
from ._params import request_from_openai

if TYPE_CHECKING:
    from types import TracebackType

    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from .._events import Usage
    from ._async import AsyncClient

__all__ = ["Batch", "BatchItem", "BatchResult", "item_request"]

BatchItem: TypeAlias = "str | Request | Mapping[str, Any]"


@final
@attrs.frozen
class BatchResult:
    """The outcome of one batch item.

    Attributes:
        id: The item's ``id``, else its index in the input.
        index: Its position in the input.
        completion: The whole response, when it succeeded.
        error: The typed error (its ``partial`` holds what arrived), when it failed.

    Read a result as the batch docs show it:

    ```python
    from eventide import Client

    with Client("demo") as client:
        for result in client.batch(["Why is the sky blue?", "Name three colours."]):
            print(result.id, result.provider, result.text or result.error)
    ```

    ``text``, ``usage``: the completion's (None for a failure); ``provider``, ``model``: who
    served it, also for a failure after the provider answered; ``ok``: no error.
    """

    id: Any
    index: int
    completion: Completion | None = None
    error: Error | None = None

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.error is None

    @property
    def provider(self) -> str | None:
        """Who served it (also for a failure after the provider answered)."""
        result = self.completion if self.completion is not None else self._partial
        if result is not None and result.provider is not None:
            return result.provider
        return self.error.provider if self.error is not None else None

    @property
    def model(self) -> str | None:
        """The model that served it."""
        result = self.completion if self.completion is not None else self._partial
        return result.model if result is not None else None

    @property
    def text(self) -> str | None:
        """The answer text, when the request succeeded (None when it failed: see
        ``error.partial`` for what arrived)."""
        return self.completion.text if self.completion is not None else None

    @property
    def usage(self) -> Usage | None:
        """The completion's token counts (None when it failed or none were reported)."""
        return self.completion.usage if self.completion is not None else None

    @property
    def _partial(self) -> Completion | None:
        return self.error.partial if self.error is not None else None


def sole_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception inside `group` (through nested groups of one), else None: a batch's
    task group wraps what it raises, and the caller's own exception goes out unwrapped."""
    inner: BaseException = group
    while isinstance(inner, BaseExceptionGroup):
        if len(inner.exceptions) != 1:
            return None
        inner = inner.exceptions[0]
    return inner


def item_request(item: BatchItem, index: int, model: str | None) -> tuple[Any, Request]:
    """The id and `Request` of one batch item.

    Raises:
        TypeError, ValueError: An item that is not a prompt, a `Request` or a valid dict
            (no messages or prompt, a prompt that is not a string, bad parameters).
    """
    if isinstance(item, str):
        return index, Request([Message.user(item)], model=model)
    if isinstance(item, Request):
        return index, item if item.model or model is None else attrs.evolve(item, model=model)
    if not isinstance(item, Mapping):
        raise TypeError(f"a batch item is a prompt, a Request or a dict, not {type(item).__name__}")
    fields = dict(item)
    item_id = fields.pop("id", index)
    if "messages" not in fields and "prompt" not in fields:
        raise ValueError("a request needs messages or prompt")
    if "prompt" in fields:
        prompt = fields.pop("prompt")
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a string, not {type_name(prompt)}")
        if "messages" in fields:
            raise ValueError("a batch item has either prompt or messages, not both")
        fields["messages"] = [{"role": "user", "content": prompt}]
    fields.setdefault("model", model)
    return item_id, request_from_openai(**fields)


@final
class Batch:
    """The running batch: an async context manager, and an async iterator of `BatchResult`."""

    def __init__(
        self,
        client: AsyncClient,
        items: Iterable[BatchItem] | AsyncIterable[BatchItem],
        *,
        max_concurrency: int,
        ordered: bool,
        model: str | None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._client = client
        self._items = items
        self._ordered = ordered
        self._model = model
        self._group: anyio.abc.TaskGroup | None = None
        self._slots = anyio.Semaphore(max_concurrency)
        self._send: MemoryObjectSendStream[BatchResult] | None = None
        self._receive: MemoryObjectReceiveStream[BatchResult] | None = None
        self._waiting: dict[int, BatchResult] = {}  # ordered mode: finished, not yet due
        self._next = 0
        self._finished = False

    async def __aenter__(self) -> Self:
        if self._receive is not None:
            raise RuntimeError("a batch runs once")
        self._send, self._receive = anyio.create_memory_object_stream[BatchResult](math.inf)
        group = anyio.create_task_group()
        await group.__aenter__()
        group.start_soon(self._feed, self._send)
        self._group = group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        group, self._group = self._group, None
        if group is None:
            return None
        if not self._finished:
            group.cancel_scope.cancel()  # left early: stop every request, close every stream
        sole: BaseException | None = None
        try:
            return await group.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as raised:
            sole = sole_exception(raised)
            if sole is None:
                raise
        finally:
            assert self._receive is not None
            self._receive.close()
        raise sole  # outside the handler: not chained to the group it came in

    def __aiter__(self) -> AsyncIterator[BatchResult]:
        return self

    async def __anext__(self) -> BatchResult:
        receive = self._receive
        if self._group is None or receive is None:
            raise RuntimeError("use the batch in `async with client.batch(...) as results:`")
        while True:
            if self._ordered and self._next in self._waiting:
                return self._hand_out(self._waiting.pop(self._next))
            try:
                result = await receive.receive()
            except anyio.EndOfStream:
                self._finished = True
                raise StopAsyncIteration from None
            if not self._ordered:
                return self._hand_out(result)
            self._waiting[result.index] = result

    def ready(self) -> list[BatchResult]:
        """The results that have finished but not been read yet, without waiting (in input
        order for an ordered batch).

        For the way out of an interrupted batch: in a ``finally`` around the ``async for``,
        it hands over what is already done, so that only unfinished requests are lost.
        """
        ready = [self._waiting.pop(index) for index in sorted(self._waiting)]
        receive = self._receive
        while receive is not None:
            try:
                ready.append(receive.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                break
        if self._ordered:
            ready.sort(key=lambda result: result.index)  # the buffer holds finishing order
        for result in ready:
            self._hand_out(result)
        return ready

    def _hand_out(self, result: BatchResult) -> BatchResult:
        self._next = result.index + 1
        self._slots.release()  # its slot is free once the consumer has it
        return result

    async def _feed(self, send: MemoryObjectSendStream[BatchResult]) -> None:
        async with send, anyio.create_task_group() as workers:
            index = 0
            if isinstance(self._items, AsyncIterable):
                async for item in self._items:
                    await self._start(workers, index, item)
                    index += 1
            else:
                for item in self._items:
                    await self._start(workers, index, item)
                    index += 1

    async def _start(self, workers: anyio.abc.TaskGroup, index: int, item: BatchItem) -> None:
        await self._slots.acquire()
        workers.start_soon(self._run, index, item)

    async def _run(self, index: int, item: BatchItem) -> None:
        assert self._send is not None
        item_id = item.get("id", index) if isinstance(item, Mapping) else index
        try:
            item_id, request = item_request(item, index, self._model)
            completion = await self._client.complete(request)
        except Error as exc:  # the request failed, or its provider could not write it
            await self._send.send(BatchResult(item_id, index, error=exc))
        except (TypeError, ValueError) as exc:  # the request could not be built
            error = BadRequestError(f"invalid request: {exc}")
            await self._send.send(BatchResult(item_id, index, error=error))
        else:
            await self._send.send(BatchResult(item_id, index, completion=completion))
