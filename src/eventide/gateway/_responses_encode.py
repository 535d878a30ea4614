"""Events -> OpenAI's Responses API, streamed (typed events with ``sequence_number``s) or
whole.

The stream has the shape of the Responses streaming reference
(platform.openai.com/docs/api-reference/responses-streaming, read 2026-12):
``response.created`` and ``response.in_progress``; per output item ``output_item.added``,
its parts and deltas (``output_text.delta``, ``reasoning_summary_text.delta``,
``function_call_arguments.delta``) and their ``.done``s, ``output_item.done``; then
``response.completed`` (``response.incomplete`` when cut by the token limit) with the whole
response, or ``response.failed``. Does no I/O.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, final

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

__all__ = ["ResponsesStreamEncoder", "response_object"]

_DEFAULT_ID = "resp_eventide"


def _usage(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    inputs, outputs = usage.input_tokens or 0, usage.output_tokens or 0
    return {
        "input_tokens": inputs,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens or 0},
        "output_tokens": outputs,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        "total_tokens": usage.total_tokens if usage.total_tokens is not None else inputs + outputs,
    }


def _message(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": []}
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [part] if status == "completed" else [],
    }


def _reasoning(item_id: str, text: str | None) -> dict[str, Any]:
    summary = [] if text is None else [{"type": "summary_text", "text": text}]
    return {"type": "reasoning", "id": item_id, "summary": summary}


def _call(item_id: str, call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def _response(
    metadata: Metadata | None, created: int, status: str, output: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": (metadata.response_id if metadata else None) or _DEFAULT_ID,
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "model": metadata.model if metadata else "",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": None,
        "provider": metadata.provider if metadata else "",
    }


def _finished(response: dict[str, Any], reason: str | None, usage: Usage | None) -> str:
    """Set the final status, details and usage of `response`; the terminal event's type."""
    response["usage"] = _usage(usage)
    if reason == "length":
        response["status"] = "incomplete"
        response["incomplete_details"] = {"reason": "max_output_tokens"}
        return "response.incomplete"
    response["status"] = "completed"
    return "response.completed"


