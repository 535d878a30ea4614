"""The event contract: every class a stream can yield, and nothing else.

A stream yields exactly one `Metadata` first, then any number of content deltas
(`TextDelta`, `ReasoningDelta`, `Reasoning`, `RefusalDelta`, `ToolCallDelta`, `ToolCall`), at
most one `Usage`, and
exactly one `Finish` last when the response is complete. Events are frozen and slotted:
cheap to build (about 0.3 µs), safe to share, and derived with `attrs.evolve()`.

Consumers `match` on them and close with `typing.assert_never`, so that mypy flags a
consumer that misses an event class added later.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Attempt",
    "Event",
    "Finish",
    "FinishReason",
    "Metadata",
    "Reasoning",
    "ReasoningApi",
    "ReasoningDelta",
    "RefusalDelta",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
]

FinishReason: TypeAlias = Literal[
    "stop", "length", "tool_calls", "content_filter", "refusal", "error", "other"
]
"""Why a response ended, normalised across providers; the provider's own word is kept too."""


@final
@attrs.frozen
class Attempt:
    """One failed attempt that a router abandoned before the attempt that served.

    Attributes:
        provider: The provider that was tried.
        model: The model that was asked for.
        error: The error kind (`Error.kind`), such as ``"rate_limit"`` or ``"timeout"``.
        message: The error's one-line message.
        status_code: The HTTP status, when the failure was an HTTP error.
        retry_after: Seconds the provider asked to wait, when it said so.
        elapsed: Seconds the attempt took before it was abandoned.
    """

    provider: str
    model: str | None
    error: str
    message: str = ""
    status_code: int | None = None
    retry_after: float | None = None
    elapsed: float = 0.0


@final
@attrs.frozen
class Metadata:
    """Who is serving this response: always the first event, exactly once.

    Attributes:
        provider: The name of the provider that served (``"openai"``, ``"demo"``, ...).
        model: The model as the provider reports it, else the requested one (when the
            server names the served model only later, `Finish.model` carries it).
        requested_model: The model that was asked for.
        response_id: The provider's id for this response, when it gives one.
        attempts: Failed attempts before this one (routers fill this in).
        extra: Provider-specific details: request id, system fingerprint, ...
    """

    kind: ClassVar[str] = "metadata"
    provider: str
    model: str
    requested_model: str
    response_id: str | None = None
    attempts: tuple[Attempt, ...] = ()
    extra: dict[str, Any] = attrs.field(factory=dict, hash=False)


@final
@attrs.frozen
class TextDelta:
    """A piece of the answer text."""

    kind: ClassVar[str] = "text_delta"
    text: str


@final
@attrs.frozen
class ReasoningDelta:
    """A piece of the model's reasoning (thinking, ``reasoning_content``, thought summaries)."""

    kind: ClassVar[str] = "reasoning_delta"
    text: str


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


ReasoningApi: TypeAlias = Literal["anthropic", "gemini", "openai_responses"]
"""The wire APIs whose reasoning must be sent back as it came (the `Reasoning.api` values)."""


@final
@attrs.frozen
class Reasoning:
    """A whole reasoning block, sent once at its end, with the opaque data that continuing
    the conversation needs back.

    Why a separate event: `ReasoningDelta` stays the one piece of reasoning text that text
    consumers read, so they are unaffected; the opaque part (a signature, encrypted data) is
    only whole at the block's end, and only the next request needs it. `Completion` keeps
    these events (`Completion.reasoning_blocks`), `Completion.to_message()` puts them on the
    assistant `Message`, and the body builder of the same `api` writes them back as that
    API wants them; a body builder of another API drops them (another provider's signature
    is meaningless to it and would get the whole request rejected). It counts as content
    (`CONTENT_EVENTS`): a router that has delivered it does not fail over.

    Attributes:
        api: The wire API that made the block (`ReasoningApi`): only that API gets it back.
        text: The block's whole reasoning text, as its `ReasoningDelta` pieces gave it
            ("" for a redacted block).
        signature: The opaque signature to send back with the text (Anthropic thinking
            ``signature``), or None.
        redacted: The encrypted reasoning to send back as it came (Anthropic
            ``redacted_thinking``'s ``data``, Responses ``encrypted_content``), or None.
        id: The provider's id for the block (the Responses reasoning item ``id``), or None.
        summary: The block's text in the parts the provider gave it (the Responses
            reasoning item's ``summary`` texts; `text` joins them with a blank line), so that
            it goes back as it came; () when the provider has no parts.
    """

    kind: ClassVar[str] = "reasoning"
    api: ReasoningApi
    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    id: str | None = None
    summary: tuple[str, ...] = attrs.field(default=(), converter=_strings)


