"""`AsyncClient`: every call style as a thin consumer of one `EventStream`.

``stream()`` gives the events, ``complete()`` collects them, ``first_metadata()`` reads one,
``chat.completions.create()`` shapes them like OpenAI (and g4f: every result and chunk
carries ``.provider``), ``batch()`` runs many. Because each style reads the same stream,
each reports the same text, reasoning, tool calls, usage, finish reason, provider and model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

from .._errors import Error
from .._request import Request
from .._resource import AsyncResource
from ..collectors import collect, first_metadata
from ._batch import Batch, BatchItem
from ._chat import CallOptions, Chat
from ._chunks import ChunkStream, chat_completion
from ._config import Connection, Routes, check_max_retries, client_provider, client_timeouts

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, Awaitable, Iterable, Mapping, Sequence

    from .._completion import Completion
    from .._events import Metadata
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from .._transport import HTTPClientOption
    from ..providers import Provider
    from ._shapes import ChatCompletion

__all__ = ["AsyncClient", "closed_error"]


def closed_error(client: object) -> Error:
    """The error of a call on a closed client: nothing is opened."""
    return Error(f"{type(client).__name__} is closed: make a new client")


@final
class AsyncClient(AsyncResource):
    """The client most code starts with. It takes the OpenAI SDK's constructor arguments.

    Args:
        provider: What serves the calls: a provider or a router (yours: the client leaves
            it open); a list of providers (and ``(provider, model)`` pairs) to fall back
            across; or a provider name (``"openai"``, ``"openai-responses"``,
            ``"anthropic"``, ``"gemini"``, ``"ollama"``, or ``"demo"`` for the offline demo),
            made from the arguments below and that provider's environment variables.
            Default: ``EVENTIDE_PROVIDER``; else ``"openai"`` when `api_key` or `base_url`
            is given; else the first provider whose variables are set (``OPENAI_API_KEY`` or
            ``OPENAI_BASE_URL``, ``ANTHROPIC_API_KEY``, ``GEMINI_API_KEY`` or
            ``GOOGLE_API_KEY``, ``OLLAMA_HOST``); else `ConfigurationError`: nothing
            answers silently, the demo is only ever asked for by name.
        model: The model for requests that name none. A model string that starts with a
            provider name and ``:`` (``"anthropic:claude-sonnet-4-5"``) sends the model after
            it to that provider, made once from its environment (with no key for its own
            API: `ConfigurationError` at the call, before any I/O); any other string is a
            model name, verbatim (``"llama3:8b"``, ``"anthropic/claude-3.5-sonnet"``).
        api_key: The key (default: the provider's variable, ``OPENAI_API_KEY`` ...).
        base_url: The API root (default: the provider's variable, ``OPENAI_BASE_URL`` ...).
        organization: OpenAI's ``OpenAI-Organization`` header (default: ``OPENAI_ORG_ID``).
        project: OpenAI's ``OpenAI-Project`` header (default: ``OPENAI_PROJECT_ID``).
        timeout: Seconds, as in the OpenAI SDK (``httpx.Timeout(seconds)``: each of connect,
            read, write and pool; not a budget for the whole answer), or `Timeouts`.
            None: eventide's defaults (`Timeouts()`), not "no limit".
        max_retries: Retries of a failed request before its answer starts, as in the OpenAI
            SDK: 429, 5xx, overloaded, connection errors and timeouts are tried again after
            0.5 s, 1 s, 2 s ... (at most 8 s, with jitter) or the server's ``Retry-After``
            (up to 2 minutes). None: 2. When they run out, the last try's own typed error is
            raised (`RateLimitError` with its ``status_code``, ...). 0: no retries. A router
            or a list retries as its own ``retry=`` says: max_retries with one is a
            TypeError.
        default_headers: Headers added to every request.
        default_query: URL query parameters added to every request.
        http_client: An ``httpx.AsyncClient`` to send through (yours to close), or a
            function that makes one.
        timeouts: eventide's `Timeouts` (give this or `timeout`, not both).
        **fallback: Options of the `Fallback` made for a list of providers.

    The connection arguments (`api_key`, `base_url`, `organization`, `project`,
    `default_headers`, `default_query`, `http_client`) configure a provider the client
    makes: beside a provider object they are a `ConfigurationError` (pass them to that
    provider). A provider the client made (and every provider a model string made) is
    closed by `aclose()`; one passed in stays open. After `aclose()`, every call raises
    `eventide.Error` (the base class: nothing was sent).

    Raises:
        ConfigurationError: Nothing configured, an unknown provider name, a key that belongs
            to another provider's API, or arguments that would be ignored (before any I/O).
        TypeError: An unknown keyword argument, `timeout` and `timeouts` both, or
            `max_retries` with a router.
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
        self.timeouts = client_timeouts(timeout, timeouts)
        connection = Connection(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            default_headers=default_headers,
            default_query=default_query,
            http_client=http_client,
        )
        chosen, kind = client_provider(provider, connection, **fallback)
        self.max_retries = check_max_retries(max_retries, chosen)  # made ones hold nothing yet
        self._routes = Routes(
            chosen,
            kind=kind,
            max_retries=self.max_retries,
            owned=kind is not None,
            http_client=http_client,
        )
        self.provider = chosen
        self.model = model
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
        """Close the provider, if this client made it, and those model strings made; later
        calls raise `eventide.Error`."""
        self.closed = True
        await self._routes.aclose()

    def stream(self, request: Request | str, *, model: str | None = None) -> EventStream:
        """The events of the response (no I/O until read). See `EventStream`.

        The model is `model`, else the request's, else the client's default; a
        ``provider:model`` string goes to that provider (see the class).

        Raises:
            Error: The client is closed.
            ConfigurationError: The model names a provider that is not configured.
        """
        if self.closed:
            raise closed_error(self)
        named = request.model if isinstance(request, Request) else None
        chosen = model or named or self.model
        return self._routes.stream(request, model=chosen, timeouts=self.timeouts)

    def _chat_events(self, request: Request, options: CallOptions) -> EventStream:
        """The events behind one ``chat.completions.create`` call."""
        if self.closed:
            raise closed_error(self)
        chosen = request.model or self.model
        timeouts = options.timeouts if options.timeouts is not None else self.timeouts
        return self._routes.stream(request, model=chosen, timeouts=timeouts)

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
        """Run many requests, at most `max_concurrency` at once; use it in ``async with``:

        ```python
        from eventide import AsyncClient

        requests = [{"id": "a", "prompt": "Why is the sky blue?"}, {"id": "b", "prompt": "Hi!"}]
        async with AsyncClient("demo") as client:
            async with client.batch(requests, max_concurrency=50) as results:
                async for result in results:
                    print(result.id, result.provider, result.text or result.error)
        ```

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