@final
class ResponsesStreamEncoder:
    """Encode events one at a time as a Responses API stream. Does no I/O.

    Args:
        attempts: Put the failed attempts (``attempts``) on the ``response`` object, beside
            ``provider``.
    """

    __slots__ = ("_attempts", "_calls", "_open", "_output", "_response", "_seq", "_text", "_usage")

    def __init__(self, *, attempts: bool = False) -> None:
        self._attempts = attempts
        self._seq = 0
        self._response: dict[str, Any] = _response(None, int(time.time()), "in_progress", [])
        self._output: list[dict[str, Any]] = []  # finished items
        self._open: dict[str, Any] | None = None  # the item being streamed
        self._text: list[str] = []  # its text so far
        self._calls: dict[int, int] = {}  # tool index -> output index
        self._usage: Usage | None = None

    def encode(self, event: Event) -> bytes:
        """The stream bytes for one event (b"" when it adds nothing yet)."""
        match event:
            case Metadata():
                self._response = _response(event, self._response["created_at"], "in_progress", [])
                if self._attempts:
                    self._response["attempts"] = attempt_list(event)
                return self._frame("response.created", response=self._snapshot()) + self._frame(
                    "response.in_progress", response=self._snapshot()
                )
            case TextDelta() | RefusalDelta():
                head = self._start("message")
                return head + self._frame(
                    "response.output_text.delta", **self._at(), content_index=0, delta=event.text
                )
            case ReasoningDelta():
                head = self._start("reasoning")
                return head + self._frame(
                    "response.reasoning_summary_text.delta",
                    **self._at(),
                    summary_index=0,
                    delta=event.text,
                )
            case ToolCallDelta() | ToolCall():
                return self._tool(event)
            case Usage():
                self._usage = event
                return b""
            case Finish():
                out = self._close()
                response = self._snapshot()
                kind = _finished(response, event.reason, self._usage)
                return out + self._frame(kind, response=response)
            case Reasoning():
                return b""

    def failed(self, code: str | None, message: str) -> bytes:
        """``response.failed``, with what was streamed so far."""
        response = self._snapshot()
        response["status"] = "failed"
        response["error"] = {"code": code or "server_error", "message": message}
        return self._frame("response.failed", response=response)

    def _snapshot(self) -> dict[str, Any]:
        return {**self._response, "output": list(self._output)}

    def _at(self) -> dict[str, Any]:
        assert self._open is not None
        return {"item_id": self._open["id"], "output_index": len(self._output)}

    def _start(self, kind: str) -> bytes:
        if self._open is not None and self._open["type"] == kind:
            return b""
        out = self._close()
        index = len(self._output)
        if kind == "message":
            self._open = _message(f"msg_{index}", "", "in_progress")
        else:
            self._open = _reasoning(f"rs_{index}", None)
        out += self._frame("response.output_item.added", output_index=index, item=self._open)
        if kind == "message":
            part = {"type": "output_text", "text": "", "annotations": []}
            return out + self._frame(
                "response.content_part.added", **self._at(), content_index=0, part=part
            )
        part = {"type": "summary_text", "text": ""}
        return out + self._frame(
            "response.reasoning_summary_part.added", **self._at(), summary_index=0, part=part
        )

    def _tool(self, event: ToolCallDelta | ToolCall) -> bytes:
        out = b""
        if event.index not in self._calls:
            out = self._close()
            self._calls[event.index] = len(self._output)
            index = len(self._output)
            self._open = _call(f"fc_{index}", event.id or "", event.name or "", "", "in_progress")
            out += self._frame("response.output_item.added", output_index=index, item=self._open)
            if type(event) is ToolCall:
                out += self._frame(
                    "response.function_call_arguments.delta", **self._at(), delta=event.arguments
                )
        if type(event) is ToolCallDelta and event.arguments:
            out += self._frame(
                "response.function_call_arguments.delta", **self._at(), delta=event.arguments
            )
        if type(event) is ToolCall:
            out += self._close()
        return out

    def _close(self) -> bytes:
        item = self._open
        if item is None:
            return b""
        text = "".join(self._text)
        at = self._at()
        out = b""
        if item["type"] == "message":
            done = _message(item["id"], text)
            part = done["content"][0]
            out += self._frame("response.output_text.done", **at, content_index=0, text=text)
            out += self._frame("response.content_part.done", **at, content_index=0, part=part)
        elif item["type"] == "reasoning":
            done = _reasoning(item["id"], text)
            part = done["summary"][0]
            out += self._frame(
                "response.reasoning_summary_text.done", **at, summary_index=0, text=text
            )
            out += self._frame(
                "response.reasoning_summary_part.done", **at, summary_index=0, part=part
            )
        else:
            done = {**item, "arguments": text, "status": "completed"}
            out += self._frame("response.function_call_arguments.done", **at, arguments=text)
        out += self._frame("response.output_item.done", output_index=at["output_index"], item=done)
        self._output.append(done)
        self._open = None
        self._text = []
        return out

    def _frame(self, kind: str, **fields: Any) -> bytes:
        if kind.endswith(".delta"):
            self._text.append(fields["delta"])  # the open item's text, for its .done events
        data = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        body = json.dumps(data, separators=(",", ":"))
        return f"event: {kind}\ndata: {body}\n\n".encode()


def response_object(completion: Completion) -> dict[str, Any]:
    """The whole ``response`` object of `completion`, with ``provider``."""
    output: list[dict[str, Any]] = []
    if completion.reasoning:
        output.append(_reasoning("rs_0", completion.reasoning))
    text = completion.text or completion.refusal or ""
    if text or not completion.tool_calls:
        output.append(_message(f"msg_{len(output)}", text))
    for call in completion.tool_calls:
        index = len(output)
        output.append(_call(f"fc_{index}", call.id, call.name, call.arguments, "completed"))
    response = _response(completion.metadata, int(time.time()), "in_progress", output)
    _finished(response, completion.finish_reason, completion.usage)
    return response
