"""OpenAI Chat Completions, sans-IO: the streaming body's mapper and its error mapping (the
request body is built in `_openai_chat_body`).

Wire format from the OpenAI API reference, "Create chat completion" and "The chat completion
chunk object" (platform.openai.com/docs/api-reference/chat, read 2026-12), plus what the
OpenAI-compatible servers send on top of it:

- every chunk is ``data: {json}``; the body ends with ``data: [DONE]``;
- ``choices[0].delta`` carries ``content``, ``reasoning_content`` (DeepSeek, vLLM) or
  ``reasoning`` (OpenRouter, newer vLLM), and ``tool_calls`` fragments: ``index`` on each,
  ``id`` and ``function.name`` on the first, ``function.arguments`` pieces to concatenate
  (some servers repeat the name in every fragment: it is taken once, never concatenated);
  servers that leave ``index`` out (Gemini's OpenAI-compatible endpoint, some proxies and
  mock servers) are followed by ``id``: a new id starts a call, a known one or none
  continues it (`ChatMapper._unindexed`);
- ``finish_reason`` arrives on the last content chunk; with ``stream_options.include_usage``
  a final chunk with empty ``choices`` carries ``usage`` (some servers put usage on the finish
  chunk, Groq under ``x_groq.usage``); the last usage seen is the final one;
- Azure sends a placeholder first chunk with empty ``model`` and ``choices``
  (``prompt_filter_results``); OpenRouter sends comment keep-alives; both carry no events;
- a mid-stream ``{"error": {...}}`` payload (or an ``event: error``) is a provider error.

- ``delta.refusal`` (structured outputs) carries the model's refusal in place of content: it
  becomes `RefusalDelta` events;
- ``usage.prompt_tokens`` counts every prompt token, ``prompt_tokens_details.cached_tokens``
  the cache reads among them (DeepSeek: ``prompt_cache_hit_tokens``), and
  ``completion_tokens_details.reasoning_tokens`` the reasoning part of ``completion_tokens``.

`Metadata` is sent once, before anything else: at the first chunk that names a model, or
before the first content event if no chunk names one (then it has the requested model, and
the first later chunk that names the served one gives `Finish.model`: see `ServedModel`).
Its ``extra`` keeps that chunk's ``created``, ``system_fingerprint`` and ``service_tier``
(each when the server gave one: not 0, not ""), which the OpenAI-shaped results give back.

A tool call is complete, and sent as a `ToolCall`, as soon as a call with a higher index
starts (the official SDK's stream helper assumes the same: each call's fragments come
together), and the last one at the finish chunk; calls are always sent in index order. A
server that interleaves the fragments of parallel calls breaks that rule: a fragment for a
call already sent, or a call that begins after a call with a higher index was sent, is a
`ProtocolError` naming the call, unless the decoder was made with
``interleaved_tool_calls=True`` (the `OpenAIChat` option of that name), which holds every
call to the finish chunk (docs/providers.md, "Tool calls"). `Usage` and `Finish` are sent at
``[DONE]``, or at the end of a body that ended cleanly after a ``finish_reason`` without
``[DONE]`` (docs/providers.md, "When a stream is complete").
"""

from __future__ import annotations

import json
from typing import Any, cast, final

import attrs
import msgspec

from .._errors import ProtocolError
from .._events import (
    Event,
    Finish,
    FinishReason,
    Metadata,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._base import ErrorPayload
from ._driver import MapperBase, StreamDecoder
from ._json import int_or_none, nested_int
from ._openai_chat_body import build_chat_body as build_chat_body
from ._openai_errors import openai_error as openai_error
from ._served import ServedModel
from ._typed_path import new_event as _new
from ._typed_path import set_text as _set_text

__all__ = [
    "OpenAIChatDecoder",
    "build_chat_body",
    "normalise_finish_reason",
    "openai_error",
]

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "tool_use": "tool_calls",
    "content_filter": "content_filter",
    "refusal": "refusal",
    "error": "error",
}


_KEPT = ("created", "system_fingerprint", "service_tier")
"""The chunk's fields that `Metadata.extra` keeps, read once from the payload that makes the
`Metadata`, when given (0 and "" are not: the OpenAI-shaped results then use their own); the
OpenAI-shaped results give them back (``ChatCompletion.created``, ...)."""


class _Delta(msgspec.Struct, gc=False):
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None
    tool_calls: Any = None


class _Choice(msgspec.Struct, gc=False):
    index: int = 0
    delta: _Delta | None = None
    finish_reason: str | None = None


class _Chunk(msgspec.Struct, gc=False):
    """The fields of a chunk that `ChatMapper.on_payload` reads, typed as a usual chunk has
    them; any other type (an ``error`` that is not null, a number for ``content``, ...)
    fails to decode and the chunk takes the dict path. `tool_calls`, `usage` and `x_groq`
    stay plain JSON values, read by the same code as on the dict path."""

    choices: list[_Choice] | None = None
    model: Any = None
    error: None = None
    usage: Any = None
    x_groq: Any = None


