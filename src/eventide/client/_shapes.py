"""OpenAI-shaped results (`ChatCompletion`, `ChatCompletionChunk`) made from eventide's events.

They are faithful to openai-python's models (``openai.types.chat``, read in openai-python
3.63.0): the same fields in the same order, the same ``model_dump()`` / ``to_dict()`` /
``to_json()`` / ``model_dump_json()`` (see `OpenAIModel`), the server's ``id``, ``created``,
``system_fingerprint`` and ``service_tier`` and the ``x-request-id`` header as
``_request_id``. They add what OpenAI's do not carry:

- ``provider`` (who served, as in g4f), on the completion and on every chunk, last in every
  dump;
- ``reasoning`` (thinking, DeepSeek's ``reasoning_content``, OpenRouter's ``reasoning``) on
  the message and on the deltas that carry it: only where there is some, so a dump has no
  ``reasoning`` key otherwise; ``.reasoning_content`` reads it under DeepSeek's name;
- on the whole completion, the eventide `Completion` itself (``.completion``, not dumped).

What eventide does not carry is never invented: ``logprobs`` is ``null`` (as OpenAI sends it
when not asked for), ``annotations``, ``audio``, ``obfuscation``, ``moderation`` are None,
and the usage details are the cached, cache-write and reasoning token counts only.

Chunks follow eventide's events, one chunk per delta event: a server chunk that carries two
things (the role and the first text or tool-call fragment, text and the finish reason, two
fragments) is two chunks here; the finish reason is the server's own when it is one of
OpenAI's five, else eventide's (``end_turn`` is ``stop``).

A result's message is an assistant message in OpenAI's form: ``messages.append(
completion.choices[0].message)`` continues the conversation (its ``model_dump(
exclude_none=True)`` is ``{"content": ..., "role": "assistant", "tool_calls": [...]}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final, assert_never, final

import msgspec

from .._events import (
    Finish,
    Metadata,
    Reasoning,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._openai_model import OpenAIModel

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._completion import Completion
    from .._events import Event

__all__ = [
    "CHUNKS_AT_ONCE",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "ChatToolCall",
    "Choice",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChunkChoice",
    "Chunker",
    "CompletionTokensDetails",
    "CompletionUsage",
    "Delta",
    "FunctionCall",
    "PromptTokensDetails",
]

CHUNKS_AT_ONCE: Final = 64
"""Events `Chunker.slices` makes into chunks at a time. A text chunk is four objects the
garbage collector counts (chunk, list, choice, delta): the chunks of a whole 64 KiB read
(~230 events) made at once are ~900, past its first threshold (700), and a collection then
moves every chunk and event of the read to an older generation, whose collections cost far
more (docs/performance.md)."""

_OPENAI_FINISH = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
_DEFAULT_ID = "chatcmpl-eventide"


def _names(names: str) -> tuple[str, ...]:
    """``"a b"`` -> ``("a", "b")``: OpenAI's field names, in its order."""
    return tuple(names.split())


def _finish_reason(reason: str | None, raw: str | None) -> str | None:
    """The server's own finish reason when it is one of OpenAI's, else eventide's."""
    return raw if raw in _OPENAI_FINISH else reason


class _Reasoning:
    __slots__ = ()
    if TYPE_CHECKING:
        reasoning: str | None

    @property
    def reasoning_content(self) -> str | None:
        """`reasoning` under the name DeepSeek and vLLM use."""
        return self.reasoning


# -- usage -----------------------------------------------------------------------------------


@final
class PromptTokensDetails(OpenAIModel, kw_only=True):
    """``usage.prompt_tokens_details``."""

    audio_tokens: int | None = None
    cache_write_tokens: int | None = None
    cached_tokens: int | None = None
    image_tokens: int | None = None
    text_tokens: int | None = None
    _fields = _names("audio_tokens cache_write_tokens cached_tokens image_tokens text_tokens")


@final
class CompletionTokensDetails(OpenAIModel, kw_only=True):
    """``usage.completion_tokens_details``."""

    accepted_prediction_tokens: int | None = None
    audio_tokens: int | None = None
    reasoning_tokens: int | None = None
    rejected_prediction_tokens: int | None = None
    text_tokens: int | None = None
    _fields = _names(
        "accepted_prediction_tokens audio_tokens "
        "reasoning_tokens rejected_prediction_tokens text_tokens"
    )


