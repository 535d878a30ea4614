"""OpenAI-shaped results (`ChatCompletion`, `ChatCompletionChunk`) made from eventide's events.

They carry what OpenAI's objects carry — ``.choices[0].message.content``, ``.usage`` — plus
what OpenAI's do not: ``.provider`` (who served, as in g4f), ``.reasoning`` and, on the
whole completion, the eventide `Completion` itself. ``model_dump()`` / ``to_dict()`` give the
OpenAI JSON shape (with ``provider`` added).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, assert_never, final

import attrs
from cattrs.gen import make_dict_unstructure_fn, override

from .._completion import Completion
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
from .._serde import converter

if TYPE_CHECKING:
    from .._events import Event

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "ChatToolCall",
    "Choice",
    "ChunkChoice",
    "Chunker",
    "CompletionTokensDetails",
    "CompletionUsage",
    "Delta",
    "FunctionCall",
    "PromptTokensDetails",
]


class _Dumpable:
    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI JSON shape, as plain dicts and lists (``provider`` included)."""
        data: dict[str, Any] = converter.unstructure(self)
        return data

    def model_dump(self) -> dict[str, Any]:
        """The same as `to_dict`, under the name pydantic models use."""
        return self.to_dict()


@final
@attrs.define
class FunctionCall(_Dumpable):
    name: str | None
    arguments: str


@final
@attrs.define
class ChatToolCall(_Dumpable):
    id: str | None
    function: FunctionCall
    type: str = "function"
    index: int | None = None


class _Reasoning(_Dumpable):
    __slots__ = ()
    reasoning: str | None

    @property
    def reasoning_content(self) -> str | None:
        """`reasoning` under the name DeepSeek and vLLM use."""
        return self.reasoning


@final
@attrs.define
class ChatMessage(_Reasoning):
    content: str | None
    role: str = "assistant"
    reasoning: str | None = None
    tool_calls: tuple[ChatToolCall, ...] | None = None
    refusal: str | None = None


@final
@attrs.define
class Choice(_Dumpable):
    index: int
    message: ChatMessage
    finish_reason: str | None


@final
@attrs.define
class PromptTokensDetails(_Dumpable):
    cached_tokens: int | None = None


@final
@attrs.define
class CompletionTokensDetails(_Dumpable):
    reasoning_tokens: int | None = None


@final
@attrs.define
class CompletionUsage(_Dumpable):
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None

    @classmethod
    def from_usage(cls, usage: Usage | None) -> CompletionUsage | None:
        """OpenAI's usage object for `usage`: the cache reads as
        ``prompt_tokens_details.cached_tokens``, the reasoning tokens as
        ``completion_tokens_details.reasoning_tokens`` (each only when reported)."""
        if usage is None:
            return None
        cached, reasoning = usage.cache_read_tokens, usage.reasoning_tokens
        return cls(
            usage.input_tokens,
            usage.output_tokens,
            usage.total_tokens,
            None if cached is None else PromptTokensDetails(cached),
            None if reasoning is None else CompletionTokensDetails(reasoning),
        )


