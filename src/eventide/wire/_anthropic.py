"""Anthropic Messages, sans-IO: the streaming body's mapper and its error mapping (the request
body is built in `_anthropic_body`).

Wire format from the Anthropic API reference, "Messages" and "Streaming Messages"
(docs.anthropic.com/en/api/messages-streaming, read 2026-12), and the types of the official
Python SDK (``anthropic.types``: ``RawMessageStreamEvent``, ``MessageDeltaUsage``,
``StopReason``, ``ErrorObject``):

- every event is ``event: <type>`` plus ``data: {"type": "<type>", ...}``; the JSON ``type``
  is authoritative (the SSE event name is only a fallback when it is missing);
- ``message_start`` carries the message: ``id``, ``model`` and the initial ``usage``
  (``input_tokens``, ``cache_creation_input_tokens``, ``cache_read_input_tokens``);
- each content block is ``content_block_start`` (``text``, ``thinking``,
  ``redacted_thinking``, ``tool_use`` with ``id``, ``name`` and an empty ``input``; server
  tools add ``server_tool_use`` and ``*_tool_result`` blocks), then ``content_block_delta``
  events (``text_delta``, ``thinking_delta``, ``signature_delta``, ``input_json_delta`` whose
  ``partial_json`` pieces concatenate to the tool input, ``citations_delta``), then
  ``content_block_stop``; ``index`` is the block's position in the message's content;
- ``usage.input_tokens`` counts only the prompt tokens after the last cache breakpoint: the
  total prompt is it plus ``cache_read_input_tokens`` plus ``cache_creation_input_tokens``;
- ``stop_reason: "refusal"`` (the streaming classifiers stopped the answer) is
  ``Finish(reason="refusal")``;
- ``message_delta`` carries ``delta.stop_reason`` and a **cumulative** ``usage``: its
  ``output_tokens`` is the running total (the last one is final, never a sum), and newer API
  versions repeat ``input_tokens`` and the cache counts there too (the SDK prefers them);
- ``message_stop`` ends the response; ``ping`` keeps the connection alive;
- ``event: error`` with ``{"type": "error", "error": {"type": "overloaded_error", ...}}`` can
  arrive after HTTP 200, mid-stream; HTTP error bodies have the same shape.

`Metadata` is sent at ``message_start`` (or before the first other event if the stream skips
it). Each client tool call is sent as `ToolCallDelta` pieces and, at its
``content_block_stop``, once as a `ToolCall` whose arguments are the concatenated JSON text;
`Usage` and `Finish` at ``message_stop``, or at the end of a body that ended cleanly after
``message_delta`` gave the ``stop_reason`` (docs/providers.md, "When a stream is
complete"). ``server_tool_use`` blocks are run by Anthropic, not by the caller, so they are
not tool calls. Each ``thinking`` block is sent as `ReasoningDelta` pieces and, at its
``content_block_stop``, once as a `Reasoning` with its whole text and ``signature``; each
``redacted_thinking`` block as a `Reasoning` with its ``data`` in ``redacted`` (a block left
open when the message stops is completed there, as tool calls are). The signatures are also
on the decoder (`AnthropicDecoder.signatures`).
"""

from __future__ import annotations

import json
from typing import Any, Final, cast, final

import msgspec

from .._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    ServerError,
)
from .._events import (
    Event,
    Finish,
    FinishReason,
    Metadata,
    Reasoning,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._anthropic_body import DEFAULT_MAX_TOKENS as DEFAULT_MAX_TOKENS
from ._anthropic_body import build_anthropic_body as build_anthropic_body
from ._base import ErrorPayload
from ._driver import MapperBase, StreamDecoder, served
from ._error_payload import error_from_payload
from ._typed_path import new_event as _new
from ._typed_path import set_text as _set_text

__all__ = [
    "ANTHROPIC_VERSION",
    "DEFAULT_MAX_TOKENS",
    "AnthropicDecoder",
    "anthropic_error",
    "build_anthropic_body",
]

ANTHROPIC_VERSION: Final = "2023-06-01"
"""The ``anthropic-version`` header value this module's wire format follows."""

_KNOWN_EVENTS = frozenset(  # "ping" is a keep-alive: skipped unread, as unknown events are
    {
        "message",  # data-only streams: the JSON "type" decides
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "error",
    }
)

# "Stop reasons" in the Messages API reference; StopReason in the SDK.
_STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
    "pause_turn": "other",
}

