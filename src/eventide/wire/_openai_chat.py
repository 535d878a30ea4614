"""OpenAI Chat Completions, sans-IO: the streaming body decoder and the request body builder.

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
from typing import TYPE_CHECKING, Any, final

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
from .._request import ImagePart, Message, Request, TextPart
from ._base import SSEFramedDecoder
from ._json import loads
from ._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEMessage
from ._text import excerpt, readable

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "OpenAIChatDecoder",
    "build_chat_body",
    "normalise_finish_reason",
    "openai_error",
]

_loads = loads  # json.loads, on the fast path

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
    message = ""
    code: str | None = None
    status = status_code
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        raw_code = error.get("code")
        kind = error.get("type")
        if isinstance(raw_code, int) and 400 <= raw_code <= 599 and status in (None, 200):
            status = raw_code  # OpenRouter, vLLM: the upstream status rides in "code"
        code = str(raw_code) if isinstance(raw_code, str) else (str(kind) if kind else None)
    elif isinstance(error, str):
        message = error
    elif isinstance(payload, dict) and isinstance(payload.get("message"), str):
        message = payload["message"]
    if not message:
        message = readable(raw) or "no error message"
    cls = provider_error_for_status(None if status == 200 else status)
    hint = (code or "").lower()
    if "rate_limit" in hint or hint == "insufficient_quota":
        cls = RateLimitError
    elif "overloaded" in hint:
        cls = provider_error_for_status(529)
    elif hint in ("server_error", "internal_error") and cls is ProviderError:
        cls = provider_error_for_status(500)
    where = f"HTTP {status_code}: " if status_code not in (None, 200) else ""
    exc = cls(
        f"{where}{message}",
        status_code=status,
        body=excerpt(raw),
        code=code,
        retry_after=retry_after,
    )
    if hint == "insufficient_quota":
        exc.retryable = False  # out of credit: waiting will not help
    return exc


@final
class _ToolState:
    __slots__ = ("id", "name", "parts")

    def __init__(self, id: str, name: str, first: str) -> None:
        self.id = id
        self.name = name
        self.parts = [first]


@final
class OpenAIChatDecoder(SSEFramedDecoder):
    """Turn an OpenAI Chat Completions streaming body into events. Does no I/O.

    Args:
        provider: The provider name to put in `Metadata`.
        requested_model: The model that was asked for.
        extra: Provider details for `Metadata.extra` (request id from headers, ...).
        max_event_bytes: The largest server-sent event accepted.
    """

    __slots__ = (
        "_extra",
        "_finish",
        "_metadata_sent",
        "_provider",
        "_requested_model",
        "_sse",
        "_tools",
        "_tools_done",
        "_usage",
        "done",
    )

    _terminal_name = "[DONE]"

    def __init__(
        self,
        *,
        provider: str,
        requested_model: str,
        extra: Mapping[str, Any] | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._provider = provider
        self._requested_model = requested_model
        self._extra = dict(extra or {})
        self._sse = SSEDecoder(max_event_bytes=max_event_bytes)
        self._metadata_sent = False
        self._tools: dict[int, _ToolState] = {}
        self._tools_done = False
        self._finish: str | None = None
        self._usage: Usage | None = None
        self.done = False
        """True once ``[DONE]`` was read: the response is complete."""

    def _decode(self, messages: list[SSEMessage], out: list[Event]) -> None:
        for message in messages:
            data = message.data
            if message.event != "message" and message.event != "error":
                continue  # Chat Completions defines no event types: skip, unread
            if data == "[DONE]":
                self._terminal(out)
                return
            try:
                chunk = _loads(data)
            except (ValueError, RecursionError):  # deeply nested JSON too
                raise ProtocolError(
                    "data line is not valid JSON",
                    offset=self._sse.bytes_fed,
                    excerpt=excerpt(data, 120),
                ) from None
            if type(chunk) is not dict:
                raise ProtocolError(
                    "data line is not a JSON object",
                    offset=self._sse.bytes_fed,
                    excerpt=excerpt(data, 120),
                )
            if chunk.get("error") or message.event == "error":
                raise openai_error(chunk, raw=data)
            start = len(out)
            try:
                self._chunk(chunk, out)
            except (AttributeError, KeyError, IndexError, TypeError) as exc:
                raise ProtocolError(
                    "chunk does not have the Chat Completions shape",
                    offset=self._sse.bytes_fed,
                    excerpt=excerpt(data, 120),
                ) from exc
            finally:
                if not self._metadata_sent:
                    model = chunk.get("model")
                    if model or len(out) > start:
                        out.insert(start, self._metadata(chunk, str(model or "")))

    def _chunk(self, chunk: dict[str, Any], out: list[Event]) -> None:
        choices = chunk.get("choices")
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
        usage = chunk.get("usage")
        if usage is None:
            x_groq = chunk.get("x_groq")
            usage = x_groq.get("usage") if isinstance(x_groq, dict) else None
        if usage and isinstance(usage, dict):
            self._usage = _usage(usage)

    def _metadata(self, chunk: dict[str, Any], model: str) -> Metadata:
        self._metadata_sent = True
        extra = self._extra
        fingerprint = chunk.get("system_fingerprint")
        if fingerprint:
            extra = {**extra, "system_fingerprint": fingerprint}
        response_id = chunk.get("id")
        return Metadata(
            provider=self._provider,
            model=model or self._requested_model,
            requested_model=self._requested_model,
            response_id=str(response_id) if response_id else None,
            extra=extra,
        )

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
        start = len(out)
        self._complete_tools(out)
        if self._usage is not None:
            out.append(self._usage)
        out.append(Finish(normalise_finish_reason(self._finish), self._finish))
        if not self._metadata_sent:
            out.insert(start, self._metadata({}, ""))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _usage(data: dict[str, Any]) -> Usage:
    prompt_details = data.get("prompt_tokens_details")
    completion_details = data.get("completion_tokens_details")
    return Usage(
        input_tokens=_int(data.get("prompt_tokens")),
        output_tokens=_int(data.get("completion_tokens")),
        total_tokens=_int(data.get("total_tokens")),
        cached_tokens=_int(prompt_details.get("cached_tokens"))
        if isinstance(prompt_details, dict)
        else None,
        reasoning_tokens=_int(completion_details.get("reasoning_tokens"))
        if isinstance(completion_details, dict)
        else None,
    )


def _content(message: Message) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str):
        return message.content
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            url = part.url if part.url is not None else f"data:{part.media_type};base64,{part.data}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
    return parts


def _message(message: Message) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role}
    if message.role == "assistant" and message.tool_calls:
        wire["content"] = _content(message) or None
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    else:
        wire["content"] = _content(message)
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    if message.name is not None and message.role != "tool":
        wire["name"] = message.name
    return wire


def build_chat_body(request: Request, *, model: str) -> dict[str, Any]:
    """The JSON body of a streaming Chat Completions request (a new dict; nothing is shared
    with `request` but read-only leaves such as tool parameter schemas)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [_message(message) for message in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                },
            }
            for tool in request.tools
        ]
    if request.tool_choice is not None:
        choice = request.tool_choice
        body["tool_choice"] = (
            choice
            if choice in ("auto", "none", "required")
            else {"type": "function", "function": {"name": choice}}
        )
    options = {
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "top_p": request.top_p,
        "seed": request.seed,
    }
    body.update((key, value) for key, value in options.items() if value is not None)
    if request.stop:
        body["stop"] = list(request.stop)
    body.update(request.extra)
    return body