_decode_chunk = msgspec.json.Decoder(_Chunk).decode


def normalise_finish_reason(raw: str | None) -> FinishReason:
    """Map a provider's finish reason onto eventide's `FinishReason` ("other" if unknown)."""
    if raw is None:
        return "other"
    return _FINISH_REASONS.get(raw.lower(), "other")


@final
class _ToolState:
    __slots__ = ("done", "id", "index", "name", "parts")

    def __init__(self, index: int, id: str, name: str, first: str) -> None:
        self.index = index
        self.id = id
        self.name = name
        self.parts = [first]
        self.done = False  # its ToolCall was sent


@final
class ChatMapper(MapperBase):
    """The `Mapper` of Chat Completions chunks (see the module docstring)."""

    __slots__ = ("_finish", "_served", "_tools", "_tools_done", "_usage", "hold_tool_calls")

    sentinel = "[DONE]"
    shape = "Chat Completions"
    terminal = "[DONE] or a finish_reason"
    error = staticmethod(openai_error)

    def __init__(self, metadata: Metadata) -> None:
        super().__init__(metadata)
        self._tools: dict[int, _ToolState] = {}
        self._tools_done = False
        self.hold_tool_calls = False  # OpenAIChatDecoder(interleaved_tool_calls=True)
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._served = ServedModel()

    def metadata(self, payload: dict[str, Any], *, needed: bool) -> Metadata | None:
        model = payload.get("model")
        if not (model or needed) or "error" in payload:
            return None
        extra = self._base.extra
        kept = {key: payload[key] for key in _KEPT if payload.get(key)}
        if kept:
            extra = {**extra, **kept}
        response_id = payload.get("id")
        self._served.sent(model)
        return attrs.evolve(
            self._base,
            model=str(model or self._base.model),
            response_id=str(response_id) if response_id else None,
            extra=extra,
        )

    def on_payload(self, kind: str, payload: dict[str, Any], out: list[Event]) -> None:
        if kind == "[DONE]":
            self._terminal(out)
            return
        if payload.get("error") or kind == "error":
            raise ErrorPayload(payload)
        if self._served.looking:
            self._served.see(payload.get("model"))
        choices = payload.get("choices")
        if choices:
            choice = choices[0]
            if choice.get("index", 0) != 0:
                choice = next((c for c in choices if c.get("index", 0) == 0), None) or {}
            delta = choice.get("delta")
            if delta:
                reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                if reasoning and isinstance(reasoning, str):
                    out.append(ReasoningDelta(reasoning))
                content = delta.get("content")
                if content and isinstance(content, str):
                    out.append(TextDelta(content))
                refusal = delta.get("refusal")
                if refusal and isinstance(refusal, str):
                    out.append(RefusalDelta(refusal))
                calls = delta.get("tool_calls")
                if calls:
                    self._tool_fragments(calls, out)
            reason = choice.get("finish_reason")
            if reason:
                self._finish = str(reason)
                self._complete_tools(out)
        usage = payload.get("usage")
        if usage is None:
            x_groq = payload.get("x_groq")
            usage = x_groq.get("usage") if isinstance(x_groq, dict) else None
        if usage and isinstance(usage, dict):
            self._usage = _usage(usage)

    def on_data(self, data: str, out: list[Event]) -> bool:
        """`on_payload` for an unnamed payload's text, decoded into typed structs instead of
        dicts (the hot path: the same events, the same errors, in the same order); False,
        with nothing done, for a text that is not a usual chunk."""
        try:
            chunk = _decode_chunk(data)
        except (ValueError, RecursionError):  # msgspec.ValidationError is a ValueError
            return False
        choices = chunk.choices
        choice = choices[0] if choices else None
        if choice is not None and choice.index != 0:
            return False  # choice 0 is not first: the dict path looks for it
        if self._served.looking:
            self._served.see(chunk.model)
        if choice is not None:
            delta = choice.delta
            if delta is not None:
                reasoning = delta.reasoning_content or delta.reasoning
                if reasoning:
                    out.append(ReasoningDelta(reasoning))
                content = delta.content
                if content:
                    event = _new(TextDelta)
                    _set_text(event, content)
                    out.append(event)
                if delta.refusal:
                    out.append(RefusalDelta(delta.refusal))
                if delta.tool_calls:
                    self._tool_fragments(delta.tool_calls, out)
            reason = choice.finish_reason
            if reason:
                self._finish = reason
                self._complete_tools(out)
        usage = chunk.usage
        if usage is None:
            x_groq = chunk.x_groq
            usage = x_groq.get("usage") if isinstance(x_groq, dict) else None
        if usage and isinstance(usage, dict):
            self._usage = _usage(usage)
        return True

    def _tool_fragments(self, calls: list[Any], out: list[Event]) -> None:
        tools = self._tools
        for call in calls:
            if not isinstance(call, dict):
                raise ProtocolError("tool_calls entry is not an object", excerpt=str(call)[:120])
            function = call.get("function") or {}
            fragment = function.get("arguments") or ""
            if not isinstance(fragment, str):  # a few servers send the arguments as an object
                fragment = json.dumps(fragment, separators=(",", ":"))
            index = call.get("index")
            if not isinstance(index, int):
                index = self._unindexed(call.get("id"))
            state = tools.get(index)
            if state is None:
                if not self.hold_tool_calls:
                    self._send_before(index, out)
                call_id = str(call.get("id") or f"call_{index}")
                name = str(function.get("name") or "")
                tools[index] = _ToolState(index, call_id, name, fragment)
                out.append(ToolCallDelta(index, call_id, name, fragment))
                continue
            if state.done:
                if fragment:
                    raise _interleaved(state, "got another arguments fragment", fragment)
                continue  # a repeated id or name, nothing new: the call was already sent
            if not state.name and function.get("name"):
                state.name = str(function["name"])
            if fragment:
                state.parts.append(fragment)
                out.append(ToolCallDelta(index, None, None, fragment))

    def _unindexed(self, call_id: Any) -> int:
        """The call a fragment without ``index`` belongs to. Gemini's OpenAI-compatible
        endpoint sends each call whole with an ``id`` and no ``index``; some proxies and mock
        servers split calls into fragments that repeat the ``id`` (and the name) in every
        one, or leave it out (or empty) after the first. So: a known id continues its call,
        a new id starts the next call, and no id continues the last call started."""
        tools = self._tools
        if call_id:
            call_id = str(call_id)
            for index, state in tools.items():
                if state.id == call_id:
                    return index
            return max(tools, default=-1) + 1
        return max(tools, default=0)

    def _send_before(self, index: int, out: list[Event]) -> None:
        """Call `index` begins: every call before it is whole (sent in index order). A call
        after it already sent means the calls are interleaved."""
        tools = self._tools
        for state in tools.values():
            if state.done and state.index > index:
                raise _interleaved(state, f"was sent before call {index} began", "")
        for earlier in sorted(tools):
            if earlier >= index:
                return
            state = tools[earlier]
            if not state.done:
                _send(state, out)

    def _complete_tools(self, out: list[Event]) -> None:
        if self._tools_done:
            return
        self._tools_done = True
        for index in sorted(self._tools):
            state = self._tools[index]
            if not state.done:
                _send(state, out)

    def on_end(self, out: list[Event]) -> None:
        """A body that ended cleanly after a ``finish_reason`` is complete without
        ``[DONE]`` (Hugging Face ``transformers serve`` never sends it; the official SDK
        reads to EOF); one that ended before any ``finish_reason`` is truncated."""
        if self._finish is not None:
            self._terminal(out)

    def _terminal(self, out: list[Event]) -> None:
        self.done = True
        self._complete_tools(out)
        if self._usage is not None:
            out.append(self._usage)
        out.append(Finish(normalise_finish_reason(self._finish), self._finish, self._served.late))


