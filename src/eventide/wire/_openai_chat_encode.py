"""OpenAI Chat Completions, the other way: events -> a streaming body (``data: {chunk}`` server-sent
events ending in ``data: [DONE]``), the inverse of `OpenAIChatDecoder`.

The chunks have the shape of the OpenAI API reference, "The chat completion chunk object"
(platform.openai.com/docs/api-reference/chat-streaming, read 2026-12): a role chunk first,
one chunk per delta, the finish chunk, then (``stream_options.include_usage``) a usage chunk
with empty ``choices``. `ChatStyle` puts the same stream on the wire the way other
OpenAI-compatible servers do (CRLF, keep-alive comments, usage on the finish chunk, ...).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, final

import attrs

from .._events import (
    Finish,
    Metadata,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .._events import Event

__all__ = ["ChatStreamEncoder", "ChatStyle", "encode_chat_stream"]


@final
@attrs.frozen(kw_only=True)
class ChatStyle:
    """How an encoded stream is put on the wire (the defaults are OpenAI's own).

    Attributes:
        newline: The SSE line ending: LF, CRLF or CR.
        data_prefix: ``"data: "`` or ``"data:"`` (the space is optional in SSE).
        keepalive: A comment sent before every event (OpenRouter's
            ``"OPENROUTER PROCESSING"``), or None.
        multiline: Pretty-print each chunk over several ``data:`` lines.
        ascii_only: Escape non-ASCII characters (``\\uXXXX``) instead of raw UTF-8.
        placeholder: Start with Azure's placeholder chunk (empty model and choices).
        role_chunk: Start with a ``{"role": "assistant", "content": ""}`` delta.
        usage_on_finish: Usage on the finish chunk (vLLM, Together, DeepSeek) rather than
            in a chunk of its own.
        null_usage: ``"usage": null`` on every chunk that carries no usage.
        reasoning_field: ``"reasoning_content"`` (DeepSeek, vLLM) or ``"reasoning"``.
        repeat_name: Repeat the function name in every tool-call fragment.
        created: The ``created`` timestamp of the chunks when `Metadata.extra` has none
            (an upstream that is not OpenAI-shaped): None for the time the encoder was
            made, in whole seconds, as OpenAI's own servers give the time the request
            began (what a server should use); a number for reproducible bytes (0, the
            default, is what test servers send: the decoder keeps no timestamp).
        provider: A top-level ``provider`` (`Metadata.provider`) on every chunk, as g4f and
            OpenRouter send it (openai-python reads it as ``chunk.provider``).
    """

    newline: str = "\n"
    data_prefix: str = "data: "
    keepalive: str | None = None
    multiline: bool = False
    ascii_only: bool = True
    placeholder: bool = False
    role_chunk: bool = True
    usage_on_finish: bool = False
    null_usage: bool = False
    reasoning_field: str = "reasoning_content"
    repeat_name: bool = False
    created: int | None = 0
    provider: bool = False


_SERVED = ("service_tier", "system_fingerprint")
"""The text fields of `Metadata.extra` the chunks carry, in OpenAI's order."""

_AZURE_PLACEHOLDER = {
    "choices": [],
    "created": 0,
    "id": "",
    "model": "",
    "object": "",
    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
}


@final
class ChatStreamEncoder:
    """Encode events one at a time as a Chat Completions streaming body. Does no I/O.

    `Metadata` gives the chunks their ``id`` and ``model``, and the server's ``created``,
    ``service_tier`` and ``system_fingerprint`` where `Metadata.extra` keeps them (the
    OpenAI Chat decoder does); `Usage` is held until `Finish`, which also writes ``[DONE]``. A
    `ToolCall` adds nothing after its `ToolCallDelta` pieces; without them it is sent whole.

    Args:
        style: How the stream is put on the wire.
    """

    __slots__ = ("_calls", "_chunk", "_started", "_style", "_usage")

    def __init__(self, *, style: ChatStyle = ChatStyle()) -> None:  # frozen
        self._style = style
        created = int(time.time()) if style.created is None else style.created
        self._chunk: dict[str, Any] = {
            "id": "",
            "object": "chat.completion.chunk",
            "created": created,
            "model": "",
        }
        self._calls: dict[int, str] = {}  # the name of each tool call begun
        self._usage: Usage | None = None
        self._started = False

    def encode(self, event: Event) -> bytes:
        """The body bytes for one event (b"" when it adds nothing yet)."""
        if type(event) is Metadata:
            chunk, extra = self._chunk, event.extra
            chunk["id"] = event.response_id or ""
            chunk["model"] = event.model
            created = extra.get("created")
            if type(created) is int and created > 0:
                chunk["created"] = created
            for key in _SERVED:
                value = extra.get(key)
                if isinstance(value, str) and value:
                    chunk[key] = value
            if self._style.provider:
                self._chunk["provider"] = event.provider
            return self._start()
        head = b"" if self._started else self._start()
        if type(event) is TextDelta:
            return head + self._delta({"content": event.text})
        if type(event) is ReasoningDelta:
            return head + self._delta({"content": None, self._style.reasoning_field: event.text})
        if type(event) is RefusalDelta:
            return head + self._delta({"content": None, "refusal": event.text})
        if type(event) is ToolCallDelta or (
            type(event) is ToolCall and event.index not in self._calls
        ):
            return head + self._delta({"tool_calls": [self._fragment(event)]})
        if type(event) is Usage:
            self._usage = event
        elif type(event) is Finish:
            return head + self._finish(event)
        return head

    def _start(self) -> bytes:
        self._started = True
        out = [_AZURE_PLACEHOLDER] if self._style.placeholder else []
        if self._style.role_chunk:
            out.append(self._with([_choice({"role": "assistant", "content": ""})]))
        return b"".join(self._event(chunk) for chunk in out)

    def _fragment(self, event: ToolCallDelta | ToolCall) -> dict[str, Any]:
        call: dict[str, Any] = {"index": event.index}
        first = event.index not in self._calls
        if first:
            self._calls[event.index] = event.name or ""
            call["id"] = event.id
        if first or self._style.repeat_name:
            call["type"] = "function"
            call["function"] = {"name": self._calls[event.index], "arguments": event.arguments}
        else:
            call["function"] = {"arguments": event.arguments}
        return call

    def _finish(self, finish: Finish) -> bytes:
        usage, style = self._usage, self._style
        reason = finish.raw_reason or finish.reason
        out = [self._with([_choice({}, reason)], usage if style.usage_on_finish else None)]
        if usage is not None and not style.usage_on_finish:
            out.append(self._with([], usage))
        return b"".join(self._event(chunk) for chunk in out) + self._event("[DONE]")

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return self._event(self._with([_choice(delta)]))

    def _with(self, choices: list[dict[str, Any]], usage: Usage | None = None) -> dict[str, Any]:
        chunk = {**self._chunk, "choices": choices}
        if usage is not None:
            chunk["usage"] = _usage_object(usage)
        elif self._style.null_usage:
            chunk["usage"] = None
        return chunk

    def _event(self, chunk: dict[str, Any] | str) -> bytes:
        style = self._style
        nl = style.newline
        if isinstance(chunk, str):
            lines = [chunk]
        elif style.multiline:
            lines = json.dumps(chunk, indent=1, ensure_ascii=style.ascii_only).split("\n")
        else:
            lines = [json.dumps(chunk, separators=(",", ":"), ensure_ascii=style.ascii_only)]
        keepalive = f": {style.keepalive}{nl}{nl}" if style.keepalive is not None else ""
        text = keepalive + "".join(style.data_prefix + line + nl for line in lines) + nl
        return text.encode("utf-8")


def encode_chat_stream(events: Iterable[Event], *, style: ChatStyle = ChatStyle()) -> bytes:
    """The whole Chat Completions streaming body for `events` (see `ChatStreamEncoder`)."""
    encoder = ChatStreamEncoder(style=style)
    return b"".join(encoder.encode(event) for event in events)


def _choice(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _usage_object(usage: Usage) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    if usage.input_tokens is not None:
        wire["prompt_tokens"] = usage.input_tokens
    if usage.output_tokens is not None:
        wire["completion_tokens"] = usage.output_tokens
    if usage.total_tokens is not None:
        wire["total_tokens"] = usage.total_tokens
    if usage.cache_read_tokens is not None:
        wire["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    if usage.reasoning_tokens is not None:
        wire["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return wire
