"""litellm's entry points on eventide: ``from eventide.compat import litellm``.

    response = litellm.completion(model="openai/gpt-4o-mini", messages=messages)
    print(response.provider, response.choices[0].message.content)

`completion` and `acompletion` route litellm's ``"provider/model"`` strings (the part
before the first ``/`` names a provider litellm knows: ``openai``, ``anthropic``,
``gemini``, ``ollama``, ``ollama_chat``, ``groq``, ``openrouter``, ...) to eventide's
providers; this module is the only place where that form routes. Results and chunks are
eventide's OpenAI-shaped `ChatCompletion` and `ChatCompletionChunk` (litellm's
``ModelResponse``/``ModelResponseStream`` have the same fields), with ``.provider`` where
litellm has ``_hidden_params["custom_llm_provider"]``. ``fallbacks=[...]`` and
``num_retries=`` become eventide's `Fallback` and `RetryPolicy`; ``mock_response=`` answers
through eventide's in-memory transport and the whole decoding path, with no network I/O.
litellm's exception names are eventide's own classes (aliases, or a subclass for
`ContextWindowExceededError`), so ``except litellm.RateLimitError`` keeps working. See
docs/porting.md, "From litellm".
"""

from __future__ import annotations

import os
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn, Self, final, get_args, overload

import attrs

