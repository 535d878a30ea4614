"""Anthropic Messages, sans-IO: the streaming body decoder and the request body builder.

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
- ``message_delta`` carries ``delta.stop_reason`` and a **cumulative** ``usage``: its
  ``output_tokens`` is the running total (the last one is final, never a sum), and newer API
  versions repeat ``input_tokens`` and the cache counts there too (the SDK prefers them);
- ``message_stop`` ends the response; ``ping`` keeps the connection alive;
- ``event: error`` with ``{"type": "error", "error": {"type": "overloaded_error", ...}}`` can
  arrive after HTTP 200, mid-stream; HTTP error bodies have the same shape.

`Metadata` is sent at ``message_start`` (or before the first other event if the stream skips
it). Each client tool call is sent as `ToolCallDelta` pieces and, at its
``content_block_stop``, once as a `ToolCall` whose arguments are the concatenated JSON text;
`Usage` and `Finish` at ``message_stop``. ``server_tool_use`` blocks are run by Anthropic, not
by the caller, so they are not tool calls. Thinking signatures are kept on the decoder
(`AnthropicDecoder.signatures`), not in events.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, Final, final

from .._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OverloadedError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    ServerError,
    provider_error_for_status,
)
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
    "ANTHROPIC_VERSION",
    "DEFAULT_MAX_TOKENS",
    "AnthropicDecoder",
    "anthropic_error",
    "build_anthropic_body",
]

ANTHROPIC_VERSION: Final = "2023-06-01"
"""The ``anthropic-version`` header value this module's wire format follows."""
DEFAULT_MAX_TOKENS: Final = 4096
"""``max_tokens`` is required by the Messages API: sent when the request sets none."""

