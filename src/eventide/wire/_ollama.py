"""Ollama's native chat API, sans-IO: the streaming body decoder and the request body builder.

Wire format from the Ollama API reference, "Generate a chat completion" (``POST /api/chat``),
"Streaming", "Errors" and "Usage" (docs.ollama.com/api, docs/api.md in github.com/ollama/ollama,
read 2026-08), and the server's own types (``api.ChatResponse``, ``api.Message``,
``api.ToolCall``):

- the body is NDJSON (``application/x-ndjson``): one JSON object per line, each
  ``{"model", "created_at", "message": {"role": "assistant", "content", "thinking"?,
  "tool_calls"?}, "done": false}``;
- ``message.thinking`` is the reasoning of thinking models; ``message.tool_calls`` carries
  whole calls, never fragments: ``{"id"?, "function": {"index"?, "name", "arguments": {...}}}``
  with the arguments as a JSON object (older servers send no ``id``);
- the last line has ``"done": true``, a ``done_reason`` (``stop``, ``length``, ``load``,
  ``unload``; absent on old servers) and the metrics: ``prompt_eval_count`` (input tokens),
  ``eval_count`` (output tokens) and durations in nanoseconds. Zero counts are omitted
  (Go's ``omitempty``), so an absent count is unknown, not zero. Ollama reports no tool-call
  finish reason: ``stop`` after tool calls becomes ``tool_calls``;
- an error after the stream started is a line ``{"error": "..."}`` (the status stays 200);
  before it, the status says what failed and the body is ``{"error": "..."}`` as JSON.

`Metadata` is sent once, at the first line (Ollama has no response id). Each tool call is
sent as a `ToolCallDelta` with the whole arguments and its `ToolCall` at once; a call without
an id gets ``call_<index>``. `Usage` and `Finish` come at the ``done`` line.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, final

from .._errors import (
    AuthenticationError,
    BadRequestError,
    Error,
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
from ._base import FramedDecoder
from ._json import loads
from ._ndjson import DEFAULT_MAX_LINE_BYTES, NDJSONDecoder
from ._text import excerpt, readable

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OllamaDecoder", "build_ollama_body", "ollama_error"]

_loads = loads  # json.loads, on the fast path
_FINISH_REASONS: dict[str, FinishReason] = {"stop": "stop", "length": "length"}
_METADATA_FIELDS = ("remote_model", "remote_host")  # set when a cloud model served the request

# Ollama's errors are plain sentences without a code: these words in one say what it is when
# the status does not (an in-stream error, or a 5xx that is really "busy").
_HINTS: tuple[tuple[tuple[str, ...], type[ProviderError]], ...] = (
    (("server busy", "overloaded", "maximum pending requests"), OverloadedError),
    (("rate limit", "too many requests"), RateLimitError),
    (("unauthorized", "invalid api key", "forbidden"), AuthenticationError),
    (("not found",), NotFoundError),
    (("does not support",), BadRequestError),
)


def _hinted(message: str) -> type[ProviderError] | None:
    lowered = message.lower()
    for words, cls in _HINTS:
        if any(word in lowered for word in words):
            return cls
    return None


def ollama_error(
    payload: Any,
    *,
    status_code: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
) -> ProviderError:
    """The typed error for an Ollama error body (``{"error": "..."}``) or in-stream error line.

    The HTTP status decides the class (404 `NotFoundError`, 400 `BadRequestError`, 429
    `RateLimitError`, 503 `OverloadedError`, other 5xx `ServerError`, ...); a 5xx whose text
    says the server is busy is an `OverloadedError`. Without a status (an error line in the
    stream) the text decides, and anything it does not name is a `ServerError`.

    Args:
        payload: The decoded JSON body, or None when the body was not JSON.
        status_code: The HTTP status, if the payload came with one.
        retry_after: Seconds from a Retry-After header, if any.
        raw: The body text, for the excerpt.
    """
    message = ""
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, str):
        message = error
    elif isinstance(error, dict) and isinstance(error.get("message"), str):
        message = error["message"]  # an OpenAI-shaped body from a proxy in front of Ollama
    if not message:
        message = readable(raw) or "no error message"
    status = None if status_code == 200 else status_code
    hinted = _hinted(message)
    if status is None:
        cls = hinted or ServerError
    else:
        cls = provider_error_for_status(status)
        if cls is ServerError and hinted is OverloadedError:
            cls = OverloadedError
    where = f"HTTP {status}: " if status is not None else ""
    return cls(
        f"{where}{message}",
        status_code=status,
        body=excerpt(raw),
        retry_after=retry_after,
    )


@final
class OllamaDecoder(FramedDecoder):
    """Turn an Ollama ``/api/chat`` streaming body into events. Does no I/O.

    Args:
        provider: The provider name to put in `Metadata`.
        requested_model: The model that was asked for.
        extra: Provider details for `Metadata.extra`.
        max_line_bytes: The longest NDJSON line accepted.
    """

    __slots__ = (
        "_extra",
        "_metadata_sent",
        "_ndjson",
        "_provider",
        "_requested_model",
        "_tool_count",
        "done",
    )

    def __init__(
        self,
        *,
        provider: str,
        requested_model: str,
        extra: Mapping[str, Any] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        self._provider = provider
        self._requested_model = requested_model
        self._extra = dict(extra or {})
        self._ndjson = NDJSONDecoder(max_line_bytes=max_line_bytes)
        self._metadata_sent = False
        self._tool_count = 0
        self.done = False
        """True once the ``"done": true`` line was read: the response is complete."""

    def end(self) -> list[Event]:
        """Mark the end of the body; a last line without its LF still counts.

        Raises:
            ProtocolError: The body ended before the ``done`` line (it was truncated).
        """
        if self.done:
            return []
        out: list[Event] = []
        try:
            last = self._ndjson.end()
            if last:
                self._line(last[0], out, final=True)
            if not out or type(out[-1]) is not Finish:
                raise ProtocolError(
                    "stream ended before the done line: the response is truncated",
                    offset=self._ndjson.bytes_fed,
                )
        except Error as exc:
            self._claim(exc, out)
            raise
        return out

    def _frames(self, data: bytes) -> list[Any]:
        return self._ndjson.feed(data)

    def _decode(self, lines: list[str], out: list[Event]) -> None:
        for line in lines:
            self._line(line, out, final=False)
            if self.done:
                return

    def _line(self, line: str, out: list[Event], *, final: bool) -> None:
        try:
            chunk = _loads(line)
        except (ValueError, RecursionError):  # deeply nested JSON too
            raise ProtocolError(
                "the body ended in the middle of a line: the response is truncated"
                if final
                else "line is not valid JSON",
                offset=self._ndjson.bytes_fed,
                excerpt=excerpt(line, 120),
            ) from None
        if type(chunk) is not dict:
            raise ProtocolError(
                "line is not a JSON object",
                offset=self._ndjson.bytes_fed,
                excerpt=excerpt(line, 120),
            )
        if chunk.get("error"):
            raise ollama_error(chunk, raw=line)
        if not self._metadata_sent:
            out.append(self._metadata(chunk))
        message = chunk.get("message")
        if message is not None:
            if type(message) is not dict:
                raise ProtocolError(
                    "message is not a JSON object",
                    offset=self._ndjson.bytes_fed,
                    excerpt=excerpt(line, 120),
                )
            self._message(message, out, line)
        done = chunk.get("done")
        if done is True:
            self._terminal(chunk, out)
        elif done is not None and done is not False:
            raise ProtocolError(
                "done is not a boolean", offset=self._ndjson.bytes_fed, excerpt=excerpt(line, 120)
            )

    def _metadata(self, chunk: dict[str, Any]) -> Metadata:
        self._metadata_sent = True
        model = chunk.get("model")
        extra = self._extra
        served = {key: chunk[key] for key in _METADATA_FIELDS if isinstance(chunk.get(key), str)}
        if served:
            extra = {**extra, **served}
        return Metadata(
            provider=self._provider,
            model=model if isinstance(model, str) and model else self._requested_model,
            requested_model=self._requested_model,
            extra=extra,
        )

    def _message(self, message: dict[str, Any], out: list[Event], line: str) -> None:
        thinking = message.get("thinking")
        if thinking and isinstance(thinking, str):
            out.append(ReasoningDelta(thinking))
        content = message.get("content")
        if content and isinstance(content, str):
            out.append(TextDelta(content))
        calls = message.get("tool_calls")
        if not calls:
            return
        if type(calls) is not list:
            raise ProtocolError(
                "tool_calls is not a list",
                offset=self._ndjson.bytes_fed,
                excerpt=excerpt(line, 120),
            )
        for call in calls:
            self._tool_call(call, out, line)

    def _tool_call(self, call: Any, out: list[Event], line: str) -> None:
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(function, dict) or not isinstance(name, str) or not name:
            raise ProtocolError(
                "tool call without a function name",
                offset=self._ndjson.bytes_fed,
                excerpt=excerpt(line, 120),
            )
        arguments = function.get("arguments")
        if arguments is None:
            text = "{}"  # a call without arguments
        elif type(arguments) is dict:
            text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(arguments, str):
            text = arguments  # already JSON text (OpenAI-style servers speaking this API)
        else:
            raise ProtocolError(
                "tool call arguments are not a JSON object",
                offset=self._ndjson.bytes_fed,
                excerpt=excerpt(line, 120),
            )
        index = self._tool_count
        self._tool_count = index + 1
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            call_id = f"call_{index}"
        out.append(ToolCallDelta(index, call_id, name, text))
        out.append(ToolCall(index, call_id, name, text))

    def _terminal(self, chunk: dict[str, Any], out: list[Event]) -> None:
        self.done = True
        usage = _usage(chunk)
        if usage is not None:
            out.append(usage)
        raw = chunk.get("done_reason")
        reason = raw if isinstance(raw, str) and raw else None
        normalised = _FINISH_REASONS.get(reason, "other") if reason is not None else "other"
        if normalised == "stop" and self._tool_count:
            normalised = "tool_calls"
        out.append(Finish(normalised, reason))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _usage(chunk: dict[str, Any]) -> Usage | None:
    prompt = _int(chunk.get("prompt_eval_count"))
    output = _int(chunk.get("eval_count"))
    if prompt is None and output is None:
        return None  # no counts at all (a "load" response): unknown, so no Usage
    total = prompt + output if prompt is not None and output is not None else None
    return Usage(input_tokens=prompt, output_tokens=output, total_tokens=total)


# -- the request body ----------------------------------------------------------------------


def _arguments(call: ToolCall) -> Any:
    text = call.arguments.strip()
    if not text:
        return {}
    try:
        arguments = json.loads(text)
    except (ValueError, RecursionError):  # deeply nested JSON too
        raise ValueError(
            f"tool call {call.id!r} ({call.name}): Ollama needs the arguments as a JSON object, "
            f"and {excerpt(call.arguments, 60)!r} is not JSON"
        ) from None
    if not isinstance(arguments, dict):
        raise ValueError(
            f"tool call {call.id!r} ({call.name}): Ollama needs the arguments as a JSON object"
        )
    return arguments


def _message(message: Message, tool_names: dict[str, str]) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role}
    if isinstance(message.content, str):
        wire["content"] = message.content
    else:
        texts: list[str] = []
        images: list[str] = []
        for part in message.content:
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ImagePart):
                if part.data is None:
                    raise ValueError(
                        "Ollama takes images as base64 data only, not by URL: "
                        f"download {part.url!r} and pass ImagePart(data=..., media_type=...)"
                    )
                images.append(part.data)
        wire["content"] = "".join(texts)
        if images:
            wire["images"] = images
    if message.tool_calls:
        calls = []
        for call in message.tool_calls:
            tool_names[call.id] = call.name
            calls.append(
                {"id": call.id, "function": {"name": call.name, "arguments": _arguments(call)}}
            )
        wire["tool_calls"] = calls
    if message.role == "tool":
        name = message.name or tool_names.get(message.tool_call_id or "")
        if name:
            wire["tool_name"] = name
        if message.tool_call_id is not None:
            wire["tool_call_id"] = message.tool_call_id
    return wire


def build_ollama_body(request: Request, *, model: str) -> dict[str, Any]:
    """The JSON body of a streaming ``/api/chat`` request (a new dict; nothing is shared with
    `request` but read-only leaves such as tool parameter schemas).

    Images go as base64 in the message's ``images``; a tool result names its tool in
    ``tool_name`` (its own `Message.name`, else the name of the assistant call it answers).
    Sampling options go under ``options`` (``max_tokens`` as ``num_predict``). Ollama has no
    ``tool_choice``: ``"none"`` sends no tools, a tool name sends only that tool, and
    ``"auto"``/``"required"`` send them all. `Request.extra` is merged last; its
    ``options``, if a mapping, is merged into the sampling options rather than replacing them.

    Raises:
        ValueError: An image given by URL (Ollama only takes base64 data), assistant tool
            call arguments that are not a JSON object, or a `tool_choice` naming no tool.
    """
    tool_names: dict[str, str] = {}
    body: dict[str, Any] = {
        "model": model,
        "messages": [_message(message, tool_names) for message in request.messages],
        "stream": True,
    }
    tools = request.tools
    if request.tool_choice == "none":
        tools = ()
    elif request.tool_choice not in (None, "auto", "required"):
        tools = tuple(tool for tool in tools if tool.name == request.tool_choice)
        if not tools:
            raise ValueError(
                f"tool_choice {request.tool_choice!r} is not one of the request's tools"
            )
    if tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                },
            }
            for tool in tools
        ]
    options: dict[str, Any] = {
        key: value
        for key, value in (
            ("temperature", request.temperature),
            ("num_predict", request.max_tokens),
            ("top_p", request.top_p),
            ("seed", request.seed),
        )
        if value is not None
    }
    if request.stop:
        options["stop"] = list(request.stop)
    extra = copy.deepcopy(request.extra)  # the body is the caller's to change
    extra_options = extra.get("options")
    if isinstance(extra_options, dict):
        extra["options"] = {**options, **extra_options}
    elif options:
        body["options"] = options
    body.update(extra)
    return body