@final
class CompletionUsage(OpenAIModel, kw_only=True):
    """OpenAI's ``usage`` object."""

    completion_tokens: int | None
    prompt_tokens: int | None
    total_tokens: int | None
    completion_tokens_details: CompletionTokensDetails | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    _fields = _names(
        "completion_tokens prompt_tokens "
        "total_tokens completion_tokens_details prompt_tokens_details"
    )
    _required = frozenset(_fields[:3])

    @classmethod
    def from_usage(cls, usage: Usage | None) -> CompletionUsage | None:
        """OpenAI's usage object for `usage`: the cache reads as
        ``prompt_tokens_details.cached_tokens`` (cache writes as ``cache_write_tokens``),
        the reasoning tokens as ``completion_tokens_details.reasoning_tokens`` (each only
        when reported)."""
        if usage is None:
            return None
        cached, written = usage.cache_read_tokens, usage.cache_write_tokens
        reasoning = usage.reasoning_tokens
        prompt = None
        if cached is not None or written is not None:
            prompt = PromptTokensDetails(cached_tokens=cached, cache_write_tokens=written)
        return cls(
            completion_tokens=usage.output_tokens,
            prompt_tokens=usage.input_tokens,
            total_tokens=usage.total_tokens,
            completion_tokens_details=None
            if reasoning is None
            else CompletionTokensDetails(reasoning_tokens=reasoning),
            prompt_tokens_details=prompt,
        )


# -- the whole completion --------------------------------------------------------------------


@final
class FunctionCall(OpenAIModel):
    """The function of a message's tool call."""

    arguments: str
    name: str
    _fields = _names("arguments name")
    _required = frozenset(_fields)


@final
class ChatToolCall(OpenAIModel):
    """A message's tool call (``ChatCompletionMessageFunctionToolCall``)."""

    id: str
    function: FunctionCall
    type: str = "function"
    _fields = _names("id function type")
    _required = frozenset(_fields)


@final
class ChatMessage(OpenAIModel, _Reasoning, kw_only=True):
    """``choices[0].message``: the assistant's message, ready to append to ``messages``."""

    content: str | None = None
    refusal: str | None = None
    role: str = "assistant"
    tool_calls: list[ChatToolCall] | None = None
    reasoning: str | None = None
    annotations: ClassVar[None] = None
    audio: ClassVar[None] = None
    function_call: ClassVar[None] = None
    _fields = _names("content refusal role annotations audio function_call tool_calls")
    _required = frozenset({"role"})
    _sent = frozenset({"content", "refusal"})
    _extras = ("reasoning",)


@final
class Choice(OpenAIModel):
    """One of ``choices`` (eventide answers one: index 0)."""

    finish_reason: str | None
    message: ChatMessage
    index: int = 0
    logprobs: ClassVar[None] = None
    _fields = _names("finish_reason index logprobs message")
    _required = frozenset({"finish_reason", "index", "message"})
    _sent = frozenset({"logprobs"})


@final
class ChatCompletion(OpenAIModel, kw_only=True):
    """A whole response in OpenAI's ``chat.completion`` shape, plus ``provider``."""

    id: str
    choices: list[Choice]
    created: int
    model: str
    provider: str
    service_tier: str | None = None
    system_fingerprint: str | None = None
    usage: CompletionUsage | None = None
    _request_id: str | None = None
    completion: Completion | None = None
    """The eventide `Completion` it was made from (timing, raw finish reason, ...); not
    dumped."""
    object: ClassVar[str] = "chat.completion"
    metadata: ClassVar[None] = None
    moderation: ClassVar[None] = None
    _fields = _names(
        "id choices created model object metadata moderation service_tier system_fingerprint usage"
    )
    _required = frozenset({"id", "choices", "created", "model", "object"})
    _extras = ("provider",)

    @property
    def content(self) -> str | None:
        """``choices[0].message.content``."""
        return self.choices[0].message.content

    @property
    def reasoning(self) -> str | None:
        """``choices[0].message.reasoning``."""
        return self.choices[0].message.reasoning

    @property
    def tool_calls(self) -> list[ChatToolCall] | None:
        """``choices[0].message.tool_calls``."""
        return self.choices[0].message.tool_calls

    @property
    def finish_reason(self) -> str | None:
        """``choices[0].finish_reason``."""
        return self.choices[0].finish_reason

    @classmethod
    def from_completion(cls, completion: Completion, *, created: int = 0) -> ChatCompletion:
        """The `ChatCompletion` of `completion`; `created` unless the server gave one."""
        metadata = completion.metadata
        extra = metadata.extra if metadata is not None else {}
        calls = [
            ChatToolCall(call.id, FunctionCall(call.arguments, call.name))
            for call in completion.tool_calls
        ]
        refusal = completion.refusal
        message = ChatMessage(
            content=completion.text if completion.text or not (calls or refusal) else None,
            refusal=refusal,
            tool_calls=calls or None,
            reasoning=completion.reasoning or None,
        )
        reason = _finish_reason(completion.finish_reason, completion.raw_finish_reason)
        return cls(
            id=(metadata.response_id if metadata else None) or _DEFAULT_ID,
            choices=[Choice(reason, message)],
            created=_created(extra, created),
            model=completion.model or "",
            provider=metadata.provider if metadata else "",
            service_tier=_text(extra, "service_tier"),
            system_fingerprint=_text(extra, "system_fingerprint"),
            usage=CompletionUsage.from_usage(completion.usage),
            _request_id=_text(extra, "request_id"),
            completion=completion,
        )


