"""g4f on eventide: ``from eventide.compat import g4f`` for the legacy API, and
``from eventide.compat.g4f.client import AsyncClient, Client`` for the client.

    text = g4f.ChatCompletion.create(model="gpt-4o-mini", messages=messages, provider="openai")

    chunks = await g4f.ChatCompletion.create_async(model=..., messages=..., stream=True)
    async for chunk in chunks:
        print(chunk.name)       # the first chunk (empty) names who serves the request
        break                   # the connection is closed

Both go to the g4f-style client of `eventide.compat.g4f.client`, and so to eventide's one
pipeline. See docs/porting.md, "From g4f".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, final, overload

from ._arguments import openai_arguments
from ._legacy import AsyncTextStream, TextChunk, TextStream, text_of
from .client import AsyncClient, Client

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from ._providers import ProviderChoice
    from .client import Messages

__all__ = ["AsyncTextStream", "ChatCompletion", "TextChunk", "TextStream"]


def _legacy_arguments(
    model: str, messages: Messages, image: bytes | str | None, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """eventide's create arguments of a legacy call, and its ``proxy=``."""
    proxy = kwargs.pop("proxy", None)
    arguments = openai_arguments(messages, model, image=image, options=kwargs)
    return arguments, proxy


@final
class ChatCompletion:
    """g4f's legacy ``ChatCompletion``: the answer as a string, or its pieces."""

    @overload
    @staticmethod
    def create(
        model: str,
        messages: Messages,
        provider: ProviderChoice = ...,
        stream: Literal[False] = ...,
        image: bytes | str | None = ...,
        **kwargs: Any,
    ) -> str: ...

    @overload
    @staticmethod
    def create(
        model: str,
        messages: Messages,
        provider: ProviderChoice = ...,
        *,
        stream: Literal[True],
        image: bytes | str | None = ...,
        **kwargs: Any,
    ) -> TextStream: ...

    @overload
    @staticmethod
    def create(
        model: str,
        messages: Messages,
        provider: ProviderChoice = ...,
        *,
        stream: bool,
        image: bytes | str | None = ...,
        **kwargs: Any,
    ) -> str | TextStream: ...

    @staticmethod
    def create(
        model: str,
        messages: Messages,
        provider: ProviderChoice = None,
        stream: bool = False,
        image: bytes | str | None = None,
        **kwargs: Any,
    ) -> str | TextStream:
        """The answer text; with ``stream=True``, a `TextStream` of `TextChunk` pieces (``str``
        naming the provider), the first empty.

        Args:
            model: The model; ``""``: the provider's default.
            messages: OpenAI-style messages (or a prompt string).
            provider: An eventide provider or a provider name; None: the environment's.
            stream: Whether to stream the pieces.
            image: An image (bytes or a URL) added to the last user message.
            **kwargs: ``proxy=``, ``image_name=``, OpenAI's parameters; g4f-only options
                with no meaning here raise `TypeError` naming the replacement.

        Raises:
            TypeError, ValueError: Bad arguments or provider, before any I/O.
            eventide.Error: The request failed.
        """
        if not isinstance(stream, bool):
            raise TypeError(f"stream must be True or False, not {stream!r}")
        arguments, proxy = _legacy_arguments(model, messages, image, kwargs)
        client = Client(provider, proxies=proxy)
        if not stream:
            with client:
                return text_of(client.chat.completions.create(**arguments))
        try:
            return TextStream(client, client.chat.completions.stream(**arguments))
        except BaseException:
            client.close()
            raise

    @overload
    @staticmethod
    def create_async(
        model: str,
        messages: Messages,
        provider: ProviderChoice = ...,
        stream: Literal[False] = ...,
        image: bytes | str | None = ...,
        **kwargs: Any,
    ) -> Awaitable[str]: ...

    @overload
    @staticmethod
    def create_async(
        model: str,
        messages: Messages,
        provider: ProviderChoice = ...,
        *,
        stream: Literal[True],
        image: bytes | str | None = ...,
        **kwargs: Any,
    ) -> AsyncTextStream: ...

    @overload
    @staticmethod
    def create_async(
        model: str,
        messages: Messages,
        provider: ProviderChoice = ...,
        *,
        stream: bool,
        image: bytes | str | None = ...,
        **kwargs: Any,
    ) -> Awaitable[str] | AsyncTextStream: ...

    @staticmethod
    def create_async(
        model: str,
        messages: Messages,
        provider: ProviderChoice = None,
        stream: bool = False,
        image: bytes | str | None = None,
        **kwargs: Any,
    ) -> Awaitable[str] | AsyncTextStream:
        """`create`, async: await it for the text; with ``stream=True``, an
        `AsyncTextStream` (``async for`` over it, or over ``await`` of it).

        Cancellation: cancelling the await, or leaving the stream, closes the connection.

        Raises:
            TypeError, ValueError: As `create`, at the call, before any I/O.
        """
        if not isinstance(stream, bool):
            raise TypeError(f"stream must be True or False, not {stream!r}")
        arguments, proxy = _legacy_arguments(model, messages, image, kwargs)
        client = AsyncClient(provider, proxies=proxy)
        if stream:
            return AsyncTextStream(client, client.chat.completions.stream(**arguments))
        pending = client.chat.completions.create(**arguments)  # checks them, sends nothing

        async def answer() -> str:
            async with client:
                return text_of(await pending)

        return answer()
