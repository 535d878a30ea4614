"""litellm's ``completion`` and ``acompletion``, on eventide's clients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NoReturn, overload

from ..._errors import Error
from ...client import AsyncClient, ChatCompletion, Client
from ._call import Call, prepare
from ._streams import AsyncCompletionStream, CompletionStream, close

if TYPE_CHECKING:
    from ..._timeouts import Timeouts

__all__ = ["Fallbacks", "Messages", "acompletion", "completion"]

Messages = Sequence[Mapping[str, Any]] | str
Fallbacks = Sequence[str | Mapping[str, Any]] | None


@overload
def completion(
    model: str,
    messages: Messages = ...,
    *,
    stream: Literal[False] = ...,
    api_key: str | None = ...,
    api_base: str | None = ...,
    base_url: str | None = ...,
    timeout: float | Timeouts | None = ...,
    num_retries: int | None = ...,
    fallbacks: Fallbacks = ...,
    mock_response: str | Exception | None = ...,
    **params: Any,
) -> ChatCompletion: ...


@overload
def completion(
    model: str,
    messages: Messages = ...,
    *,
    stream: Literal[True],
    api_key: str | None = ...,
    api_base: str | None = ...,
    base_url: str | None = ...,
    timeout: float | Timeouts | None = ...,
    num_retries: int | None = ...,
    fallbacks: Fallbacks = ...,
    mock_response: str | Exception | None = ...,
    **params: Any,
) -> CompletionStream: ...


@overload
def completion(
    model: str,
    messages: Messages = ...,
    *,
    stream: bool,
    api_key: str | None = ...,
    api_base: str | None = ...,
    base_url: str | None = ...,
    timeout: float | Timeouts | None = ...,
    num_retries: int | None = ...,
    fallbacks: Fallbacks = ...,
    mock_response: str | Exception | None = ...,
    **params: Any,
) -> ChatCompletion | CompletionStream: ...


def completion(
    model: str,
    messages: Messages = (),
    *,
    stream: bool = False,
    api_key: str | None = None,
    api_base: str | None = None,
    base_url: str | None = None,
    timeout: float | Timeouts | None = None,
    num_retries: int | None = None,
    fallbacks: Fallbacks = None,
    mock_response: str | Exception | None = None,
    **params: Any,
) -> ChatCompletion | CompletionStream:
    """litellm's ``completion``: a `ChatCompletion`, or with ``stream=True`` a
    `CompletionStream` of `ChatCompletionChunk`.

    Args:
        model: ``"provider/model"`` (see `ROUTES`), or a model litellm infers the provider
            of (``gpt-*``, ``claude-*``).
        messages: OpenAI-style messages (or a prompt string).
        stream: Whether to stream chunks.
        api_key: The key (default: the provider's environment variable, as litellm).
        api_base: The API root (``base_url`` is the same).
        timeout: Seconds for the whole response, or eventide `Timeouts`.
        num_retries: Retries of each model on retryable errors (429, 5xx, connection).
        fallbacks: Models tried in turn when the model fails (strings, or dicts with
            ``model`` and ``api_key``/``api_base``).
        mock_response: Answer this text with no network I/O (litellm's mock errors, such as
            ``"litellm.RateLimitError"``, raise theirs; an exception is raised).
        **params: OpenAI's other parameters (``temperature``, ``tools``, ...).

    Raises:
        TypeError, ValueError: Bad arguments, an unknown provider prefix; before any I/O.
        eventide.Error: The request failed (litellm's names are aliases of these); with
            ``stream=True`` too, at the call (a refused request), as litellm raises.
    """
    call = prepare(
        model,
        messages,
        api_key=api_key,
        api_base=api_base or base_url,
        timeout=timeout,
        num_retries=num_retries,
        fallbacks=fallbacks,
        mock_response=mock_response,
        params=params,
    )
    client = Client(call.provider, model=call.model)
    if stream:
        try:  # returns once the provider accepted the request (litellm raises at the call)
            chunks = client.chat.completions.create(stream=True, **call.arguments)
        except BaseException as exc:
            client.close()
            _reraise(exc, call)
        return CompletionStream(client, chunks, call)
    with client:
        try:
            completed: ChatCompletion = client.chat.completions.create(**call.arguments)
        except Error as exc:
            call.raise_as_litellm(exc)
    return completed


@overload
async def acompletion(
    model: str,
    messages: Messages = ...,
    *,
    stream: Literal[False] = ...,
    api_key: str | None = ...,
    api_base: str | None = ...,
    base_url: str | None = ...,
    timeout: float | Timeouts | None = ...,
    num_retries: int | None = ...,
    fallbacks: Fallbacks = ...,
    mock_response: str | Exception | None = ...,
    **params: Any,
) -> ChatCompletion: ...


@overload
async def acompletion(
    model: str,
    messages: Messages = ...,
    *,
    stream: Literal[True],
    api_key: str | None = ...,
    api_base: str | None = ...,
    base_url: str | None = ...,
    timeout: float | Timeouts | None = ...,
    num_retries: int | None = ...,
    fallbacks: Fallbacks = ...,
    mock_response: str | Exception | None = ...,
    **params: Any,
) -> AsyncCompletionStream: ...


@overload
async def acompletion(
    model: str,
    messages: Messages = ...,
    *,
    stream: bool,
    api_key: str | None = ...,
    api_base: str | None = ...,
    base_url: str | None = ...,
    timeout: float | Timeouts | None = ...,
    num_retries: int | None = ...,
    fallbacks: Fallbacks = ...,
    mock_response: str | Exception | None = ...,
    **params: Any,
) -> ChatCompletion | AsyncCompletionStream: ...


async def acompletion(
    model: str,
    messages: Messages = (),
    *,
    stream: bool = False,
    api_key: str | None = None,
    api_base: str | None = None,
    base_url: str | None = None,
    timeout: float | Timeouts | None = None,
    num_retries: int | None = None,
    fallbacks: Fallbacks = None,
    mock_response: str | Exception | None = None,
    **params: Any,
) -> ChatCompletion | AsyncCompletionStream:
    """`completion`, async: a `ChatCompletion`, or with ``stream=True`` an
    `AsyncCompletionStream` (``async for chunk in await acompletion(..., stream=True)``).

    Cancellation: cancelling the call closes the connection and the providers.

    Raises:
        Error: As `completion`.
    """
    call = prepare(
        model,
        messages,
        api_key=api_key,
        api_base=api_base or base_url,
        timeout=timeout,
        num_retries=num_retries,
        fallbacks=fallbacks,
        mock_response=mock_response,
        params=params,
    )
    client = AsyncClient(call.provider, model=call.model)
    if stream:
        try:  # awaited: sent, and accepted by the provider (litellm raises at the call)
            chunks = await client.chat.completions.create(stream=True, **call.arguments)
        except BaseException as exc:
            await close(client, call.provider)
            _reraise(exc, call)
        return AsyncCompletionStream(client, chunks, call)
    try:
        completed: ChatCompletion = await client.chat.completions.create(**call.arguments)
    except Error as exc:
        call.raise_as_litellm(exc)
    finally:
        await close(client, call.provider)
    return completed


def _reraise(exc: BaseException, call: Call) -> NoReturn:
    """Raise `exc` again, an `eventide.Error` as litellm's (naming `call`'s model)."""
    if isinstance(exc, Error):
        call.raise_as_litellm(exc)
    raise exc