def _text(extra: dict[str, Any], key: str) -> str | None:
    value = extra.get(key)
    return value if isinstance(value, str) else None


def _created(extra: dict[str, Any], default: int) -> int:
    value = extra.get("created")
    return value if type(value) is int else default


# -- chunks ----------------------------------------------------------------------------------


@final
class ChoiceDeltaToolCallFunction(OpenAIModel):
    """The function of a tool-call fragment: the name on the first, arguments pieces."""

    arguments: str
    name: str | None = None
    _fields = _names("arguments name")


@final
class ChoiceDeltaToolCall(OpenAIModel):
    """A tool-call fragment: ``index`` on each; ``id``, ``type`` and the name on the first.
    ``function`` and its ``arguments`` (maybe "") are always there, where OpenAI's types
    allow None."""

    index: int
    id: str | None
    function: ChoiceDeltaToolCallFunction
    type: str | None = None
    _fields = _names("index id function type")
    _required = frozenset({"index"})


@final
class Delta(OpenAIModel, _Reasoning):
    """``choices[0].delta``: what one chunk adds."""

    content: str | None = None
    refusal: str | None = None
    role: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    reasoning: str | None = None
    audio: ClassVar[None] = None
    function_call: ClassVar[None] = None
    _fields = _names("audio content function_call refusal role tool_calls")
    _extras = ("reasoning",)


@final
class ChunkChoice(OpenAIModel):
    """One of a chunk's ``choices`` (index 0: eventide streams one choice)."""

    delta: Delta
    finish_reason: str | None = None
    index: ClassVar[int] = 0
    logprobs: ClassVar[None] = None
    _fields = _names("delta index finish_reason logprobs")
    _required = frozenset({"delta", "index"})
    _sent = frozenset({"finish_reason", "logprobs"})


@final
class _Stream(msgspec.Struct, frozen=True):
    """What every chunk of one stream shares (from its `Metadata`): a chunk holds this
    rather than seven fields of its own, so that it is cheap to build."""

    id: str = _DEFAULT_ID
    created: int = 0
    model: str = ""
    provider: str = ""
    system_fingerprint: str | None = None
    service_tier: str | None = None
    request_id: str | None = None
    usage_sent: bool = False  # include_usage: "usage": null on every other chunk


_STREAM_SENT = frozenset({"usage"})


@final
class ChatCompletionChunk(OpenAIModel):
    """One streamed piece in OpenAI's ``chat.completion.chunk`` shape; every chunk carries
    ``provider`` and ``model``, and the first one is the metadata chunk."""

    _stream: _Stream
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    object: ClassVar[str] = "chat.completion.chunk"
    moderation: ClassVar[None] = None
    obfuscation: ClassVar[None] = None
    _fields = _names(
        "id choices created model object "
        "moderation obfuscation service_tier system_fingerprint usage"
    )
    _required = frozenset({"id", "choices", "created", "model", "object"})
    _extras = ("provider",)

    def _sent_fields(self) -> frozenset[str]:
        return _STREAM_SENT if self._stream.usage_sent else self._sent

    @property
    def id(self) -> str:
        """The server's id of the response (every chunk has the same)."""
        return self._stream.id

    @property
    def created(self) -> int:
        """The server's Unix time of the response, else the time of the call."""
        return self._stream.created

    @property
    def model(self) -> str:
        """The model that served, as the provider reports it."""
        return self._stream.model

    @property
    def provider(self) -> str:
        """The provider that served."""
        return self._stream.provider

    @property
    def system_fingerprint(self) -> str | None:
        """The server's ``system_fingerprint``, where it sent one."""
        return self._stream.system_fingerprint

    @property
    def service_tier(self) -> str | None:
        """The server's ``service_tier``, where it sent one."""
        return self._stream.service_tier

    @property
    def _request_id(self) -> str | None:
        """The response's ``x-request-id`` header (openai-python's ``_request_id``)."""
        return self._stream.request_id


