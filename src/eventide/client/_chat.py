"""``client.chat.completions.create``, once for `AsyncClient` and `Client`: the clients differ
only in what a call returns, so one generic namespace checks the arguments, builds the
`Request` and hands it to the client's own two functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, final, overload

import attrs

from .._timeouts import Timeouts
from ._params import request_from_openai
from ._raw import WithRawResponse, WithStreamingResponse

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from .._request import Message, Request, ToolSpec

__all__ = ["CallOptions", "Chat", "Completions"]

CompletionT = TypeVar("CompletionT")
StreamT = TypeVar("StreamT")


@final
@attrs.frozen
class CallOptions:
    """What one ``create`` call asks of the client, beside the `Request` itself.

    Attributes:
        timeouts: This call's time budgets (OpenAI's per-call ``timeout=``); None: the
            client's.
        include_usage: ``stream_options={"include_usage": True}``: the chunk stream ends
            with OpenAI's usage chunk (empty ``choices``), after the finish chunk.
    """

    timeouts: Timeouts | None = None
    include_usage: bool = False


@final
class Chat(Generic[CompletionT, StreamT]):
    """``client.chat``: the OpenAI-shaped namespace."""

    __slots__ = ("completions",)

    def __init__(
        self,
        *,
        complete: Callable[[Request, CallOptions], CompletionT],
        stream: Callable[[Request, CallOptions], StreamT],
    ) -> None:
        self.completions = Completions(complete=complete, stream=stream)


@final
class Completions(Generic[CompletionT, StreamT]):
    """``client.chat.completions``."""

    __slots__ = ("_complete", "_stream")

    def __init__(
        self,
        *,
        complete: Callable[[Request, CallOptions], CompletionT],
        stream: Callable[[Request, CallOptions], StreamT],
    ) -> None:
        self._complete = complete
        self._stream = stream

    @overload
    def create(
        self,
        *,
        messages: Sequence[Message | Mapping[str, Any]] | str,
        model: str | None = ...,
        stream: Literal[False] = ...,
        tools: Sequence[ToolSpec | Mapping[str, Any]] | None = ...,
        **params: Any,
    ) -> CompletionT: ...

    @overload
    def create(
        self,
        *,
        messages: Sequence[Message | Mapping[str, Any]] | str,
        model: str | None = ...,
        stream: Literal[True],
        tools: Sequence[ToolSpec | Mapping[str, Any]] | None = ...,
        **params: Any,
    ) -> StreamT: ...

    @overload
    def create(
        self,
        *,
        messages: Sequence[Message | Mapping[str, Any]] | str,
        model: str | None = ...,
        stream: bool,
        tools: Sequence[ToolSpec | Mapping[str, Any]] | None = ...,
        **params: Any,
    ) -> CompletionT | StreamT: ...

    def create(
        self,
        *,
        messages: Sequence[Message | Mapping[str, Any]] | str,
        model: str | None = None,
        stream: bool = False,
        tools: Sequence[ToolSpec | Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> CompletionT | StreamT:
        """OpenAI's ``chat.completions.create``, on eventide's stream.

        On `AsyncClient`, await it for a `ChatCompletion` (with ``.provider``); with
        ``stream=True`` it is a `ChunkStream` of `ChatCompletionChunk`: ``async for chunk in
        create(...)`` (g4f style) or ``in await create(...)`` (OpenAI style); every chunk has
        ``.provider`` and ``.model``, the first is the metadata chunk, and leaving the loop
        closes the connection. `Client`: the same without ``await``, and with ``for``.

        Raises:
            TypeError, ValueError: Invalid arguments, before any I/O.
            Error: The client is closed.
        """
        if not isinstance(stream, bool):
            raise TypeError(f"stream must be True or False, not {stream!r}")
        request = request_from_openai(messages=messages, model=model, tools=tools, **params)
        options = CallOptions()
        return self._stream(request, options) if stream else self._complete(request, options)

    with_raw_response = WithRawResponse()
    """``create``, answered with the response's headers and status beside what ``create``
    returns (``.parse()``); see `eventide.client._raw`."""
    with_streaming_response = WithStreamingResponse()
    """``create`` as a ``with`` block: the headers first, the body read only when asked."""
