"""g4f's client, on eventide: ``from eventide.compat.g4f.client import AsyncClient``.

    client = AsyncClient()
    response = await client.chat.completions.create("your prompt")
    print(response.provider, response.choices[0].message.content)

`AsyncClient` and `Client` take g4f's arguments and keep g4f's positional order
(``create(messages, model, provider, stream, proxy, image, ...)``, a bare string prompt is one
user message); every call goes to eventide's own `eventide.AsyncClient` /
`eventide.Client` and their ``chat.completions`` (one pipeline), so results are eventide's
OpenAI-shaped `ChatCompletion` and chunks, each with ``.provider`` (the provider that served
the request) and ``.model``. ``provider=`` is an eventide provider or a provider name
(``"openai"``, ``"anthropic"``, ``"gemini"``, ``"ollama"``, ...). See docs/porting.md, "From g4f".
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self, cast, final, overload

from ..._resource import AsyncResource
from ...client import AsyncClient as EventideAsyncClient
from ...client import Client as EventideClient
from ._arguments import openai_arguments
from ._providers import ClientPool, ProviderChoice, choose_proxy

if TYPE_CHECKING:
    from collections.abc import Awaitable
    from types import TracebackType

    from ..._timeouts import Timeouts
    from ...client import ChatCompletion, ChatCompletionChunk, ChunkStream
    from ...providers import Provider

__all__ = ["AsyncClient", "Client", "Messages"]

Messages = Sequence[Mapping[str, Any]] | str
"""A prompt string (one user message) or OpenAI-style messages."""


def _refuse_media_provider(media_provider: object) -> None:
    if media_provider is not None:
        raise TypeError(
            "media_provider= is for g4f's images and media APIs, which are out of scope "
            "(eventide streams chat); drop it"
        )


@final
class AsyncChat:
    """``client.chat`` of `AsyncClient`."""

    __slots__ = ("completions",)

    def __init__(self, pool: ClientPool[EventideAsyncClient]) -> None:
        self.completions = AsyncCompletions(pool)


@final
class AsyncCompletions:
    """``client.chat.completions`` of `AsyncClient`."""

    __slots__ = ("_pool",)

    def __init__(self, pool: ClientPool[EventideAsyncClient]) -> None:
        self._pool = pool

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        stream: Literal[False] = ...,
        proxy: str | None = ...,
        image: bytes | str | None = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> Awaitable[ChatCompletion]: ...

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        *,
        stream: Literal[True],
        proxy: str | None = ...,
        image: bytes | str | None = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> ChunkStream: ...

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        *,
        stream: bool,
        proxy: str | None = ...,
        image: bytes | str | None = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> Awaitable[ChatCompletion] | ChunkStream: ...

    def create(
        self,
        messages: Messages,
        model: str = "",
        provider: ProviderChoice = None,
        stream: bool = False,
        proxy: str | None = None,
        image: bytes | str | None = None,
        image_name: str | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        stop: str | list[str] | None = None,
        **kwargs: Any,
    ) -> Awaitable[ChatCompletion] | ChunkStream:
        """g4f's ``create``: await it for a `ChatCompletion`; with ``stream=True``, iterate
        it (``async for chunk in create(...)``) for `ChatCompletionChunk` objects, the first
        of which already names the provider; leaving the loop closes the connection.

        Args:
            messages: A prompt string or OpenAI-style messages.
            model: The model; ``""``: the provider's default.
            provider: An eventide provider or a provider name, for this call.
            stream: Whether to stream chunks.
            proxy: A proxy URL for this call (a provider made by name only).
            image: An image (bytes, or an http(s) or data: URL) added to the last user
                message; g4f's ``media=[...]`` adds several.
            image_name: Accepted and unused (image parts have no file name).
            response_format: OpenAI's ``response_format`` dict.
            max_tokens, stop: As OpenAI's.
            **kwargs: OpenAI's other parameters (``temperature``, ``tools``, ...).

        Raises:
            TypeError: A g4f-only option with no meaning here (the message names the
                replacement), an unknown parameter; before any I/O.
            ValueError: An unknown provider name, a bad proxy or image; before any I/O.
        """
        arguments = openai_arguments(
            messages,
            model,
            image=image,
            response_format=response_format,
            options={"image_name": image_name, "max_tokens": max_tokens, "stop": stop, **kwargs},
        )
        inner = self._pool.get(provider, proxy)
        return inner.chat.completions.create(stream=stream, **arguments)

    def stream(self, messages: Messages, model: str = "", **kwargs: Any) -> ChunkStream:
        """``create(messages, model, stream=True, ...)``."""
        return cast("ChunkStream", self.create(messages, model, stream=True, **kwargs))


@final
class AsyncClient(AsyncResource):
    """g4f's ``AsyncClient`` on eventide.

    Args:
        provider: An eventide provider or a provider name (``"openai"``, ``"anthropic"``,
            ...); None: ``base_url`` (an OpenAI-compatible server), else the provider the
            environment configures.
        media_provider: g4f's images provider: out of scope, must be None.
        api_key: The key for a provider made by name (or for ``base_url``).
        base_url: The API root for a provider made by name; alone, an OpenAI-compatible
            server (as in g4f).
        proxies: A proxy URL, or g4f's mapping (``{"all": ...}``, ``"https"``, ``"http"``).
        model: The default model (g4f's calls name it in ``create``).
        timeouts: eventide's time budgets.

    g4f clients are never closed; this one closes what it opened in `aclose()` (or
    ``async with``), and a stream closes its connection when the loop is left.

    Raises:
        TypeError, ValueError: A bad argument or an unknown provider name, before any I/O.
    """

    __slots__ = ("_closed", "_pool", "chat")

    def __init__(
        self,
        provider: ProviderChoice = None,
        media_provider: None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        proxies: str | Mapping[str, str] | None = None,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        _refuse_media_provider(media_provider)

        def make(chosen: Provider | None) -> EventideAsyncClient:
            return EventideAsyncClient(chosen, model=model, timeouts=timeouts)

        self._pool = ClientPool(
            make,
            provider=provider,
            api_key=api_key,
            base_url=base_url,
            proxy=choose_proxy(proxies),
        )
        self._closed = False
        self.chat = AsyncChat(self._pool)

    def __repr__(self) -> str:
        return f"AsyncClient(provider={self._pool.get(None, None).provider!r})"

    async def aclose(self) -> None:
        """Close every eventide client and provider this client made. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for inner in self._pool.clients.values():
            await inner.aclose()
        for provider in self._pool.owned:
            await provider.aclose()


@final
class Chat:
    """``client.chat`` of `Client`."""

    __slots__ = ("completions",)

    def __init__(self, pool: ClientPool[EventideClient]) -> None:
        self.completions = Completions(pool)


@final
class Completions:
    """``client.chat.completions`` of `Client`."""

    __slots__ = ("_pool",)

    def __init__(self, pool: ClientPool[EventideClient]) -> None:
        self._pool = pool

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        stream: Literal[False] = ...,
        proxy: str | None = ...,
        image: bytes | str | None = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        *,
        stream: Literal[True],
        proxy: str | None = ...,
        image: bytes | str | None = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> Iterator[ChatCompletionChunk]: ...

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        *,
        stream: bool,
        proxy: str | None = ...,
        image: bytes | str | None = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> ChatCompletion | Iterator[ChatCompletionChunk]: ...

    def create(
        self,
        messages: Messages,
        model: str = "",
        provider: ProviderChoice = None,
        stream: bool = False,
        proxy: str | None = None,
        image: bytes | str | None = None,
        image_name: str | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        stop: str | list[str] | None = None,
        **kwargs: Any,
    ) -> ChatCompletion | Iterator[ChatCompletionChunk]:
        """`AsyncCompletions.create`, blocking: a `ChatCompletion`, or with ``stream=True`` an
        iterator of `ChatCompletionChunk` (leaving the ``for`` loop closes the connection).

        Raises:
            TypeError, ValueError: As `AsyncCompletions.create`, before any I/O.
        """
        arguments = openai_arguments(
            messages,
            model,
            image=image,
            response_format=response_format,
            options={"image_name": image_name, "max_tokens": max_tokens, "stop": stop, **kwargs},
        )
        inner = self._pool.get(provider, proxy)
        return inner.chat.completions.create(stream=stream, **arguments)

    def stream(
        self, messages: Messages, model: str = "", **kwargs: Any
    ) -> Iterator[ChatCompletionChunk]:
        """``create(messages, model, stream=True, ...)``."""
        chunks = self.create(messages, model, stream=True, **kwargs)
        return cast("Iterator[ChatCompletionChunk]", chunks)


def _close_all(clients: Mapping[Any, EventideClient]) -> None:
    for inner in list(clients.values()):
        with contextlib.suppress(Exception):  # at collection: no caller to tell
            inner.close()


@final
class Client:
    """g4f's ``Client`` on eventide: `AsyncClient`'s arguments, blocking calls.

    g4f clients are never closed: this one closes its eventide clients (their event loop
    thread and connections) when it is garbage-collected, or at once with `close()` or
    ``with``.
    """

    __slots__ = ("__weakref__", "_pool", "chat")

    def __init__(
        self,
        provider: ProviderChoice = None,
        media_provider: None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        proxies: str | Mapping[str, str] | None = None,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        _refuse_media_provider(media_provider)

        def make(chosen: Provider | None) -> EventideClient:
            return EventideClient(chosen, model=model, timeouts=timeouts)

        self._pool = ClientPool(
            make,
            provider=provider,
            api_key=api_key,
            base_url=base_url,
            proxy=choose_proxy(proxies),
        )
        weakref.finalize(self, _close_all, self._pool.clients)
        self.chat = Chat(self._pool)

    def __repr__(self) -> str:
        return f"Client(provider={self._pool.get(None, None).provider!r})"

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
        """Close every eventide client (and so every provider) this client made."""
        for inner in list(self._pool.clients.values()):
            inner.close()
