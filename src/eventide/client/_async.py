"""`AsyncClient`: every call style as a thin consumer of one `EventStream`.

``stream()`` gives the events, ``complete()`` collects them, ``first_metadata()`` reads one,
``chat.completions.create()`` shapes them like OpenAI (and g4f: every result and chunk
carries ``.provider``), ``batch()`` runs many. Because each style reads the same stream,
each reports the same text, reasoning, tool calls, usage, finish reason, provider and model.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, final

from .._errors import Error
from .._request import Request
from .._resource import AsyncResource
from ..collectors import collect, first_metadata
from ..providers._registry import default_provider
from ..routing import Fallback
from ._batch import Batch, BatchItem
from ._chat import CallOptions, Chat
from ._chunks import ChunkStream, chat_completion

if TYPE_CHECKING:
    from .._completion import Completion
    from .._events import Metadata
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from ..providers import Provider
    from ._shapes import ChatCompletion

__all__ = ["AsyncClient", "closed_error"]


def closed_error(client: object) -> Error:
    """The error of a call on a closed client: nothing is opened."""
    return Error(f"{type(client).__name__} is closed: make a new client")


@final
class AsyncClient(AsyncResource):
    """The client most code starts with.

    Args:
        provider: A provider or router; or a list of providers (and ``(provider, model)``
            pairs) to fall back across. Default: the provider the environment configures
            (``EVENTIDE_PROVIDER``, ``OPENAI_API_KEY``, ...), else the offline demo.
        model: The model for requests that name none.
        timeouts: Time budgets for every stream.
        **fallback: Options of the `Fallback` made for a list of providers.

    A provider the client made itself is closed by `aclose()`; one passed in stays open.
    After `aclose()`, every call raises `eventide.Error` (the base class: nothing was sent).
    """

    def __init__(
        self,
        provider: Provider | Sequence[Any] | None = None,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
        **fallback: Any,
    ) -> None:
        self._owned = provider is None
        chosen: Provider
        if provider is None:
            chosen, _ = default_provider()
        elif isinstance(provider, Sequence):
            chosen = Fallback(provider, **fallback)
        elif fallback:
            raise TypeError(f"fallback options need a list of providers: {', '.join(fallback)}")
        else:
            chosen = provider
        self.provider = chosen
        self.model = model
        self.timeouts = timeouts
        self.closed = False
        self.chat: Chat[Awaitable[ChatCompletion], ChunkStream] = Chat(
            complete=lambda request, options: chat_completion(self._chat_events(request, options)),
            stream=lambda request, options: ChunkStream(
                self._chat_events(request, options), options
            ),
        )

    def __repr__(self) -> str:
        return f"AsyncClient(provider={self.provider!r})"

    async def aclose(self) -> None:
        """Close the provider, if this client made it; later calls raise `eventide.Error`."""
        self.closed = True
        if self._owned:
            await self.provider.aclose()

    def stream(self, request: Request | str, *, model: str | None = None) -> EventStream:
        """The events of the response (no I/O until read). See `EventStream`.

        The model is `model`, else the request's, else the client's default.

        Raises:
            Error: The client is closed.
        """
        if self.closed:
            raise closed_error(self)
        named = request.model if isinstance(request, Request) else None
        chosen = model or named or self.model
        return self.provider.stream(request, model=chosen, timeouts=self.timeouts)

    def _chat_events(self, request: Request, options: CallOptions) -> EventStream:
        """The events behind one ``chat.completions.create`` call."""
        if self.closed:
            raise closed_error(self)
        chosen = request.model or self.model
        timeouts = options.timeouts if options.timeouts is not None else self.timeouts
        return self.provider.stream(request, model=chosen, timeouts=timeouts)

    async def complete(self, request: Request | str, *, model: str | None = None) -> Completion:
        """The whole response. Raises the stream's `eventide.Error`, ``partial`` set."""
        return await collect(self.stream(request, model=model))

    async def first_metadata(self, request: Request | str, *, model: str | None = None) -> Metadata:
        """Who serves this request: reads the first event and closes the connection."""
        return await first_metadata(self.stream(request, model=model))

    def batch(
        self,
        items: Iterable[BatchItem] | AsyncIterable[BatchItem],
        *,
        max_concurrency: int = 16,
        ordered: bool = False,
        model: str | None = None,
    ) -> Batch:
        """Run many requests, at most `max_concurrency` at once; use it in ``async with``::

            async with client.batch(requests, max_concurrency=50) as results:
                async for result in results:
                    print(result.id, result.provider, result.text or result.error)

        Items are prompts, `Request` objects, or dicts with ``id`` and ``messages`` or
        ``prompt`` (plus ``model`` and OpenAI-style parameters). Results come as they finish
        (or in input order, with ``ordered=True``), each with the item's id (its ``id``, else
        its index) and either the `Completion` or the typed error with its partial result.
        Memory is bounded by `max_concurrency`, not by the number of items; leaving the
        block closes every open stream.
        """
        if self.closed:
            raise closed_error(self)
        return Batch(self, items, max_concurrency=max_concurrency, ordered=ordered, model=model)