# "Errors" in the API reference: HTTP 400, 401, 402, 403, 404, 413, 429, 500, 504, 529.
_ERROR_TYPES: dict[str, type[ProviderError]] = {
    "invalid_request_error": BadRequestError,
    "request_too_large": BadRequestError,
    "authentication_error": AuthenticationError,
    "permission_error": PermissionDeniedError,
    # No credit: retrying will not help, another provider might (as with a bad key).
    "billing_error": AuthenticationError,
    "not_found_error": NotFoundError,
    "rate_limit_error": RateLimitError,
    "api_error": ServerError,
    "timeout_error": ServerError,
    "overloaded_error": OverloadedError,
}


def _stop_reason(raw: str | None) -> FinishReason:
    if raw is None:
        return "other"
    return _STOP_REASONS.get(raw, "other")


def anthropic_error(
    payload: Any,
    *,
    status_code: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
) -> ProviderError:
    """The typed error for an Anthropic error body or in-stream ``error`` event.

    The shape is ``{"type": "error", "error": {"type": ..., "message": ...}, "request_id":
    ...}``; the error ``type`` picks the class (``overloaded_error`` is an `OverloadedError`
    even after HTTP 200), else the HTTP status does.

    Args:
        payload: The decoded JSON body, or None when the body was not JSON.
        status_code: The HTTP status, if the payload came with one (None mid-stream).
        retry_after: Seconds from a ``retry-after`` header, if any.
        raw: The body text, for the excerpt.
    """
    error = payload.get("error") if isinstance(payload, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    kind = kind if isinstance(kind, str) else None
    request_id = payload.get("request_id") if isinstance(payload, dict) else None
    by_type = _ERROR_TYPES.get(kind or "")
    if kind == "api_error" and status_code not in (None, 200):
        by_type = None  # the generic type says less than a real HTTP status does
    return error_from_payload(
        payload,
        status_code=status_code,
        retry_after=retry_after,
        raw=raw,
        code=kind,
        by_code=by_type,
        suffix=f" (request {request_id})" if isinstance(request_id, str) and request_id else "",
    )


class _Delta(msgspec.Struct, gc=False):
    type: str
    text: str | None = None
    thinking: str | None = None
    partial_json: str | None = None
    signature: str | None = None


class _Event(msgspec.Struct, gc=False):
    """The fields of a ``content_block_delta`` event that `AnthropicMapper.on_data` reads,
    typed as the API sends them; any other type (a ``delta`` that is not an object, a
    number for ``text``, ...) fails to decode and the event takes the dict path."""

    type: str | None = None
    index: int | None = None
    delta: _Delta | None = None


_decode_event = msgspec.json.Decoder(_Event).decode


@final
class _ToolState:
    __slots__ = ("done", "id", "name", "parts", "position")

    def __init__(self, position: int, id: str, name: str) -> None:
        self.position = position  # among the response's tool calls, not among all blocks
        self.id = id
        self.name = name
        self.parts: list[str] = []
        self.done = False


@final
class _ThinkingState:
    __slots__ = ("done", "parts", "redacted")

    def __init__(self, redacted: str | None = None) -> None:
        self.parts: list[str] = []  # the thinking text so far
        self.redacted = redacted  # a redacted_thinking block's data
        self.done = False


@final
class AnthropicMapper(MapperBase):
    """The `Mapper` of Messages API stream events (see the module docstring)."""

    __slots__ = (
        "_blocks",
        "_cache_read",
        "_cache_write",
        "_input",
        "_output",
        "_reasoning_tokens",
        "_stop",
        "_thinking",
        "_tools",
        "signatures",
    )

    events = _KNOWN_EVENTS
    data_events = frozenset({"message", "content_block_delta"})  # read by `on_data`
    shape = "Messages API"
    terminal = "message_stop or a stop_reason"
    error = staticmethod(anthropic_error)

    def __init__(self, metadata: Metadata) -> None:
        super().__init__(metadata)
        self._blocks: set[int] = set()  # indices of the content blocks started
        self._tools: dict[int, _ToolState] = {}  # by content block index: tool_use only
        self._thinking: dict[int, _ThinkingState] = {}  # by block index: (redacted_)thinking
        self._stop: str | None = None
        self._input: int | None = None
        self._output: int | None = None
        self._cache_read: int | None = None
        self._cache_write: int | None = None
        self._reasoning_tokens: int | None = None
        self.signatures: dict[int, str] = {}

    def metadata(self, payload: dict[str, Any], *, needed: bool) -> Metadata | None:
        message = payload.get("message")  # only message_start carries one
        if payload.get("type", "message_start") != "message_start" or type(message) is not dict:
            return None
        return served(self._base, message.get("model"), message.get("id"))

    def on_payload(self, kind: str, payload: dict[str, Any], out: list[Event]) -> None:
        name = payload.get("type")
        if not isinstance(name, str):
            name = kind
        if name == "error" or kind == "error":
            raise ErrorPayload(payload)
        self._event(name, payload, out)

    def _event(self, kind: str, event: dict[str, Any], out: list[Event]) -> None:
        if kind == "content_block_delta":  # the hot path: one per token
            self._delta(_index(event), event["delta"], out)
        elif kind == "message_start":
            self._start(event["message"], out)
        elif kind == "content_block_start":
            self._block_start(_index(event), event["content_block"], out)
        elif kind == "content_block_stop":
            index = _index(event)
            tool = self._tools.get(index)
            if tool is not None and not tool.done:
                self._complete(tool, out)
            thinking = self._thinking.get(index)
            if thinking is not None and not thinking.done:
                self._reasoned(index, thinking, out)
        elif kind == "message_delta":
            delta = event.get("delta")
            if delta is not None:
                reason = delta.get("stop_reason")
                if reason is not None:
                    self._stop = _str(reason)
            usage = event.get("usage")
            if usage is not None:
                self._usage(usage, final=True)
        elif kind == "message_stop":
            self._terminal(out)
        # "ping", and event types this decoder does not know: skipped

    def _start(self, message: dict[str, Any], out: list[Event]) -> None:
        if type(message) is not dict:
            raise TypeError("message is not an object")
        usage = message.get("usage")
        if usage is not None:
            self._usage(usage, final=False)

    def _block_start(self, index: int, block: dict[str, Any], out: list[Event]) -> None:
        if type(block) is not dict:
            raise TypeError("content_block is not an object")
        if index in self._blocks:
            raise ValueError(f"content block {index} started twice")
        self._blocks.add(index)
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if text:
                out.append(TextDelta(_str(text)))
        elif kind == "thinking":
            state = self._thinking[index] = _ThinkingState()
            thinking = block.get("thinking")
            if thinking:
                state.parts.append(_str(thinking))
                out.append(ReasoningDelta(_str(thinking)))
            signature = block.get("signature")
            if signature:
                self.signatures[index] = _str(signature)
        elif kind == "redacted_thinking":
            self._thinking[index] = _ThinkingState(_str(block["data"]))
        elif kind == "tool_use":
            tool = _ToolState(len(self._tools), _str(block["id"]), _str(block["name"]))
            self._tools[index] = tool
            initial = block.get("input")
            first = ""
            if initial:  # the API sends {} and streams the input; a few proxies send it whole
                if type(initial) is not dict:
                    raise TypeError("tool_use input is not an object")
                first = json.dumps(initial, ensure_ascii=False, separators=(",", ":"))
                tool.parts.append(first)
            out.append(ToolCallDelta(tool.position, tool.id, tool.name, first))
        # server_tool_use, *_tool_result, and block types this decoder does not know: no
        # events

    def _delta(self, index: int, delta: dict[str, Any], out: list[Event]) -> None:
        kind = delta["type"]
        if kind == "text_delta":
            text = _str(delta["text"])
            if text:
                out.append(TextDelta(text))
        elif kind == "input_json_delta":
            self._fragment(index, _str(delta["partial_json"]), out)
        elif kind == "thinking_delta":
            self._thought(index, _str(delta["thinking"]), out)
        elif kind == "signature_delta":
            self.signatures[index] = _str(delta["signature"])
        # citations_delta, and delta types this decoder does not know: skipped

    def on_data(self, data: str, out: list[Event]) -> bool:
        """`on_payload` for the text of a ``content_block_delta`` (or ``ping``) event,
        decoded into typed structs instead of dicts (the hot path: the same events, the
        same errors); False, with nothing done, for any other text, or one whose fields do
        not have the usual types (the driver then reads it as a dict)."""
        try:
            event = _decode_event(data)
        except (ValueError, RecursionError):  # msgspec.ValidationError is a ValueError
            return False
        if event.type != "content_block_delta":
            return event.type == "ping"
        index, delta = event.index, event.delta
        if index is None or index < 0 or delta is None:
            return False
        kind = delta.type
        if kind == "text_delta":
            text = delta.text
            if text is None:
                return False
            if text:
                new = _new(TextDelta)
                _set_text(new, text)
                out.append(new)
        elif kind == "input_json_delta":
            if delta.partial_json is None:
                return False
            self._fragment(index, delta.partial_json, out)
        elif kind == "thinking_delta":
            if delta.thinking is None:
                return False
            self._thought(index, delta.thinking, out)
        elif kind == "signature_delta" and delta.signature is not None:
            self.signatures[index] = delta.signature
        else:
            return False
        return True

    def _fragment(self, index: int, fragment: str, out: list[Event]) -> None:
        tool = self._tools.get(index)
        if tool is None:
            return  # a server_tool_use block's input: Anthropic runs it, not the caller
        if tool.done:
            raise ValueError(f"input_json_delta for tool block {index} after its stop")
        if fragment:
            tool.parts.append(fragment)
            out.append(ToolCallDelta(tool.position, None, None, fragment))

    def _thought(self, index: int, thinking: str, out: list[Event]) -> None:
        if thinking:
            state = self._thinking.get(index)
            if state is not None:
                state.parts.append(thinking)
            out.append(ReasoningDelta(thinking))

    def _usage(self, usage: dict[str, Any], *, final: bool) -> None:
        # Cumulative counts: a later value replaces an earlier one, never adds to it.
        if type(usage) is not dict:
            raise TypeError("usage is not an object")
        input_tokens = _int(usage.get("input_tokens"))
        if input_tokens is not None:
            self._input = input_tokens
        cache_read = _int(usage.get("cache_read_input_tokens"))
        if cache_read is not None:
            self._cache_read = cache_read
        cache_write = _int(usage.get("cache_creation_input_tokens"))
        if cache_write is not None:
            self._cache_write = cache_write
        if final:  # message_start's output_tokens is a count so far, not the final one
            output = _int(usage.get("output_tokens"))
            if output is not None:
                self._output = output
        details = usage.get("output_tokens_details")
        if isinstance(details, dict):
            thinking = _int(details.get("thinking_tokens"))
            if thinking is not None:
                self._reasoning_tokens = thinking

    def _complete(self, tool: _ToolState, out: list[Event]) -> None:
        tool.done = True
        arguments = "".join(tool.parts)
        if not arguments:  # a tool without parameters streams nothing: its input is {}
            arguments = "{}"
            out.append(ToolCallDelta(tool.position, None, None, arguments))
        tool.parts = []
        out.append(ToolCall(tool.position, tool.id, tool.name, arguments))

    def _reasoned(self, index: int, state: _ThinkingState, out: list[Event]) -> None:
        state.done = True
        text = "".join(state.parts)
        state.parts = []
        signature = self.signatures.get(index) or None  # "" (none streamed yet) is None
        out.append(Reasoning("anthropic", text, signature, state.redacted))

    def _final_usage(self) -> Usage:
        """The `Usage`: Anthropic's ``input_tokens`` counts only the prompt tokens after the
        last cache breakpoint, so the cache reads and writes are added to it."""
        input_tokens = self._input
        if input_tokens is not None:
            input_tokens += (self._cache_read or 0) + (self._cache_write or 0)
        return Usage(
            input_tokens=input_tokens,
            output_tokens=self._output,
            cache_read_tokens=self._cache_read,
            cache_write_tokens=self._cache_write,
            reasoning_tokens=self._reasoning_tokens,
        )

    def on_end(self, out: list[Event]) -> None:
        """A body that ended cleanly after ``message_delta`` gave the ``stop_reason`` is
        complete without ``message_stop``, which carries nothing more (the official SDK reads
        to EOF); one that ended before any ``stop_reason`` is truncated."""
        if self._stop is not None:
            self._terminal(out)

    def _terminal(self, out: list[Event]) -> None:
        self.done = True
        for index, thinking in self._thinking.items():  # a block without its stop
            if not thinking.done:
                self._reasoned(index, thinking, out)
        for tool in self._tools.values():  # in block order, which is call order
            if not tool.done:  # message_stop without the block's stop: complete it anyway
                self._complete(tool, out)
        if self._input is not None or self._output is not None:
            out.append(self._final_usage())
        out.append(Finish(_stop_reason(self._stop), self._stop))


def _index(event: dict[str, Any]) -> int:
    index = event["index"]
    if type(index) is not int or index < 0:
        raise TypeError("index is not a non-negative integer")
    return index


def _str(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


@final
class AnthropicDecoder(StreamDecoder):
    """Turn an Anthropic Messages streaming body into events (a `StreamDecoder`)."""

    __slots__ = ()
    mapper_type = AnthropicMapper

    @property
    def signatures(self) -> dict[int, str]:
        """The signature of each thinking block, by content block index, as
        ``signature_delta`` (or ``content_block_start``) gave it. Sending thinking back in
        a later turn needs it; events do not carry it."""
        return cast("AnthropicMapper", self._mapper).signatures