@final
class Chunker:
    """Makes the chunk for each event of one stream, as OpenAI streams them.

    The first chunk (from `Metadata`) has the delta ``{"role": "assistant", "content":
    ""}``; then one chunk per delta event (None for `ToolCall` and `Reasoning`: their pieces
    were already streamed, or they are opaque); the finish chunk has an empty delta. `Usage`
    makes no chunk here: with ``include_usage`` its chunk (empty ``choices``) is held and
    `end` gives it, after the finish chunk, as OpenAI sends it last; without, there is
    none (nor when the provider reported no usage: unknown is not zero). Text deltas,
    nearly every event, take a short path.
    """

    __slots__ = ("_include_usage", "_stream", "_tail")

    def __init__(self, *, created: int = 0, include_usage: bool = False) -> None:
        self._stream = _Stream(created=created, usage_sent=include_usage)
        self._include_usage = include_usage
        self._tail: ChatCompletionChunk | None = None

    def __call__(self, event: Event) -> ChatCompletionChunk | None:
        """The chunk for `event`."""
        if type(event) is TextDelta:
            return ChatCompletionChunk(self._stream, [ChunkChoice(Delta(event.text))])
        match event:
            case Metadata():
                self._stream = _stream(event, self._stream)
                delta = Delta("", role="assistant")
            case ReasoningDelta(text=text):
                delta = Delta(reasoning=text)
            case RefusalDelta(text=text):
                delta = Delta(refusal=text)
            case ToolCallDelta(index=index, id=call_id, name=name, arguments=arguments):
                function = ChoiceDeltaToolCallFunction(arguments, name)
                kind = None if call_id is None else "function"
                delta = Delta(tool_calls=[ChoiceDeltaToolCall(index, call_id, function, kind)])
            case Usage():
                if self._include_usage:
                    usage = CompletionUsage.from_usage(event)
                    self._tail = ChatCompletionChunk(self._stream, [], usage)
                return None
            case Finish(reason=reason, raw_reason=raw):
                choice = ChunkChoice(Delta(), _finish_reason(reason, raw))
                return ChatCompletionChunk(self._stream, [choice])
            case ToolCall() | Reasoning():  # already sent as deltas; opaque data: no chunk
                return None
            case _:  # pragma: no cover - mypy proves every event class is handled
                assert_never(event)
        return ChatCompletionChunk(self._stream, [ChunkChoice(delta)])

    def batch(self, events: list[Event]) -> list[ChatCompletionChunk]:
        """The chunks of `events`, in order (an event that makes none has none here)."""
        chunks: list[ChatCompletionChunk] = []
        add = chunks.append
        for event in events:
            if type(event) is TextDelta:  # `__call__`'s short path, without its call
                add(ChatCompletionChunk(self._stream, [ChunkChoice(Delta(event.text))]))
            elif (chunk := self(event)) is not None:
                add(chunk)
        return chunks

    def slices(self, events: list[Event]) -> Iterator[list[ChatCompletionChunk]]:
        """The chunks of `events`, in order, made `CHUNKS_AT_ONCE` events at a time as the
        lists are asked for (none empty)."""
        for start in range(0, len(events), CHUNKS_AT_ONCE):
            if chunks := self.batch(events[start : start + CHUNKS_AT_ONCE]):
                yield chunks

    def end(self) -> ChatCompletionChunk | None:
        """The chunk after the last event's: the usage chunk, with ``include_usage`` (once)."""
        tail, self._tail = self._tail, None
        return tail


def _stream(metadata: Metadata, given: _Stream) -> _Stream:
    """What the chunks of the stream that `metadata` opens share."""
    extra = metadata.extra
    return _Stream(
        id=metadata.response_id or _DEFAULT_ID,
        created=_created(extra, given.created),
        model=metadata.model,
        provider=metadata.provider,
        system_fingerprint=_text(extra, "system_fingerprint"),
        service_tier=_text(extra, "service_tier"),
        request_id=_text(extra, "request_id"),
        usage_sent=given.usage_sent,
    )
