"""Events -> Anthropic's Messages API, streamed (named server-sent events) or whole.

The stream has the shape of Anthropic's "Streaming Messages" reference
(docs.anthropic.com/en/api/messages-streaming, read 2026-12): ``message_start``; per
content block ``content_block_start``, its ``content_block_delta``s (``text_delta``,
``thinking_delta`` then ``signature_delta``, ``input_json_delta``), ``content_block_stop``;
``message_delta`` with the stop reason and usage; ``message_stop``. Does no I/O.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, final

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
from ._provenance import attempt_list

if TYPE_CHECKING:
    from .._completion import Completion
    from .._events import Event

__all__ = ["AnthropicStreamEncoder", "anthropic_message", "stop_reason"]

_STOP_REASONS: Final = frozenset(
    {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"}
)
_BY_REASON: Final = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "refusal": "refusal",
}
_DEFAULT_ID = "msg_eventide"


def stop_reason(reason: str | None, raw: str | None) -> str:
    """The upstream's own stop reason when it is one of Anthropic's, else eventide's mapped."""
    if raw in _STOP_REASONS:
        return raw
    return _BY_REASON.get(reason or "", "end_turn")


def _usage(usage: Usage | None) -> dict[str, Any]:
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    wire: dict[str, Any] = {
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
    }
    if usage.cache_read_tokens is not None:
        wire["cache_read_input_tokens"] = usage.cache_read_tokens
    if usage.cache_write_tokens is not None:
        wire["cache_creation_input_tokens"] = usage.cache_write_tokens
    return wire


def _frame(data: dict[str, Any]) -> bytes:
    body = json.dumps(data, separators=(",", ":"))
    return f"event: {data['type']}\ndata: {body}\n\n".encode()


def _input(arguments: str) -> Any:
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {}


@final
class AnthropicStreamEncoder:
    """Encode events one at a time as an Anthropic Messages stream, ``provider`` on the
    ``message_start`` message. Does no I/O.

    Args:
        attempts: Put the failed attempts (``attempts``) on the ``message_start`` message,
            beside ``provider``.
    """

    __slots__ = ("_attempts", "_block", "_count", "_tools", "_usage")

    def __init__(self, *, attempts: bool = False) -> None:
        self._attempts = attempts
        self._block: str | None = None  # the kind of the open block
        self._count = 0  # blocks started
        self._tools: dict[int, int] = {}  # eventide tool index -> open block index
        self._usage: Usage | None = None

    def encode(self, event: Event) -> bytes:
        """The stream bytes for one event (b"" when it adds nothing yet)."""
        match event:
            case Metadata():
                message: dict[str, Any] = {
                    "id": event.response_id or _DEFAULT_ID,
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": event.model,
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": _usage(None),
                    "provider": event.provider,
                }
                if self._attempts:
                    message["attempts"] = attempt_list(event)
                return _frame({"type": "message_start", "message": message})
            case TextDelta() | RefusalDelta():
                head = self._open("text", {"type": "text", "text": ""})
                return head + self._delta({"type": "text_delta", "text": event.text})
            case ReasoningDelta():
                block = {"type": "thinking", "thinking": "", "signature": ""}
                head = self._open("thinking", block)
                return head + self._delta({"type": "thinking_delta", "thinking": event.text})
            case Reasoning():
                return self._reasoning(event)
            case ToolCallDelta() | ToolCall():
                return self._tool(event)
            case Usage():
                self._usage = event
                return b""
            case Finish():
                delta = {
                    "stop_reason": stop_reason(event.reason, event.raw_reason),
                    "stop_sequence": None,
                }
                end = {"type": "message_delta", "delta": delta, "usage": _usage(self._usage)}
                return self._close() + _frame(end) + _frame({"type": "message_stop"})

    def _reasoning(self, event: Reasoning) -> bytes:
        if event.redacted is not None:
            block = {"type": "redacted_thinking", "data": event.redacted}
            return self._open("redacted", block, always=True) + self._close()
        if event.signature is None or self._block != "thinking":
            return b""
        return self._delta({"type": "signature_delta", "signature": event.signature})

    def _tool(self, event: ToolCallDelta | ToolCall) -> bytes:
        out = b""
        first = event.index not in self._tools
        if first:
            block: dict[str, Any] = {"type": "tool_use", "id": event.id, "name": event.name}
            block["input"] = {}
            out = self._open("tool", block, always=True)
            self._tools[event.index] = self._count - 1
        if (first or type(event) is ToolCallDelta) and event.arguments:
            out += self._delta({"type": "input_json_delta", "partial_json": event.arguments})
        if type(event) is ToolCall and self._block == "tool":
            out += self._close()
        return out

    def _open(self, kind: str, block: dict[str, Any], *, always: bool = False) -> bytes:
        if self._block == kind and not always:
            return b""
        out = self._close()
        self._block = kind
        self._count += 1
        start = {"type": "content_block_start", "index": self._count - 1, "content_block": block}
        return out + _frame(start)

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _frame({"type": "content_block_delta", "index": self._count - 1, "delta": delta})

    def _close(self) -> bytes:
        if self._block is None:
            return b""
        self._block = None
        return _frame({"type": "content_block_stop", "index": self._count - 1})


def anthropic_message(completion: Completion) -> dict[str, Any]:
    """The whole ``message`` object of `completion`, with ``provider``."""
    content: list[dict[str, Any]] = []
    blocks = [block for block in completion.reasoning_blocks if block.api == "anthropic"]
    for block in blocks:
        if block.redacted is not None:
            content.append({"type": "redacted_thinking", "data": block.redacted})
        else:
            thinking = {"type": "thinking", "thinking": block.text}
            content.append({**thinking, "signature": block.signature or ""})
    if completion.reasoning and not blocks:
        content.append({"type": "thinking", "thinking": completion.reasoning, "signature": ""})
    text = completion.text or completion.refusal or ""
    if text:
        content.append({"type": "text", "text": text})
    content.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": _input(call.arguments)}
        for call in completion.tool_calls
    )
    metadata = completion.metadata
    return {
        "id": (metadata.response_id if metadata else None) or _DEFAULT_ID,
        "type": "message",
        "role": "assistant",
        "model": completion.model or "",
        "content": content,
        "stop_reason": stop_reason(completion.finish_reason, completion.raw_finish_reason),
        "stop_sequence": None,
        "usage": _usage(completion.usage),
        "provider": metadata.provider if metadata else "",
    }
