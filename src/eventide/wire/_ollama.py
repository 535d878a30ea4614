"""Ollama's native chat API, sans-IO: the streaming body's mapper and its error mapping (the
request body is built in `_ollama_body`).

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

`Metadata` is sent once, at the first line that names the model (every line does), else
before the first event (Ollama has no response id); a ``model`` first named after `Metadata`
(which then has the requested model) is `Finish.model` (see `ServedModel`). Each tool call
is sent as a `ToolCallDelta` with the whole arguments and its `ToolCall` at once; a call
without an id gets ``call_<index>``. `Usage` and `Finish` come at the ``done`` line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, final

from .._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OverloadedError,
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
from ._base import ErrorPayload
from ._driver import MapperBase, StreamDecoder, served
from ._error_payload import error_from_payload, error_message
from ._json import int_or_none
from ._ndjson import DEFAULT_MAX_LINE_BYTES
from ._ollama_body import build_ollama_body as build_ollama_body
from ._served import ServedModel

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OllamaDecoder", "build_ollama_body", "ollama_error"]

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
    status = None if status_code == 200 else status_code
    message = error_message(payload)
    hinted = _hinted(message)
    by_text = hinted
    if status is not None and not (
        hinted is OverloadedError and provider_error_for_status(status) is ServerError
    ):
        by_text = None  # with a status, the text only tells a busy server from a broken one
    return error_from_payload(
        payload,
        status_code=status_code,
        retry_after=retry_after,
        raw=raw,
        by_code=by_text,
        fallback=ServerError,  # an error line in the stream that names nothing: the server's
        message=message,
    )


@final
class OllamaMapper(MapperBase):
    """The `Mapper` of ``/api/chat`` NDJSON lines (see the module docstring)."""

    __slots__ = ("_served", "_tool_count")

    framing = "ndjson"
    events = frozenset({"message"})
    shape = "Ollama chat"
    terminal = "the done line"
    error = staticmethod(ollama_error)

    def __init__(self, metadata: Metadata) -> None:
        super().__init__(metadata)
        self._tool_count = 0
        self._served = ServedModel()

    def metadata(self, payload: dict[str, Any], *, needed: bool) -> Metadata | None:
        model = payload.get("model")
        if payload.get("error") or not ((isinstance(model, str) and model) or needed):
            return None
        self._served.sent(model)
        remote = {
            key: payload[key] for key in _METADATA_FIELDS if isinstance(payload.get(key), str)
        }
        return served(self._base, model, **remote)

    def on_payload(self, kind: str, payload: dict[str, Any], out: list[Event]) -> None:
        if payload.get("error"):
            raise ErrorPayload(payload)
        if self._served.looking:
            self._served.see(payload.get("model"))
        message = payload.get("message")
        if message is not None:
            if type(message) is not dict:
                raise TypeError("message is not a JSON object")
            self._message(message, out)
        done = payload.get("done")
        if done is True:
            self._terminal(payload, out)
        elif done is not None and done is not False:
            raise TypeError("done is not a boolean")

    def _message(self, message: dict[str, Any], out: list[Event]) -> None:
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
            raise TypeError("tool_calls is not a list")
        for call in calls:
            self._tool_call(call, out)

    def _tool_call(self, call: Any, out: list[Event]) -> None:
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(function, dict) or not isinstance(name, str) or not name:
            raise TypeError("tool call without a function name")
        arguments = function.get("arguments")
        if arguments is None:
            text = "{}"  # a call without arguments
        elif type(arguments) is dict:
            text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(arguments, str):
            text = arguments  # already JSON text (OpenAI-style servers speaking this API)
        else:
            raise TypeError("tool call arguments are not a JSON object")
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
        out.append(Finish(normalised, reason, self._served.late))


@final
class OllamaDecoder(StreamDecoder):
    """Turn an Ollama ``/api/chat`` streaming body into events (a `StreamDecoder`, whose
    `max_event_bytes` is `max_line_bytes` here: the longest NDJSON line accepted)."""

    __slots__ = ()
    mapper_type = OllamaMapper

    def __init__(
        self,
        *,
        provider: str,
        requested_model: str,
        extra: Mapping[str, Any] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        super().__init__(
            provider=provider,
            requested_model=requested_model,
            extra=extra,
            max_event_bytes=max_line_bytes,
        )


def _usage(chunk: dict[str, Any]) -> Usage | None:
    prompt = int_or_none(chunk.get("prompt_eval_count"))
    output = int_or_none(chunk.get("eval_count"))
    if prompt is None and output is None:
        return None  # no counts at all (a "load" response): unknown, so no Usage
    return Usage(input_tokens=prompt, output_tokens=output)  # total: computed by Usage