@final
@attrs.define
class ChatCompletion(_Dumpable):
    """A whole response in OpenAI's ``chat.completion`` shape, plus ``provider``."""

    id: str
    model: str
    provider: str
    choices: tuple[Choice, ...]
    usage: CompletionUsage | None
    created: int = 0
    object: str = "chat.completion"
    completion: Completion | None = None
    """The eventide `Completion` it was made from (timing, raw finish reason, ...); not in
    `to_dict`."""

    @property
    def content(self) -> str | None:
        """``choices[0].message.content``."""
        return self.choices[0].message.content

    @property
    def reasoning(self) -> str | None:
        """``choices[0].message.reasoning``."""
        return self.choices[0].message.reasoning

    @property
    def tool_calls(self) -> tuple[ChatToolCall, ...] | None:
        """``choices[0].message.tool_calls``."""
        return self.choices[0].message.tool_calls

    @property
    def finish_reason(self) -> str | None:
        """``choices[0].finish_reason``."""
        return self.choices[0].finish_reason

    @classmethod
    def from_completion(cls, completion: Completion, *, created: int = 0) -> ChatCompletion:
        metadata = completion.metadata
        calls = tuple(
            ChatToolCall(call.id, FunctionCall(call.name, call.arguments), index=None)
            for call in completion.tool_calls
        )
        refusal = completion.refusal
        message = ChatMessage(
            content=completion.text if completion.text or not (calls or refusal) else None,
            reasoning=completion.reasoning or None,
            tool_calls=calls or None,
            refusal=refusal,
        )
        return cls(
            id=(metadata.response_id if metadata else None) or "chatcmpl-eventide",
            model=completion.model or "",
            provider=metadata.provider if metadata else "",
            choices=(Choice(0, message, completion.finish_reason),),
            usage=CompletionUsage.from_usage(completion.usage),
            created=created,
            completion=completion,
        )


@final
@attrs.define
class Delta(_Reasoning):
    content: str | None = None
    role: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[ChatToolCall, ...] | None = None
    refusal: str | None = None


@final
@attrs.define
class ChunkChoice(_Dumpable):
    index: int
    delta: Delta
    finish_reason: str | None = None


@final
@attrs.define
class ChatCompletionChunk(_Dumpable):
    """One streamed piece in OpenAI's ``chat.completion.chunk`` shape; every chunk carries
    ``provider`` and ``model``, and the first one is the metadata chunk."""

    id: str
    model: str
    provider: str
    choices: tuple[ChunkChoice, ...]
    usage: CompletionUsage | None = None
    created: int = 0
    object: str = "chat.completion.chunk"


converter.register_unstructure_hook(
    ChatCompletion,
    make_dict_unstructure_fn(ChatCompletion, converter, completion=override(omit=True)),
)


@final
class Chunker:
    """Makes the chunk for each event of one stream (None for `ToolCall`: its pieces were
    already streamed). The id, model and provider come from the stream's `Metadata`, which
    an `EventStream` yields first; text deltas, nearly every event, take a short path."""

    __slots__ = ("_created", "_id", "_model", "_provider")

    def __init__(self, *, created: int = 0) -> None:
        self._created = created
        self._id = self._model = self._provider = ""

    def __call__(self, event: Event) -> ChatCompletionChunk | None:
        """The chunk for `event`."""
        if type(event) is TextDelta:
            choices: tuple[ChunkChoice, ...] = (ChunkChoice(0, Delta(event.text)),)
            return ChatCompletionChunk(
                self._id, self._model, self._provider, choices, None, self._created
            )
        usage = None
        match event:
            case Metadata():
                self._id = event.response_id or "chatcmpl-eventide"
                self._model, self._provider = event.model, event.provider
                choices = (ChunkChoice(0, Delta(content="", role="assistant")),)
            case ReasoningDelta(text=text):
                choices = (ChunkChoice(0, Delta(reasoning=text)),)
            case RefusalDelta(text=text):
                choices = (ChunkChoice(0, Delta(refusal=text)),)
            case ToolCallDelta(index=index, id=call_id, name=name, arguments=arguments):
                call = ChatToolCall(call_id, FunctionCall(name, arguments), index=index)
                choices = (ChunkChoice(0, Delta(tool_calls=(call,))),)
            case Usage():
                choices = ()
                usage = CompletionUsage.from_usage(event)
            case Finish(reason=reason):
                choices = (ChunkChoice(0, Delta(), reason),)
            case ToolCall() | Reasoning():  # already sent as deltas; opaque data: no chunk
                return None
            case _:  # pragma: no cover - mypy proves every event class is handled
                assert_never(event)
        return ChatCompletionChunk(
            self._id, self._model, self._provider, choices, usage, self._created
        )