from .._errors import (
    AuthenticationError,
    BadRequestError,
    Error,
    NoProviderLeft,
    NotFoundError,
    OverloadedError,
    ProviderError,
    RateLimitError,
    RequestError,
    ServerError,
    StreamTimeout,
    TransportError,
)
from .._events import (
    Finish,
    FinishReason,
    Metadata,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from .._resource import AsyncResource, SyncResource
from .._timeouts import Timeouts
from .._transport import InMemoryTransport
from ..client import AsyncClient, ChatCompletion, ChatCompletionChunk, Client
from ..collectors import CompletionCollector
from ..providers import OpenAIChat, Provider, provider_from_name
from ..routing import RetryPolicy, Router
from ..wire import ChatStreamEncoder

if TYPE_CHECKING:
    from .._events import Event
    from ..client import ChunkStream

__all__ = [
    "APIConnectionError",
    "APIError",
    "AsyncCompletionStream",
    "AuthenticationError",
    "BadRequestError",
    "CompletionStream",
    "ContextWindowExceededError",
    "InternalServerError",
    "NotFoundError",
    "RateLimitError",
    "ServiceUnavailableError",
    "Timeout",
    "acompletion",
    "completion",
    "stream_chunk_builder",
]

# litellm's exception names, on eventide's one tree
APIError = ProviderError
APIConnectionError = TransportError
Timeout = StreamTimeout
ServiceUnavailableError = OverloadedError
InternalServerError = ServerError


@final
class ContextWindowExceededError(BadRequestError):
    """The prompt does not fit the model's context window: the `BadRequestError` a provider
    answers with OpenAI's ``context_length_exceeded`` code or Anthropic's "prompt is too
    long", as litellm raises it."""

    kind = "context_window_exceeded"


def _context_window(error: Error) -> Error:
    """`error`, as a `ContextWindowExceededError` when it says the prompt is too long."""
    if not isinstance(error, BadRequestError) or isinstance(error, ContextWindowExceededError):
        return error
    if error.code != "context_length_exceeded" and "prompt is too long" not in error.message:
        return error
    moved = ContextWindowExceededError(
        error.message,
        provider=error.provider,
        status_code=error.status_code,
        body=error.body,
        code=error.code,
        retry_after=error.retry_after,
    )
    moved.partial, moved.content_emitted = error.partial, error.content_emitted
    return moved


def _raise_as_litellm(error: Error) -> NoReturn:
    """Raise what litellm raises for `error` (see `_litellm_error`), chained to it."""
    mapped = _litellm_error(error)
    if mapped is error:
        raise error
    raise mapped from error


def _litellm_error(error: Error) -> Error:
    """What litellm raises for `error`: the last attempt's error when fallbacks ran out (as
    litellm re-raises the last one), a context-window error under its own name."""
    if isinstance(error, NoProviderLeft) and error.errors:
        return _litellm_error(error.errors[-1])
    return _context_window(error)


# -- routes ----------------------------------------------------------------------------------


@final
@attrs.frozen
class _Route:
    """An eventide provider for a litellm prefix: its kind, and for OpenAI-compatible
    services their API root and the environment variables of their key and root."""

    kind: str
    base_url: str | None = None
    key_env: tuple[str, ...] = ()
    base_env: tuple[str, ...] = ()


def _compatible(base_url: str | None, service: str, *more_keys: str) -> _Route:
    upper = service.upper()
    return _Route("openai", base_url, (f"{upper}_API_KEY", *more_keys), (f"{upper}_API_BASE",))


ROUTES: Final[Mapping[str, _Route]] = {
    "openai": _Route("openai"),
    "anthropic": _Route("anthropic"),
    "gemini": _Route("gemini"),
    "ollama": _Route("ollama"),
    "ollama_chat": _Route("ollama"),
    "openrouter": _compatible("https://openrouter.ai/api/v1", "openrouter"),
    "groq": _compatible("https://api.groq.com/openai/v1", "groq"),
    "deepseek": _compatible("https://api.deepseek.com/beta", "deepseek"),
    "mistral": _compatible("https://api.mistral.ai/v1", "mistral"),
    "xai": _compatible("https://api.x.ai/v1", "xai"),
    "together_ai": _Route(
        "openai",
        "https://api.together.ai/v1",
        ("TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY"),
        ("TOGETHER_AI_API_BASE",),
    ),
    "hosted_vllm": _compatible(None, "hosted_vllm"),
}
"""The litellm provider prefixes this module routes, and the eventide provider of each."""

_OPENAI_MODELS: Final = ("gpt-", "o1", "o3", "o4", "chatgpt-")


def split_model(model: str, *, has_base: bool) -> tuple[str, str]:
    """litellm's ``"provider/model"``: (prefix, model). A model with no known prefix is
    litellm's inference: ``claude-*`` is Anthropic's, ``gpt-*``/``o1``... and any model sent
    to an ``api_base`` are OpenAI-compatible.

    Raises:
        RequestError: An unknown prefix, or a model no provider can be inferred for.
    """
    if not isinstance(model, str) or not model:
        raise TypeError(f"model must be a non-empty string, not {model!r}")
    prefix, slash, rest = model.partition("/")
    if slash and rest and prefix in ROUTES:
        return prefix, rest
    if model.startswith("claude"):
        return "anthropic", model
    if model.startswith(_OPENAI_MODELS) or has_base:
        return "openai", model
    if slash:
        raise RequestError(
            f"{prefix!r} is not a provider eventide.compat.litellm routes: use one of "
            f"{', '.join(ROUTES)} (as 'provider/model'), or 'openai/<model>' with api_base= "
            "for any OpenAI-compatible server"
        )
    raise RequestError(
        f"LLM provider not provided for model {model!r}: pass model='provider/model', such "
        "as 'openai/gpt-4o-mini' or 'anthropic/claude-3-5-haiku-latest'"
    )


def _environment(names: tuple[str, ...]) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def _provider(
    prefix: str, *, api_key: str | None, api_base: str | None, timeouts: Timeouts | None
) -> Provider:
    """The eventide provider for a litellm prefix (keys and roots from the arguments, else
    litellm's environment variables, else eventide's).

    Raises:
        RequestError: A route that needs an API root and has none.
    """
    route = ROUTES[prefix]
    base = api_base or _environment(route.base_env) or route.base_url
    if route.kind == "openai" and prefix != "openai" and base is None:
        variable = route.base_env[0]
        raise RequestError(f"{prefix!r} needs its server: pass api_base= or set {variable}")
    return provider_from_name(
        route.kind,
        api_key=api_key or _environment(route.key_env),
        base_url=base,
        name=None if route.kind == prefix else prefix,
        timeouts=timeouts,
    )


# -- mock_response ---------------------------------------------------------------------------

MOCK_PROMPT_TOKENS: Final = 10
MOCK_COMPLETION_TOKENS: Final = 20
_MOCK_ERRORS: Final[Mapping[str, tuple[type[ProviderError], int, str]]] = {
    "litellm.RateLimitError": (RateLimitError, 429, "this is a mock rate limit error"),
    "litellm.ContextWindowExceededError": (
        ContextWindowExceededError,
        400,
        "this is a mock context window exceeded error",
    ),
    "litellm.InternalServerError": (ServerError, 500, "this is a mock internal server error"),
}


def _mock_provider(answer: str, *, provider: str, model: str) -> Provider:
    """A provider that answers `answer`, 3 characters a chunk as litellm's mock streams
    it, with litellm's mock usage, from an in-memory transport through the whole decoding
    path: no network I/O."""
    events: list[Event] = [Metadata(provider, model, model, response_id="chatcmpl-mock")]
    events += [TextDelta(answer[i : i + 3]) for i in range(0, len(answer), 3)]
    total = MOCK_PROMPT_TOKENS + MOCK_COMPLETION_TOKENS
    events += [Usage(MOCK_PROMPT_TOKENS, MOCK_COMPLETION_TOKENS, total), Finish("stop", "stop")]

    async def body(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        encoder = ChatStreamEncoder()
        for event in events:
            yield encoder.encode(event)

    return OpenAIChat(
        base_url="http://mock.invalid/v1",
        api_key="",
        model=model,
        name=provider,
        transport=InMemoryTransport(body),
    )


# -- one call --------------------------------------------------------------------------------

_REFUSED: Final[Mapping[str, str]] = {
    "custom_llm_provider": "the provider as the model's prefix: model='provider/model'",
    "api_version": "an api_base= with its ?api-version= query (Azure is out of scope)",
    "drop_params": "nothing: eventide raises for parameters a provider does not take",
    "caching": "nothing: response caching is out of scope",
    "mock_tool_calls": "eventide.testing's scripted provider",
    "model_list": "eventide.routing.Fallback over your providers",
    "litellm_logging_obj": "eventide's stages (tap, record) for logs",
}


def _timeouts(timeout: float | Timeouts | None) -> Timeouts | None:
    if timeout is None or isinstance(timeout, Timeouts):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds or Timeouts, not {timeout!r}")
    return Timeouts(total=float(timeout))


@final
@attrs.frozen
class _Call:
    """One litellm call, checked and ready.

    Attributes:
        provider: The one provider, or a `Router` over the model and its fallbacks (which
            closes the providers it was given).
        model: The model of the one provider (None for the router: its default alias).
        arguments: ``chat.completions.create``'s keywords.
    """

    provider: Provider
    model: str | None
    arguments: Mapping[str, Any]


def _route(
    candidates: list[tuple[Provider, str]], retries: int | None
) -> tuple[Provider, str | None]:
    """The one provider, or a `Router` whose default alias tries the candidates in turn
    (litellm moves on at once, unless ``num_retries`` asks for retries)."""
    if len(candidates) == 1 and retries is None:
        return candidates[0]
    names = {f"candidate{index}": made for index, (made, _) in enumerate(candidates)}
    entries = [f"{name}:{model}" for name, (_, model) in zip(names, candidates, strict=True)]
    router = Router(
        names,
        {"litellm": entries},
        default="litellm",
        owned=list(names.values()),
        name="litellm",
        retry=RetryPolicy(attempts=(retries or 0) + 1),
    )
    return router, None


def _prepare(
    model: str,
    messages: Sequence[Mapping[str, Any]] | str,
    *,
    api_key: str | None,
    api_base: str | None,
    timeout: float | Timeouts | None,
    num_retries: int | None,
    fallbacks: Sequence[str | Mapping[str, Any]] | None,
    mock_response: str | Exception | None,
    params: dict[str, Any],
) -> _Call:
    """Check a call's arguments and make its providers, before any I/O.

    Raises:
        TypeError: A litellm-only option with no meaning here (naming the replacement).
        RequestError: A model with an unknown prefix; a route missing its server.
        Error: ``mock_response`` is an exception, or names one of litellm's mock errors.
    """
    for name, replacement in _REFUSED.items():
        if params.pop(name, None):
            raise TypeError(f"{name}= has no meaning in eventide: use {replacement}")
    max_retries = params.pop("max_retries", None)
    retries = num_retries if num_retries is not None else max_retries
    if retries is not None and (
        isinstance(retries, bool) or not isinstance(retries, int) or retries < 0
    ):
        raise ValueError(f"num_retries must be an integer >= 0, not {retries!r}")
    timeouts = _timeouts(timeout)
    prefix, name = split_model(model, has_base=api_base is not None)
    if isinstance(mock_response, Exception):
        raise mock_response
    if mock_response is not None:
        mocked = _MOCK_ERRORS.get(mock_response)
        if mocked is not None:
            cls, status, message = mocked
            raise cls(message, provider=prefix, status_code=status)
        candidates = [(_mock_provider(mock_response, provider=prefix, model=name), name)]
    else:
        candidates = [
            (_provider(prefix, api_key=api_key, api_base=api_base, timeouts=timeouts), name)
        ]
        for fallback in fallbacks or ():
            spec = {"model": fallback} if isinstance(fallback, str) else dict(fallback)
            other_prefix, other_name = split_model(spec["model"], has_base="api_base" in spec)
            made = _provider(
                other_prefix,
                api_key=spec.get("api_key"),
                api_base=spec.get("api_base") or spec.get("base_url"),
                timeouts=timeouts,
            )
            candidates.append((made, other_name))
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    provider, routed_model = _route(candidates, retries)
    return _Call(provider, routed_model, {"messages": messages, **params})


# -- streams ---------------------------------------------------------------------------------


@final
class CompletionStream(SyncResource):
    """litellm's sync ``stream=True`` result: `ChatCompletionChunk` objects; ``for`` over
    it. Reaching the end, `close()`, ``with`` or collection closes the connection."""

    __slots__ = ("__weakref__", "_chunks", "_client")

    def __init__(self, client: Client, chunks: Iterator[ChatCompletionChunk]) -> None:
        self._client = client
        self._chunks = chunks
        weakref.finalize(self, client.close)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ChatCompletionChunk:
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise
        except Error as exc:
            self.close()
            _raise_as_litellm(exc)

    def close(self) -> None:
        """Close the connection and the client. Idempotent."""
        self._client.close()


@final
class AsyncCompletionStream(AsyncResource):
    """litellm's async ``stream=True`` result: ``async for`` over it. Reaching the end,
    `aclose()` or ``async with`` closes the connection and the providers; leaving the loop
    early closes the connection when the stream is collected."""

    __slots__ = ("_chunks", "_client", "_provider")

    def __init__(self, client: AsyncClient, chunks: ChunkStream, provider: Provider) -> None:
        self._client = client
        self._chunks = chunks
        self._provider = provider

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            await self.aclose()
            raise
        except Error as exc:
            await self.aclose()
            _raise_as_litellm(exc)

    async def aclose(self) -> None:
        """Close the connection, the client and the provider. Idempotent.

        Cancellation: shielded where it matters, as `EventStream.aclose` is.
        """
        try:
            await self._chunks.aclose()
        finally:
            await _close(self._client, self._provider)


async def _close(client: AsyncClient, provider: Provider) -> None:
    try:
        await client.aclose()
    finally:
        await provider.aclose()


# -- the entry points ------------------------------------------------------------------------

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
        eventide.Error: The request failed (litellm's names are aliases of these).
    """
    call = _prepare(
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
        try:
            chunks = client.chat.completions.create(stream=True, **call.arguments)
        except BaseException:
            client.close()
            raise
        return CompletionStream(client, chunks)
    with client:
        try:
            completed: ChatCompletion = client.chat.completions.create(**call.arguments)
        except Error as exc:
            _raise_as_litellm(exc)
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
    call = _prepare(
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
        try:
            chunks = client.chat.completions.create(stream=True, **call.arguments)
        except BaseException:
            await _close(client, call.provider)
            raise
        return AsyncCompletionStream(client, chunks, call.provider)
    try:
        completed: ChatCompletion = await client.chat.completions.create(**call.arguments)
    except Error as exc:
        _raise_as_litellm(exc)
    finally:
        await _close(client, call.provider)
    return completed


# -- stream_chunk_builder ----------------------------------------------------------------------

_FINISH_REASONS: Final = frozenset(get_args(FinishReason))


def _events(chunk: ChatCompletionChunk, first: bool) -> Iterator[Event]:
    """The events a chunk carries (the first chunk's `Metadata` too)."""
    if first:
        yield Metadata(chunk.provider, chunk.model, chunk.model, response_id=chunk.id or None)
    for choice in chunk.choices[:1]:
        delta = choice.delta
        if delta.reasoning:
            yield ReasoningDelta(delta.reasoning)
        if delta.content:
            yield TextDelta(delta.content)
        if delta.refusal:
            yield RefusalDelta(delta.refusal)
        for call in delta.tool_calls or ():
            index = call.index or 0
            yield ToolCallDelta(index, call.id, call.function.name, call.function.arguments)
        if choice.finish_reason is not None:
            reason = choice.finish_reason
            normal = reason if reason in _FINISH_REASONS else "other"
            yield Finish(normal, reason)  # type: ignore[arg-type]
    usage = chunk.usage
    if usage is not None:
        details = usage.prompt_tokens_details, usage.completion_tokens_details
        yield Usage(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            cache_read_tokens=details[0].cached_tokens if details[0] else None,
            reasoning_tokens=details[1].reasoning_tokens if details[1] else None,
        )


def stream_chunk_builder(
    chunks: Sequence[ChatCompletionChunk], messages: Messages | None = None
) -> ChatCompletion | None:
    """litellm's ``stream_chunk_builder``: the `ChatCompletion` the chunks of one stream
    make (text, reasoning, tool calls, usage, finish reason, provider), or None for no
    chunks. `messages` is accepted as litellm takes it; usage is what the provider
    reported (litellm estimates missing usage from the messages; eventide leaves it
    unknown, not a guess)."""
    if not chunks:
        return None
    collector = CompletionCollector()
    for index, chunk in enumerate(chunks):
        if not isinstance(chunk, ChatCompletionChunk):
            raise TypeError(f"chunks must be ChatCompletionChunk objects, not {chunk!r}")
        collector.feed_batch(_events(chunk, index == 0))
    return ChatCompletion.from_completion(collector.result(), created=chunks[0].created)