def _interleaved(state: _ToolState, what: str, fragment: str) -> ProtocolError:
    return ProtocolError(
        f"tool call {state.index} ({state.name or state.id}) {what}: the server interleaves "
        "parallel tool calls (OpenAIChat(interleaved_tool_calls=True) holds every call to "
        "the finish)",
        excerpt=fragment[:120],
    )


def _send(state: _ToolState, out: list[Event]) -> None:
    """Send the `ToolCall` of a complete call (once: it is marked done)."""
    state.done = True
    out.append(ToolCall(state.index, state.id, state.name, "".join(state.parts)))


@final
class OpenAIChatDecoder(StreamDecoder):
    """Turn an OpenAI Chat Completions streaming body into events (a `StreamDecoder`).

    Args:
        interleaved_tool_calls: For a server that interleaves the fragments of parallel
            tool calls: hold every `ToolCall` to the finish chunk. By default each call is
            sent as soon as the next one starts, and a fragment for a call already sent is
            a `ProtocolError`.
        **options: The `StreamDecoder` arguments (``provider``, ``requested_model``, ...).
    """

    __slots__ = ()
    mapper_type = ChatMapper

    def __init__(self, *, interleaved_tool_calls: bool = False, **options: Any) -> None:
        super().__init__(**options)
        cast("ChatMapper", self._mapper).hold_tool_calls = interleaved_tool_calls


def _usage(data: dict[str, Any]) -> Usage:
    if isinstance(data.get("prompt_tokens_details"), dict):
        cached = nested_int(data, "prompt_tokens_details", "cached_tokens")
    else:
        cached = int_or_none(data.get("prompt_cache_hit_tokens"))  # DeepSeek's own name
    return Usage(
        input_tokens=int_or_none(data.get("prompt_tokens")),
        output_tokens=int_or_none(data.get("completion_tokens")),
        total_tokens=int_or_none(data.get("total_tokens")),
        cache_read_tokens=cached,
        reasoning_tokens=nested_int(data, "completion_tokens_details", "reasoning_tokens"),
    )