_loads = loads  # json.loads, on the fast path
_KNOWN_EVENTS = frozenset(
    {
        "message",  # data-only streams: the JSON "type" decides
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
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
    "refusal": "content_filter",
    "pause_turn": "other",
}

# "Errors" in the API reference: HTTP 400, 401, 402, 403, 404, 413, 429, 500, 504, 529.
_ERROR_TYPES: dict[str, type[ProviderError]] = {
    "invalid_request_error": BadRequestError,
    "request_too_large": BadRequestError,
    "authentication_error": AuthenticationError,
    "permission_error": AuthenticationError,
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
    message = ""
    kind: str | None = None
    request_id: str | None = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            message = str(error.get("message") or "")
            kind = error.get("type") if isinstance(error.get("type"), str) else None
        elif isinstance(error, str):
            message = error
        elif isinstance(payload.get("message"), str):
            message = payload["message"]
        if isinstance(payload.get("request_id"), str):
            request_id = payload["request_id"]
    if not message:
        message = readable(raw) or "no error message"
    status = None if status_code == 200 else status_code
    by_type = _ERROR_TYPES.get(kind or "")
    if kind == "api_error" and status is not None:
        by_type = None  # the generic type says less than a real HTTP status does
    cls = by_type or provider_error_for_status(status)
    where = f"HTTP {status}: " if status is not None else ""
    request = f" (request {request_id})" if request_id else ""
    return cls(
        f"{where}{message}{request}",
        status_code=status,
        body=excerpt(raw),
        code=kind,
        retry_after=retry_after,
    )


@final
class _ToolState:
    __slots__ = ("done", "id", "name", "parts", "position")

    def __init__(self, position: int, id: str, name: str) -> None:
        self.position = position  # among the response's tool calls, not among all blocks
        self.id = id
        self.name = name
        self.parts: list[str] = []
        self.done = False


def _shape_error(what: str, data: str, offset: int) -> ProtocolError:
    return ProtocolError(what, offset=offset, excerpt=excerpt(data, 120))


@final
class AnthropicDecoder(SSEFramedDecoder):
    """Turn an Anthropic Messages streaming body into events. Does no I/O.

    Args:
        provider: The provider name to put in `Metadata`.
        requested_model: The model that was asked for.
        extra: Provider details for `Metadata.extra` (request id from headers, ...).
        max_event_bytes: The largest server-sent event accepted.

    Attributes:
        signatures: The signature of each thinking block, by content block index, as
            ``signature_delta`` (or ``content_block_start``) gave it. Sending thinking back
            in a later turn needs it; events do not carry it.
        done: True once ``message_stop`` was read: the response is complete.
    """

    __slots__ = (
        "_blocks",
        "_cached",
        "_extra",
        "_input",
        "_metadata_sent",
        "_output",
        "_provider",
        "_reasoning_tokens",
        "_requested_model",
        "_sse",
        "_stop",
        "_tools",
        "done",
        "signatures",
    )

    _terminal_name = "message_stop"

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
        self._blocks: set[int] = set()  # indices of the content blocks started
        self._tools: dict[int, _ToolState] = {}  # by content block index: tool_use only
        self._stop: str | None = None
        self._input: int | None = None
        self._output: int | None = None
        self._cached: int | None = None
        self._reasoning_tokens: int | None = None
        self.signatures: dict[int, str] = {}
        self.done = False

    def _decode(self, messages: list[SSEMessage], out: list[Event]) -> None:
        for message in messages:
            data = message.data
            if message.event not in _KNOWN_EVENTS or message.event == "ping":
                continue  # a keep-alive, or an event type the API does not define: unread
            try:
                event = _loads(data)
            except (ValueError, RecursionError):  # deeply nested JSON too
                raise _shape_error(
                    "data line is not valid JSON", data, self._sse.bytes_fed
                ) from None
            if type(event) is not dict:
                raise _shape_error("data line is not a JSON object", data, self._sse.bytes_fed)
            kind = event.get("type")
            if not isinstance(kind, str):
                kind = message.event
            if kind == "error" or message.event == "error":
                raise anthropic_error(event, raw=data)
            start = len(out)
            try:
                self._event(kind, event, out)
            except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
                raise _shape_error(
                    f"{kind} event does not have the Messages API shape ({exc})",
                    data,
                    self._sse.bytes_fed,
                ) from exc
            finally:
                if not self._metadata_sent and len(out) > start:
                    out.insert(start, self._metadata(None, None))
            if self.done:
                return

    def _event(self, kind: str, event: dict[str, Any], out: list[Event]) -> None:
        if kind == "content_block_delta":  # the hot path: one per token
            self._delta(_index(event), event["delta"], out)
        elif kind == "message_start":
            self._start(event["message"], out)
        elif kind == "content_block_start":
            self._block_start(_index(event), event["content_block"], out)
        elif kind == "content_block_stop":
            tool = self._tools.get(_index(event))
            if tool is not None and not tool.done:
                self._complete(tool, out)
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
        if not self._metadata_sent:
            model, response_id = message.get("model"), message.get("id")
            out.append(
                self._metadata(
                    model if isinstance(model, str) else None,
                    response_id if isinstance(response_id, str) else None,
                )
            )

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
            thinking = block.get("thinking")
            if thinking:
                out.append(ReasoningDelta(_str(thinking)))
            signature = block.get("signature")
            if signature:
                self.signatures[index] = _str(signature)
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
        # redacted_thinking (encrypted, nothing to show), server_tool_use, *_tool_result,
        # and block types this decoder does not know: no events

    def _delta(self, index: int, delta: dict[str, Any], out: list[Event]) -> None:
        kind = delta["type"]
        if kind == "text_delta":
            text = _str(delta["text"])
            if text:
                out.append(TextDelta(text))
        elif kind == "input_json_delta":
            fragment = _str(delta["partial_json"])
            tool = self._tools.get(index)
            if tool is None:
                return  # a server_tool_use block's input: Anthropic runs it, not the caller
            if tool.done:
                raise ValueError(f"input_json_delta for tool block {index} after its stop")
            if fragment:
                tool.parts.append(fragment)
                out.append(ToolCallDelta(tool.position, None, None, fragment))
        elif kind == "thinking_delta":
            thinking = _str(delta["thinking"])
            if thinking:
                out.append(ReasoningDelta(thinking))
        elif kind == "signature_delta":
            self.signatures[index] = _str(delta["signature"])
        # citations_delta, and delta types this decoder does not know: skipped

    def _usage(self, usage: dict[str, Any], *, final: bool) -> None:
        # Cumulative counts: a later value replaces an earlier one, never adds to it.
        if type(usage) is not dict:
            raise TypeError("usage is not an object")
        input_tokens = _int(usage.get("input_tokens"))
        if input_tokens is not None:
            self._input = input_tokens
        cached = _int(usage.get("cache_read_input_tokens"))
        if cached is not None:
            self._cached = cached
        if final:  # message_start's output_tokens is a count so far, not the final one
            output = _int(usage.get("output_tokens"))
            if output is not None:
                self._output = output
        details = usage.get("output_tokens_details")
        if isinstance(details, dict):
            thinking = _int(details.get("thinking_tokens"))
            if thinking is not None:
                self._reasoning_tokens = thinking

    def _metadata(self, model: str | None, response_id: str | None) -> Metadata:
        self._metadata_sent = True
        return Metadata(
            provider=self._provider,
            model=model or self._requested_model,
            requested_model=self._requested_model,
            response_id=response_id or None,
            extra=self._extra,
        )

    def _complete(self, tool: _ToolState, out: list[Event]) -> None:
        tool.done = True
        arguments = "".join(tool.parts)
        if not arguments:  # a tool without parameters streams nothing: its input is {}
            arguments = "{}"
            out.append(ToolCallDelta(tool.position, None, None, arguments))
        tool.parts = []
        out.append(ToolCall(tool.position, tool.id, tool.name, arguments))

    def _terminal(self, out: list[Event]) -> None:
        self.done = True
        for tool in self._tools.values():  # in block order, which is call order
            if not tool.done:  # message_stop without the block's stop: complete it anyway
                self._complete(tool, out)
        if self._input is not None or self._output is not None:
            total = (
                self._input + self._output
                if self._input is not None and self._output is not None
                else None
            )
            out.append(
                Usage(
                    input_tokens=self._input,
                    output_tokens=self._output,
                    total_tokens=total,
                    cached_tokens=self._cached,
                    reasoning_tokens=self._reasoning_tokens,
                )
            )
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


# -- the request body ------------------------------------------------------------------------


def _image(part: ImagePart) -> dict[str, Any]:
    source: dict[str, Any]
    if part.url is not None:
        if part.url.startswith("data:") and ";base64," in part.url:
            # the API takes no data: URLs; the same bytes go in as a base64 source
            media_type, _, data = part.url[5:].partition(";base64,")
            source = {"type": "base64", "media_type": media_type, "data": data}
        else:
            source = {"type": "url", "url": part.url}
    else:
        source = {"type": "base64", "media_type": part.media_type, "data": part.data}
    return {"type": "image", "source": source}


def _blocks(content: str | tuple[TextPart | ImagePart, ...]) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [
        {"type": "text", "text": part.text} if isinstance(part, TextPart) else _image(part)
        for part in content
    ]


def _content(content: str | tuple[TextPart | ImagePart, ...]) -> str | list[dict[str, Any]]:
    return content if isinstance(content, str) else _blocks(content)


def _tool_input(arguments: str, name: str) -> dict[str, Any]:
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):  # deeply nested JSON too
        value = None
    if type(value) is not dict:
        raise ValueError(
            f"the arguments of tool call {name!r} are not a JSON object, which the Messages "
            f"API requires as tool_use input: {excerpt(arguments, 60)!r}"
        )
    return value


def _assistant(message: Message) -> dict[str, Any]:
    if not message.tool_calls:
        return {"role": "assistant", "content": _content(message.content)}
    blocks = _blocks(message.content)  # an empty text block is rejected: none is sent
    blocks.extend(
        {
            "type": "tool_use",
            "id": call.id,
            "name": call.name,
            "input": _tool_input(call.arguments, call.name),
        }
        for call in message.tool_calls
    )
    return {"role": "assistant", "content": blocks}


def _tool_result(message: Message) -> dict[str, Any]:
    if message.tool_call_id is None:
        raise ValueError("a tool message needs the tool_call_id of the call it answers")
    return {
        "type": "tool_result",
        "tool_use_id": message.tool_call_id,
        "content": _content(message.content),
    }


def _messages(messages: tuple[Message, ...]) -> tuple[list[str], list[dict[str, Any]]]:
    system: list[str] = []
    wire: list[dict[str, Any]] = []
    results: list[dict[str, Any]] | None = None  # the tool_result blocks being gathered
    for message in messages:
        role = message.role
        if role == "tool":
            if results is None:
                results = []
                wire.append({"role": "user", "content": results})
            results.append(_tool_result(message))
            continue
        results = None
        if role == "system":
            system.append(message.text)  # the API has no system role: top-level "system"
        elif role == "assistant":
            wire.append(_assistant(message))
        else:
            wire.append({"role": "user", "content": _content(message.content)})
    return system, wire


def _tool_choice(choice: str) -> dict[str, Any]:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return {"type": "tool", "name": choice}


def build_anthropic_body(request: Request, *, model: str) -> dict[str, Any]:
    """The JSON body of a streaming Messages request (a new dict sharing nothing with
    `request`).

    System messages go in the top-level ``system`` field (joined by a blank line when there
    are several); consecutive tool results become ``tool_result`` blocks of one user
    message; assistant tool calls become ``tool_use`` blocks with the parsed arguments as
    ``input``. ``max_tokens`` defaults to `DEFAULT_MAX_TOKENS`; ``seed`` has no Messages API
    equivalent and is not sent. ``Request.extra`` is merged last.

    Raises:
        ValueError: An assistant tool call whose arguments are not a JSON object, or a tool
            message without a ``tool_call_id``.
    """
    system, messages = _messages(request.messages)
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens if request.max_tokens is not None else DEFAULT_MAX_TOKENS,
        "messages": messages,
        "stream": True,
    }
    if system:
        body["system"] = "\n\n".join(system)
    if request.tools:
        tools: list[dict[str, Any]] = []
        for tool in request.tools:
            spec: dict[str, Any] = {"name": tool.name}
            if tool.description:
                spec["description"] = tool.description
            spec["input_schema"] = copy.deepcopy(tool.parameters)
            tools.append(spec)
        body["tools"] = tools
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    body.update(copy.deepcopy(request.extra))
    return body