@final
@attrs.frozen
class RefusalDelta:
    """A piece of a refusal: the model declined to answer, and says why, in place of the
    answer (OpenAI ``delta.refusal``, Responses ``response.refusal.delta``). Collected into
    `Completion.refusal`, never into the answer text."""

    kind: ClassVar[str] = "refusal_delta"
    text: str


@final
@attrs.frozen
class ToolCallDelta:
    """A fragment of a tool call as it streams.

    `id` and `name` are set on the first fragment of a call and None afterwards;
    `arguments` is the next piece of the call's JSON arguments text.
    """

    kind: ClassVar[str] = "tool_call_delta"
    index: int
    id: str | None
    name: str | None
    arguments: str


@final
@attrs.frozen
class ToolCall:
    """A complete tool call: emitted once per call, when the call is complete.

    Attributes:
        index: The call's position among the response's tool calls.
        id: The provider's id for the call (synthesised where the provider gives none).
        name: The function name.
        arguments: The complete JSON arguments text, exactly as the model wrote it.
        signature: Gemini's ``thoughtSignature`` on the call's ``functionCall`` part, which
            the next request must send back on that same call; None elsewhere (only the
            Gemini body builder reads it).
    """

    kind: ClassVar[str] = "tool_call"
    index: int
    id: str
    name: str
    arguments: str
    signature: str | None = None


@final
@attrs.frozen
class Usage:
    """Final token counts as the provider reported them: sent at most once, never a guess.

    One meaning for every provider (the mapping per provider is in docs/providers.md):
    counts the provider did not report are None (unknown is not zero), and `total_tokens`,
    when the provider leaves it out, is computed from the two parts if both are known.

    Attributes:
        input_tokens: Every prompt token, the cached ones included.
        output_tokens: Every generated token, the reasoning ones included.
        total_tokens: Input plus output, as the provider reported it, else computed.
        cache_read_tokens: The part of `input_tokens` read from the provider's prompt cache.
        cache_write_tokens: The part of `input_tokens` written to the prompt cache.
        reasoning_tokens: The part of `output_tokens` spent reasoning.
    """

    kind: ClassVar[str] = "usage"
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.total_tokens is None and None not in (self.input_tokens, self.output_tokens):
            total = self.input_tokens + self.output_tokens  # type: ignore[operator]
            object.__setattr__(self, "total_tokens", total)

    @property
    def cached_tokens(self) -> int | None:
        """Deprecated: `cache_read_tokens` under its old name (read-only)."""
        warnings.warn(
            "Usage.cached_tokens is deprecated: use cache_read_tokens",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.cache_read_tokens


@final
@attrs.frozen
class Finish:
    """The last event of a complete response.

    Attributes:
        reason: Why the response ended, normalised (`FinishReason`).
        raw_reason: The provider's own word for it, or None when it gave none.
        model: The served model, when the server named it only after `Metadata` was sent
            (whose `model` then holds the requested one: llama-server's Responses stream
            names it first in ``response.completed``); None when `Metadata` already had it.
            `Completion.model` prefers it.
    """

    kind: ClassVar[str] = "finish"
    reason: FinishReason
    raw_reason: str | None = None
    model: str | None = None


Event: TypeAlias = (
    Metadata
    | TextDelta
    | ReasoningDelta
    | Reasoning
    | RefusalDelta
    | ToolCallDelta
    | ToolCall
    | Usage
    | Finish
)
"""Everything a stream yields."""

CONTENT_EVENTS: tuple[type[Event], ...] = (
    TextDelta,
    ReasoningDelta,
    Reasoning,
    RefusalDelta,
    ToolCallDelta,
    ToolCall,
)
"""The events that carry answer content (what routers and errors call 'content emitted')."""
