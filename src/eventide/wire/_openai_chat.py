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
- ``finish_reason`` arrives on the last content chunk; with ``stream_options.include_usage``
  a final chunk with empty ``choices`` carries ``usage`` (some servers put usage on the finish
  chunk, Groq under ``x_groq.usage``); the last usage seen is the final one;
- Azure sends a placeholder first chunk with empty ``model`` and ``choices``
  (``prompt_filter_results``); OpenRouter sends comment keep-alives; both carry no events;
- a mid-stream ``{"error": {...}}`` payload (or an ``event: error``) is a provider error.

`Metadata` is sent once, before anything else: at the first chunk that names a model, or
before the first content event if no chunk names one. Tool calls are complete, and sent as
`ToolCall` events, at the finish chunk; `Usage` and `Finish` at ``[DONE]``.
"""

from __future__ import annotations

import json
from typing import Any, final

import attrs

from .._errors import ProtocolError, ProviderError, RateLimitError, provider_error_for_status
from .._events import (
    Event,
    Finish,
    FinishReason,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._base import ErrorPayload
from ._driver import StreamDecoder
from ._error_payload import error_from_payload
from ._json import int_or_none
from ._openai_chat_body import build_chat_body as build_chat_body

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
    "error": "error",
}


def normalise_finish_reason(raw: str | None) -> FinishReason:
    """Map a provider's finish reason onto eventide's `FinishReason` ("other" if unknown)."""
    if raw is None:
        return "other"
    return _FINISH_REASONS.get(raw.lower(), "other")


def openai_error(
    payload: Any,
    *,
    status_code: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
) -> ProviderError:
    """The typed error for an OpenAI-style error payload (``{"error": {...}}``) or body.

    Args:
        payload: The decoded JSON body, or None when the body was not JSON.
        status_code: The HTTP status, if the payload came with one.
        retry_after: Seconds from a Retry-After header, if any.
        raw: The body text, for the excerpt.
    """
    error = payload.get("error") if isinstance(payload, dict) else None
    raw_code = error.get("code") if isinstance(error, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    code = str(raw_code) if isinstance(raw_code, str) else (str(kind) if kind else None)
    hint = (code or "").lower()
    by_code: type[ProviderError] | None = None
    if "rate_limit" in hint or hint == "insufficient_quota":
        by_code = RateLimitError
    elif "overloaded" in hint:
        by_code = provider_error_for_status(529)
    server = hint in ("server_error", "internal_error")
    return error_from_payload(
        payload,
        status_code=status_code,
        retry_after=retry_after,
        raw=raw,
        code=code,
        named_status=raw_code,  # OpenRouter, vLLM: the upstream status rides in "code"
        by_code=by_code,
        fallback=provider_error_for_status(500) if server else ProviderError,
        retryable=False if hint == "insufficient_quota" else None,  # out of credit
    )


@final
class _ToolState:
    __slots__ = ("id", "name", "parts")

    def __init__(self, id: str, name: str, first: str) -> None:
        self.id = id
        self.name = name
        self.parts = [first]


@final
class ChatMapper:
    """The `Mapper` of Chat Completions chunks (see the module docstring)."""

    __slots__ = ("_base", "_finish", "_tools", "_tools_done", "_usage", "done")

    framing = "sse"
    events = frozenset({"message", "error"})  # Chat Completions defines no event types
    prefixes = ()
    sentinel = "[DONE]"
    shape = "Chat Completions"
    terminal = "[DONE]"
    error = staticmethod(openai_error)

    def __init__(self, metadata: Metadata) -> None:
        self._base = metadata
        self._tools: dict[int, _ToolState] = {}
        self._tools_done = False
        self._finish: str | None = None
        self._usage: Usage | None = None
        self.done = False

    def metadata(self, payload: dict[str, Any], *, needed: bool) -> Metadata | None:
        model = payload.get("model")
        if not (model or needed) or "error" in payload:
            return None
        extra = self._base.extra
        fingerprint = payload.get("system_fingerprint")
        if fingerprint:
            extra = {**extra, "system_fingerprint": fingerprint}
        response_id = payload.get("id")
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

    def on_end(self, out: list[Event]) -> None:
        """The stream ends at ``[DONE]``: an end before it is a truncation."""

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
            if not isinstance(index, int):  # servers that omit the index send whole calls
                index = len(tools) if call.get("id") or not tools else max(tools)
            state = tools.get(index)
            if state is None:
                call_id = str(call.get("id") or f"call_{index}")
                name = str(function.get("name") or "")
                tools[index] = _ToolState(call_id, name, fragment)
                out.append(ToolCallDelta(index, call_id, name, fragment))
                continue
            if not state.name and function.get("name"):
                state.name = str(function["name"])
            if fragment:
                state.parts.append(fragment)
                out.append(ToolCallDelta(index, None, None, fragment))

    def _complete_tools(self, out: list[Event]) -> None:
        if self._tools_done:
            return
        self._tools_done = True
        for index in sorted(self._tools):
            state = self._tools[index]
            out.append(ToolCall(index, state.id, state.name, "".join(state.parts)))

    def _terminal(self, out: list[Event]) -> None:
        self.done = True
        self._complete_tools(out)
        if self._usage is not None:
            out.append(self._usage)
        out.append(Finish(normalise_finish_reason(self._finish), self._finish))


@final
class OpenAIChatDecoder(StreamDecoder):
    """Turn an OpenAI Chat Completions streaming body into events (a `StreamDecoder`)."""

    __slots__ = ()
    mapper_type = ChatMapper


def _usage(data: dict[str, Any]) -> Usage:
    prompt_details = data.get("prompt_tokens_details")
    completion_details = data.get("completion_tokens_details")
    return Usage(
        input_tokens=int_or_none(data.get("prompt_tokens")),
        output_tokens=int_or_none(data.get("completion_tokens")),
        total_tokens=int_or_none(data.get("total_tokens")),
        cached_tokens=int_or_none(prompt_details.get("cached_tokens"))
        if isinstance(prompt_details, dict)
        else None,
        reasoning_tokens=int_or_none(completion_details.get("reasoning_tokens"))
        if isinstance(completion_details, dict)
        else None,
    )
