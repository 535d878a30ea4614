"""``client.chat.completions.create``, once for `AsyncClient` and `Client`: the clients differ
only in what a call returns, so one generic namespace checks the arguments, builds the
`Request` and hands it to the client's own two functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, Unpack, final, overload

import attrs

from .._timeouts import Timeouts, as_timeouts
from ._params import include_usage, request_from_openai
from ._raw import WithRawResponse, WithStreamingResponse

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .._request import Request
    from ._params import CreateParams, MessageLike

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
        messages: Sequence[MessageLike] | str,
        model: str | None = ...,
        stream: Literal[False] | None = ...,
        **params: Unpack[CreateParams],
    ) -> CompletionT: ...

    @overload
    def create(
        self,
        *,
        messages: Sequence[MessageLike] | str,
        model: str | None = ...,
        stream: Literal[True],
        **params: Unpack[CreateParams],
    ) -> StreamT: ...

    @overload
    def create(
        self,
        *,
        messages: Sequence[MessageLike] | str,
        model: str | None = ...,
        stream: bool,
        **params: Unpack[CreateParams],
    ) -> CompletionT | StreamT: ...

    def create(
        self,
        *,
        messages: Sequence[MessageLike] | str,
        model: str | None = None,
        stream: bool | None = False,
        **params: Any,
    ) -> CompletionT | StreamT:
        """OpenAI's ``chat.completions.create``, on eventide's stream.

        On `AsyncClient`, await it for a `ChatCompletion` (with ``.provider``); with
        ``stream=True`` it is a `ChunkStream` of `ChatCompletionChunk`: ``async for chunk in
        create(...)`` (g4f style) or ``in await create(...)`` (OpenAI style); every chunk has
        ``.provider`` and ``.model``, the first is the metadata chunk, and leaving the loop
        closes the connection. `Client`: the same without ``await``, and with ``for``.

        With ``stream=True``, as in openai-python, ``await create(...)`` (or ``async with
        create(...)``) on `AsyncClient`, and ``create(...)`` on `Client`, send the request
        and return once the provider has accepted it (`EventStream.open`; with the client's
        retries, once the answer has begun): a refused request raises its typed error
        there (``except RateLimitError`` around the call). Iterated without ``await``, the
        async stream sends the request at its first read and raises there.

        Takes every keyword of openai-python's ``create`` (`CreateParams`, typed as it types
        them): those with a neutral `Request` field go there, the rest to
        `Request.openai_params`, which the OpenAI chat API sends as they are and every other
        API maps or refuses before any I/O (docs/providers.md, "OpenAI parameters").
        ``extra_body`` is merged into the body last, ``extra_headers`` and ``extra_query``
        go with this request, ``timeout`` (seconds, or `Timeouts`) replaces the client's
        budgets for this call, and ``stream_options={"include_usage": True}`` ends the chunk
        stream with OpenAI's usage chunk.

        Raises:
            TypeError, ValueError: Invalid arguments, before any I/O: an unknown keyword
                (the message names ``extra_body=``), ``n`` other than 1, OpenAI's deprecated
                ``functions``/``function_call`` (it names ``tools=``).
            Error: The client is closed; with ``stream=True`` (see above), the request
                failed (the typed error: `RateLimitError`, `AuthenticationError`, ...).
        """
        if stream is not None and not isinstance(stream, bool):
            raise TypeError(f"stream must be True or False, not {stream!r}")
        options = CallOptions(
            timeouts=as_timeouts(params.pop("timeout", None)),
            include_usage=include_usage(params.get("stream_options")),
        )
        request = request_from_openai(messages=messages, model=model, **params)
        return self._stream(request, options) if stream else self._complete(request, options)

    with_raw_response = WithRawResponse()
    """``create``, answered with the response's headers and status beside what ``create``
    returns (``.parse()``); see `eventide.client._raw`."""
    with_streaming_response = WithStreamingResponse()
    """``create`` as a ``with`` block: the headers first, the body read only when asked."""
