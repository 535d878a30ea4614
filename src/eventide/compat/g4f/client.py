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

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import (
    TYPE_CHECKING,
    Any,
    BinaryIO,
    Generic,
    Literal,
    Protocol,
    TypeAlias,
    TypeVar,
    cast,
    final,
    overload,
)

from ..._resource import AsyncResource, SyncResource
from ...client import AsyncClient as EventideAsyncClient
from ...client import Client as EventideClient
from ...client._sync import close_when_collected, refusals_when_read
from ._arguments import openai_arguments
from ._providers import ClientPool, ProviderChoice

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..._timeouts import Timeouts
    from ...client import ChatCompletion, ChatCompletionChunk, ChunkStream, Stream
    from ...client._chat import Chat as EventideChat
    from ...providers import Provider

__all__ = ["AsyncClient", "Chat", "Client", "Completions", "Image", "Messages"]

Messages = Sequence[Mapping[str, Any]] | str
"""A prompt string (one user message) or OpenAI-style messages."""

Image = bytes | str | BinaryIO | PathLike[str] | None
"""g4f's ``image=``: bytes, an http(s) or data: URL, an open binary file, or a path."""

CompletionT = TypeVar("CompletionT")
StreamT = TypeVar("StreamT")


class _Inner(Protocol[CompletionT, StreamT]):
    """eventide's `AsyncClient` or `Client`, as far as this module uses them."""

    @property
    def chat(self) -> EventideChat[CompletionT, StreamT]: ...


InnerFor: TypeAlias = "Callable[[ProviderChoice, str | None], _Inner[CompletionT, StreamT]]"
"""The eventide client for a call's ``provider=`` and ``proxy=`` (`ClientPool.get`)."""


@final
class Chat(Generic[CompletionT, StreamT]):
    """``client.chat``."""

    __slots__ = ("completions",)

    def __init__(self, inner: InnerFor[CompletionT, StreamT]) -> None:
        self.completions = Completions(inner)


@final
class Completions(Generic[CompletionT, StreamT]):
    """``client.chat.completions``, for `AsyncClient` and `Client` alike: the clients differ
    only in what eventide's client under them returns."""

    __slots__ = ("_inner",)

    def __init__(self, inner: InnerFor[CompletionT, StreamT]) -> None:
        self._inner = inner

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        stream: Literal[False] = ...,
        proxy: str | None = ...,
        image: Image = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> CompletionT: ...

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        *,
        stream: Literal[True],
        proxy: str | None = ...,
        image: Image = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> StreamT: ...

    @overload
    def create(
        self,
        messages: Messages,
        model: str = ...,
        provider: ProviderChoice = ...,
        *,
        stream: bool,
        proxy: str | None = ...,
        image: Image = ...,
        image_name: str | None = ...,
        response_format: Mapping[str, Any] | None = ...,
        max_tokens: int | None = ...,
        stop: str | list[str] | None = ...,
        **kwargs: Any,
    ) -> CompletionT | StreamT: ...

    def create(
        self,
        messages: Messages,
        model: str = "",
        provider: ProviderChoice = None,
        stream: bool = False,
        proxy: str | None = None,
        image: Image = None,
        image_name: str | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        stop: str | list[str] | None = None,
        **kwargs: Any,
    ) -> CompletionT | StreamT:
        """g4f's ``create``. `AsyncClient`: await it for a `ChatCompletion`; with
        ``stream=True``, iterate it (``async for chunk in create(...)``) for
        `ChatCompletionChunk` objects, the first of which already names the provider.
        `Client`: the `ChatCompletion`, or an iterator of chunks. Leaving a stream's loop
        closes the connection.

        Args:
            messages: A prompt string or OpenAI-style messages.
            model: The model; ``""``: the provider's default.
            provider: An eventide provider or a provider name, for this call.
            stream: Whether to stream chunks.
            proxy: A proxy URL for this call (a provider made by name only).
            image: An image (bytes, an open binary file, a path, or an http(s) or data:
                URL) added to the last user message; g4f's ``media=[...]`` adds several.
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
        completions = self._inner(provider, proxy).chat.completions
        return completions.create(stream=stream, **arguments)

    def stream(self, messages: Messages, model: str = "", **kwargs: Any) -> StreamT:
        """``create(messages, model, stream=True, ...)``."""
        return cast("StreamT", self.create(messages, model, stream=True, **kwargs))


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
        self._pool = ClientPool(
            EventideAsyncClient,
            provider,
            media_provider=media_provider,
            api_key=api_key,
            base_url=base_url,
            proxies=proxies,
            model=model,
            timeouts=timeouts,
        )
        self._closed = False
        self.chat: Chat[Awaitable[ChatCompletion], ChunkStream] = Chat(self._pool.get)

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


def _quiet_client(provider: Provider | None, **options: Any) -> EventideClient:
    """An eventide client as g4f's: closed quietly when collected, and its streams raise a
    refusal as they are read (g4f's are generators), not at the call."""
    return refusals_when_read(close_when_collected(EventideClient(provider, **options)))


@final
class Client(SyncResource):
    """g4f's ``Client`` on eventide: `AsyncClient`'s arguments, blocking calls.

    g4f clients are never closed: this one's eventide clients (their event loop thread and
    connections) close quietly when they are garbage-collected, once nothing can use them
    (this client, its ``chat``, a stream of it), or at once with `close()` or ``with``.
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
        self._pool = ClientPool(
            _quiet_client,
            provider,
            media_provider=media_provider,
            api_key=api_key,
            base_url=base_url,
            proxies=proxies,
            model=model,
            timeouts=timeouts,
        )
        self.chat: Chat[ChatCompletion, Stream[ChatCompletionChunk]] = Chat(self._pool.get)

    def __repr__(self) -> str:
        return f"Client(provider={self._pool.get(None, None).provider!r})"

    def close(self) -> None:
        """Close every eventide client (and so every provider) this client made."""
        for inner in list(self._pool.clients.values()):
            inner.close()
