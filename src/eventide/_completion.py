"""`Completion`: a whole response, as collected from its events."""

from __future__ import annotations

from typing import Any, final

import attrs

from ._events import Metadata, Reasoning, Usage
from ._request import Message

__all__ = ["CompletedToolCall", "Completion", "Timing"]


@final
@attrs.frozen
class CompletedToolCall:
    """A tool call of a collected response.

    Attributes:
        id: The provider's id for the call.
        name: The function name.
        arguments: The JSON arguments text, exactly as the model wrote it.
        parsed: `arguments` parsed as JSON, or None when it is not valid JSON
            (`arguments_valid` tells that apart from a literal ``null``).
        arguments_valid: Whether `arguments` parsed as JSON.
        signature: The call's opaque signature to send back (`ToolCall.signature`), or None.
    """

    id: str
    name: str
    arguments: str
    parsed: Any = attrs.field(default=None, hash=False)
    arguments_valid: bool = True
    signature: str | None = None


@final
@attrs.frozen
class Timing:
    """Seconds from the start of collection to each milestone (None: not reached)."""

    to_metadata: float | None = None
    to_first_content: float | None = None
    total: float | None = None


@final
@attrs.frozen
class Completion:
    """A whole response: what `eventide.collect()` returns, and `Error.partial` holds.

    Attributes:
        metadata: Who served it (None only in a partial result that failed before metadata).
        text: The answer text.
        reasoning: The reasoning text ("" when the model streamed none).
        refusal: The refusal text when the model declined to answer (`RefusalDelta`),
            else None.
        tool_calls: Complete tool calls, their arguments parsed.
        usage: Final token counts, or None when the provider reported none.
        finish_reason: Normalised reason, or None for a partial result.
        raw_finish_reason: The provider's own reason.
        timing: When the milestones were reached.
        late_model: The served model when the server named it only after the metadata
            (`Finish.model`), else None; `model` prefers it.
        reasoning_blocks: The whole reasoning blocks (`Reasoning` events) with the opaque
            data the next request must send back, in order.
    """

    metadata: Metadata | None
    text: str = ""
    reasoning: str = ""
    tool_calls: tuple[CompletedToolCall, ...] = ()
    refusal: str | None = None
    usage: Usage | None = None
    finish_reason: str | None = None
    raw_finish_reason: str | None = None
    timing: Timing = Timing()
    late_model: str | None = None
    reasoning_blocks: tuple[Reasoning, ...] = ()

    def to_message(self) -> Message:
        """The assistant `Message` of this response, to append to the conversation (with
        the tool results) for the next request: its text, its reasoning blocks with their
        signatures, and its tool calls."""
        return Message.assistant(
            self.text, tool_calls=self.tool_calls, reasoning=self.reasoning_blocks
        )

    @property
    def provider(self) -> str | None:
        """The provider that served, from the metadata."""
        return self.metadata.provider if self.metadata is not None else None

    @property
    def model(self) -> str | None:
        """The model that served: as the server named it, after the metadata if it was
        only named then (`late_model`), else from the metadata."""
        if self.late_model is not None:
            return self.late_model
        return self.metadata.model if self.metadata is not None else None

    @property
    def complete(self) -> bool:
        """Whether the response reached its end (a partial result is not complete)."""
        return self.finish_reason is not None
