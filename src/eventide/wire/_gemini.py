"""Google Gemini (generativelanguage API), sans-IO: the streaming body's mapper and the error
mapping (the request body is built in `_gemini_body`).

Wire format from the Gemini API reference, "models.streamGenerateContent",
"GenerateContentResponse", "Content"/"Part", "FinishReason" and "UsageMetadata"
(ai.google.dev/api/generate-content, read 2026-12), and the error model of Google APIs
(google.rpc.Status, cloud.google.com/apis/design/errors):

- ``POST {base}/models/{model}:streamGenerateContent?alt=sse`` answers with server-sent events,
  each ``data: {GenerateContentResponse}``, usually framed with CRLF (``\\r\\n\\r\\n``);
- ``candidates[0].content.parts[]`` carries ``text`` (a thought summary when ``thought`` is
  true), or a whole ``functionCall`` (``name``, ``args`` as an object, sometimes an ``id``);
  parts of other kinds (``inlineData``, ``executableCode``, ...) and ``thoughtSignature``-only
  parts carry no event;
- ``finishReason`` arrives on the last candidate chunk; a prompt that was blocked gets
  ``promptFeedback.blockReason`` and no candidates instead;
- ``usageMetadata`` rides on many chunks; the last one is the final count:
  ``promptTokenCount`` includes the ``cachedContentTokenCount`` read from a cache, and
  ``candidatesTokenCount`` excludes the ``thoughtsTokenCount`` (output is their sum);
- ``modelVersion`` names the model that served, ``responseId`` the response;
- a failure after the status line is sent as ``data: {"error": {"code", "message", "status"}}``.

There is no ``[DONE]`` sentinel: **the stream ends at EOF**. So `GeminiDecoder.done` turns True
only in `GeminiDecoder.end()`, never in `feed()`: the terminal condition is "a chunk carrying a
``finishReason`` (or a ``promptFeedback.blockReason``) was seen, and then the body ended on an
event boundary". `end()` then emits `Usage` and `Finish`; a body that ends without any finish
reason, or in the middle of an event, is truncated (`ProtocolError`).

`Metadata` is sent once, first: at the first chunk that names a model (every Gemini chunk
does), else before the first content event, else at the end; a ``modelVersion`` first named
after `Metadata` (which then has the requested model) is `Finish.model` (see `ServedModel`).
Each ``functionCall`` part is a complete call: it becomes a `ToolCallDelta` and a `ToolCall`
at once, with the part's ``id`` or a deterministic ``call_<index>``, and the part's
``thoughtSignature`` as `ToolCall.signature` (the next request sends it back on that call);
the ``thoughtSignature`` of a text, thought or signature-only part as a `Reasoning` event
(``api="gemini"``, the signature alone) right after that part's text.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, TypeVar, final

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
from ._base import ErrorPayload
from ._driver import MapperBase, StreamDecoder, served
from ._error_payload import error_from_payload
from ._gemini_body import build_gemini_body as build_gemini_body
from ._json import int_or_none
from ._served import ServedModel

__all__ = ["GeminiDecoder", "build_gemini_body", "gemini_error"]

_T = TypeVar("_T")

# FinishReason values of the Gemini API reference; STOP is "tool_calls" when calls were made.
_FINISH_REASONS: Final[dict[str, FinishReason]] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "LANGUAGE": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
}

# google.rpc.Code names (the "status" of an error body) and the class each one means.
_STATUS_NAMES: Final[dict[str, type[ProviderError]]] = {
    "INVALID_ARGUMENT": BadRequestError,
    "FAILED_PRECONDITION": BadRequestError,
    "OUT_OF_RANGE": BadRequestError,
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "RESOURCE_EXHAUSTED": RateLimitError,
    "UNAVAILABLE": OverloadedError,
    "INTERNAL": ServerError,
    "UNKNOWN": ServerError,
    "DEADLINE_EXCEEDED": ServerError,
    "ABORTED": ServerError,
}

_RETRY_INFO: Final = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO: Final = "type.googleapis.com/google.rpc.ErrorInfo"
# A google.protobuf.Duration in its JSON form: seconds with up to nine decimals, then "s".
_DURATION: Final = re.compile(r"\s*(\d{1,12}(?:\.\d{1,9})?)s\s*")


def _finish_reason(raw: str, tool_calls: bool) -> FinishReason:
    upper = raw.upper()
    if upper == "STOP" and tool_calls:
        return "tool_calls"
    return _FINISH_REASONS.get(upper, "other")


def _retry_delay(details: Any) -> float | None:
    """Seconds from a google.rpc.RetryInfo detail (``"retryDelay": "37s"``), if any."""
    if not isinstance(details, list):
        return None
    for detail in details:
        if isinstance(detail, dict) and detail.get("@type") == _RETRY_INFO:
            delay = detail.get("retryDelay")
            match = _DURATION.fullmatch(delay) if isinstance(delay, str) else None
            if match:
                return float(match.group(1))
    return None


def _api_key_rejected(details: Any) -> bool:
    """Whether a google.rpc.ErrorInfo says the API key is the problem (``API_KEY_INVALID``
    comes with status 400 INVALID_ARGUMENT, not 401)."""
    if not isinstance(details, list):
        return False
    return any(
        isinstance(detail, dict)
        and detail.get("@type") == _ERROR_INFO
        and str(detail.get("reason", "")).startswith("API_KEY_")
        for detail in details
    )


def gemini_error(
    payload: Any,
    *,
    status_code: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
) -> ProviderError:
    """The typed error for a Gemini error body (``{"error": {"code", "message", "status",
    "details"}}``, also as a one-element list) or an in-stream error payload.

    The class comes from the error's ``status`` name (``RESOURCE_EXHAUSTED`` is a
    `RateLimitError`, ``UNAVAILABLE`` an `OverloadedError`, ...), else from the HTTP status
    (or the error's numeric ``code`` when there is no HTTP status). An API key the service
    rejects is an `AuthenticationError`, even though it comes as 400 INVALID_ARGUMENT.

    Args:
        payload: The decoded JSON body, or None when the body was not JSON.
        status_code: The HTTP status, if the payload came with one.
        retry_after: Seconds from a Retry-After header; without one, a
            ``google.rpc.RetryInfo`` detail's ``retryDelay`` is used.
        raw: The body text, for the excerpt.
    """
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        payload = payload[0]  # the non-SSE stream form: a JSON array of responses
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    name = error.get("status")
    name = name if isinstance(name, str) and name else None
    details = error.get("details")
    by_name = AuthenticationError if _api_key_rejected(details) else _STATUS_NAMES.get(name or "")
    return error_from_payload(
        payload,
        status_code=status_code,
        retry_after=retry_after if retry_after is not None else _retry_delay(details),
        raw=raw,
        code=name,
        named_status=error.get("code"),  # an in-stream error: the HTTP status it stands for
        by_code=by_name,
    )


@final
class GeminiMapper(MapperBase):
    """The `Mapper` of ``GenerateContentResponse`` chunks (see the module docstring)."""

    __slots__ = ("_blocked", "_finish", "_served", "_tool_calls", "_usage")

    shape = "GenerateContentResponse"
    terminal = "a finishReason"
    error = staticmethod(gemini_error)

    def __init__(self, metadata: Metadata) -> None:
        super().__init__(metadata)
        self._finish: str | None = None
        self._blocked: str | None = None
        self._tool_calls = 0
        self._usage: Usage | None = None
        self._served = ServedModel()

    def metadata(self, payload: dict[str, Any], *, needed: bool) -> Metadata | None:
        model = payload.get("modelVersion")
        if not ((isinstance(model, str) and model) or needed) or "error" in payload:
            return None
        self._served.sent(model)
        return served(self._base, model, payload.get("responseId"))

    def on_payload(self, kind: str, payload: dict[str, Any], out: list[Event]) -> None:
        if payload.get("error") or kind == "error":
            raise ErrorPayload(payload)
        if self._served.looking:
            self._served.see(payload.get("modelVersion"))
        candidates = _typed(payload.get("candidates"), list, "candidates")
        candidate = _first_candidate(candidates) if candidates else None
        if candidate is not None:
            content = _typed(candidate.get("content"), dict, "content")
            parts = _typed(content.get("parts"), list, "parts") if content else None
            for part in parts or ():
                self._part(part, out)
            reason = _typed(candidate.get("finishReason"), str, "finishReason")
            if reason:
                self._finish = reason
        feedback = _typed(payload.get("promptFeedback"), dict, "promptFeedback")
        blocked = _typed(feedback.get("blockReason"), str, "blockReason") if feedback else None
        if blocked:
            self._blocked = blocked
        usage = _typed(payload.get("usageMetadata"), dict, "usageMetadata")
        if usage is not None:
            self._usage = _usage(usage)  # the last one wins: it is the final count

    def on_end(self, out: list[Event]) -> None:
        """The stream ends at EOF: complete after a finish reason, else truncated."""
        if self._finish is None and self._blocked is None:
            return
        self.done = True
        if self._usage is not None:
            out.append(self._usage)
        late = self._served.late
        if self._finish is not None:
            reason = _finish_reason(self._finish, self._tool_calls > 0)
            out.append(Finish(reason, self._finish, late))
        else:
            out.append(Finish("content_filter", self._blocked, late))

    def _part(self, part: Any, out: list[Event]) -> None:
        if type(part) is not dict:
            raise TypeError("part is not an object")
        text = _typed(part.get("text"), str, "text")
        if text:  # a thoughtSignature-only part has empty text
            out.append(ReasoningDelta(text) if part.get("thought") is True else TextDelta(text))
        call = _typed(part.get("functionCall"), dict, "functionCall")
        if call is None:  # a text, thought or signature-only part's signature: sent back too
            signature = _typed(part.get("thoughtSignature"), str, "thoughtSignature")
            if signature:
                out.append(Reasoning("gemini", signature=signature))
        if call is not None:
            name = call.get("name")
            if type(name) is not str or not name:
                raise TypeError("functionCall has no name")
            args = _typed(call.get("args"), dict, "functionCall args") or {}
            index = self._tool_calls
            call_id = call.get("id")
            if type(call_id) is not str or not call_id:
                call_id = f"call_{index}"
            arguments = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
            self._tool_calls = index + 1
            signature = _typed(part.get("thoughtSignature"), str, "thoughtSignature") or None
            out.append(ToolCallDelta(index, call_id, name, arguments))
            out.append(ToolCall(index, call_id, name, arguments, signature))


@final
class GeminiDecoder(StreamDecoder):
    """Turn a Gemini ``streamGenerateContent?alt=sse`` body into events.

    The body has no terminal sentinel: `done` turns True in `end()`, once the body ended
    after a finish reason. A `StreamDecoder`: same arguments.
    """

    __slots__ = ()
    mapper_type = GeminiMapper


def _typed(value: Any, kind: type[_T], what: str) -> _T | None:
    """`value` when it is absent (None) or of type `kind`; a TypeError (which the decoder
    reports as a ProtocolError) for any other type."""
    if value is None or type(value) is kind:
        return value
    raise TypeError(f"{what} is not a {kind.__name__}")


def _first_candidate(candidates: list[Any]) -> dict[str, Any] | None:
    """The candidate with index 0 (proto3 JSON leaves a zero index out)."""
    for candidate in candidates:
        if type(candidate) is not dict:
            raise TypeError("candidate is not an object")
        if candidate.get("index", 0) == 0:
            return candidate
    return None


def _usage(data: dict[str, Any]) -> Usage:
    candidates = int_or_none(data.get("candidatesTokenCount"))
    thoughts = int_or_none(data.get("thoughtsTokenCount"))
    # Output is the answer plus the thinking. proto3 JSON leaves zero counts out, so one of
    # the two missing beside the other means zero; both missing means unknown.
    output = (
        None if candidates is None and thoughts is None else (candidates or 0) + (thoughts or 0)
    )
    return Usage(
        input_tokens=int_or_none(data.get("promptTokenCount")),
        output_tokens=output,
        total_tokens=int_or_none(data.get("totalTokenCount")),
        cache_read_tokens=int_or_none(data.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )
