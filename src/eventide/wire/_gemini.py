"""Google Gemini (generativelanguage API), sans-IO: the streaming body decoder, the request
body builder and the error mapping.

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
- ``usageMetadata`` rides on many chunks; the last one is the final count;
- ``modelVersion`` names the model that served, ``responseId`` the response;
- a failure after the status line is sent as ``data: {"error": {"code", "message", "status"}}``.

There is no ``[DONE]`` sentinel: **the stream ends at EOF**. So `GeminiDecoder.done` turns True
only in `GeminiDecoder.end()`, never in `feed()`: the terminal condition is "a chunk carrying a
``finishReason`` (or a ``promptFeedback.blockReason``) was seen, and then the body ended on an
event boundary". `end()` then emits `Usage` and `Finish`; a body that ends without any finish
reason, or in the middle of an event, is truncated (`ProtocolError`).

`Metadata` is sent once, first: at the first chunk that names a model (every Gemini chunk
does), else before the first content event, else at the end. Each ``functionCall`` part is a
complete call: it becomes a `ToolCallDelta` and a `ToolCall` at once, with the part's ``id``
or a deterministic ``call_<index>``.
"""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

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

__all__ = ["GeminiDecoder", "build_gemini_body", "gemini_error"]

_loads = loads  # json.loads, on the fast path
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
    "PERMISSION_DENIED": AuthenticationError,
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

# Gemini 3 models reject a replayed functionCall without the thoughtSignature the model sent
# with it; `ToolCall` has no field to carry it, so replayed calls get the dummy signature the
# Gemini API documents for calls it did not generate ("Thought signatures",
# ai.google.dev/gemini-api/docs/thought-signatures, read 2026-12). Older models ignore it.
_SKIP_SIGNATURE: Final = "skip_thought_signature_validator"


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
    message = ""
    name: str | None = None
    status = status_code if status_code != 200 else None
    details: Any = None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        raw_name = error.get("status")
        name = raw_name if isinstance(raw_name, str) and raw_name else None
        code = error.get("code")
        if status is None and isinstance(code, int) and 400 <= code <= 599:
            status = code  # an in-stream error: its code is the HTTP status it stands for
        details = error.get("details")
    elif isinstance(error, str):
        message = error
    elif isinstance(payload, dict) and isinstance(payload.get("message"), str):
        message = payload["message"]
    if not message:
        message = readable(raw) or "no error message"
    cls = _STATUS_NAMES.get(name or "") or provider_error_for_status(status)
    if _api_key_rejected(details):
        cls = AuthenticationError
    if retry_after is None:
        retry_after = _retry_delay(details)
    where = f"HTTP {status_code}: " if status_code not in (None, 200) else ""
    return cls(
        f"{where}{message}",
        status_code=status,
        body=excerpt(raw),
        code=name,
        retry_after=retry_after,
    )


@final
class GeminiDecoder(SSEFramedDecoder):
    """Turn a Gemini ``streamGenerateContent?alt=sse`` body into events. Does no I/O.

    The body has no terminal sentinel: `done` turns True in `end()`, once the body ended
    after a finish reason.

    Args:
        provider: The provider name to put in `Metadata`.
        requested_model: The model that was asked for.
        extra: Provider details for `Metadata.extra` (from the response headers, ...).
        max_event_bytes: The largest server-sent event accepted.
    """

    __slots__ = (
        "_blocked",
        "_extra",
        "_finish",
        "_metadata_sent",
        "_provider",
        "_requested_model",
        "_sse",
        "_tool_calls",
        "_usage",
        "done",
    )

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
        self._finish: str | None = None
        self._blocked: str | None = None
        self._tool_calls = 0
        self._usage: Usage | None = None
        self.done = False
        """True once `end()` found a complete response (the stream ends at EOF)."""

    def end(self) -> list[Event]:
        """Mark the end of the body: the last `Usage` and the `Finish`.

        Raises:
            ProtocolError: The body ended before a finish reason, or in the middle of an
                event (it was truncated).
        """
        if self.done:
            return []
        cut_mid_event = self._sse.pending
        self._sse.end()
        if cut_mid_event or (self._finish is None and self._blocked is None):
            where = "in the middle of an event" if cut_mid_event else "before a finishReason"
            raise ProtocolError(
                f"stream ended {where}: the response is truncated",
                provider=self._provider,
                offset=self._sse.bytes_fed,
            )
        self.done = True
        out: list[Event] = []
        if not self._metadata_sent:
            out.append(self._metadata({}, ""))
        if self._usage is not None:
            out.append(self._usage)
        if self._finish is not None:
            out.append(Finish(_finish_reason(self._finish, self._tool_calls > 0), self._finish))
        else:
            out.append(Finish("content_filter", self._blocked))
        return out

    def _decode(self, messages: list[SSEMessage], out: list[Event]) -> None:
        for message in messages:
            if message.event not in ("message", "error"):
                continue  # an event type this format does not define: skip it unread
            data = message.data
            try:
                chunk = _loads(data)
            except (ValueError, RecursionError):
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
                raise gemini_error(chunk, raw=data)
            start = len(out)
            try:
                self._chunk(chunk, out)
            except (AttributeError, KeyError, IndexError, TypeError, RecursionError) as exc:
                raise ProtocolError(
                    "chunk does not have the GenerateContentResponse shape",
                    offset=self._sse.bytes_fed,
                    excerpt=excerpt(data, 120),
                ) from exc
            finally:
                if not self._metadata_sent:
                    model = chunk.get("modelVersion")
                    model = model if isinstance(model, str) else ""
                    if model or len(out) > start:
                        out.insert(start, self._metadata(chunk, model))

    def _chunk(self, chunk: dict[str, Any], out: list[Event]) -> None:
        candidates = _typed(chunk.get("candidates"), list, "candidates")
        candidate = _first_candidate(candidates) if candidates else None
        if candidate is not None:
            content = _typed(candidate.get("content"), dict, "content")
            parts = _typed(content.get("parts"), list, "parts") if content else None
            for part in parts or ():
                self._part(part, out)
            reason = _typed(candidate.get("finishReason"), str, "finishReason")
            if reason:
                self._finish = reason
        feedback = _typed(chunk.get("promptFeedback"), dict, "promptFeedback")
        blocked = _typed(feedback.get("blockReason"), str, "blockReason") if feedback else None
        if blocked:
            self._blocked = blocked
        usage = _typed(chunk.get("usageMetadata"), dict, "usageMetadata")
        if usage is not None:
            self._usage = _usage(usage)  # the last one wins: it is the final count

    def _part(self, part: Any, out: list[Event]) -> None:
        if type(part) is not dict:
            raise TypeError("part is not an object")
        text = _typed(part.get("text"), str, "text")
        if text:  # a thoughtSignature-only part has empty text
            out.append(ReasoningDelta(text) if part.get("thought") is True else TextDelta(text))
        call = _typed(part.get("functionCall"), dict, "functionCall")
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
            out.append(ToolCallDelta(index, call_id, name, arguments))
            out.append(ToolCall(index, call_id, name, arguments))

    def _metadata(self, chunk: dict[str, Any], model: str) -> Metadata:
        self._metadata_sent = True
        response_id = chunk.get("responseId")
        return Metadata(
            provider=self._provider,
            model=model or self._requested_model,
            requested_model=self._requested_model,
            response_id=response_id if isinstance(response_id, str) and response_id else None,
            extra=self._extra,
        )


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


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _usage(data: dict[str, Any]) -> Usage:
    candidates = _int(data.get("candidatesTokenCount"))
    thoughts = _int(data.get("thoughtsTokenCount"))
    # Output is the answer plus the thinking. proto3 JSON leaves zero counts out, so one of
    # the two missing beside the other means zero; both missing means unknown.
    output = (
        None if candidates is None and thoughts is None else (candidates or 0) + (thoughts or 0)
    )
    return Usage(
        input_tokens=_int(data.get("promptTokenCount")),
        output_tokens=output,
        total_tokens=_int(data.get("totalTokenCount")),
        cached_tokens=_int(data.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


# -- the request body ------------------------------------------------------------------------

_DATA_URL: Final = re.compile(r"data:([^;,]+);base64,(.*)", re.DOTALL)


def _image(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": part.data}}
    url = part.url or ""
    inline = _DATA_URL.fullmatch(url)
    if inline:  # a data: URL is inline data, not a file Gemini could fetch
        return {"inlineData": {"mimeType": inline.group(1), "data": inline.group(2)}}
    file: dict[str, Any] = {"fileUri": url}
    if part.media_type:
        file = {"mimeType": part.media_type, **file}
    return {"fileData": file}


def _parts(message: Message) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"text": message.content}]
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image(part))
    return parts


def _arguments(call: ToolCall) -> dict[str, Any]:
    if not call.arguments.strip():
        return {}
    try:
        value = _loads(call.arguments)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ValueError(
            f"tool call {call.id!r} ({call.name}): Gemini needs the arguments as a JSON "
            f"object, got {excerpt(call.arguments, 60)!r}"
        )
    return value


def _response(text: str) -> dict[str, Any]:
    """A tool result as a functionResponse ``response``: a JSON object as it is, anything
    else wrapped as ``{"result": text}``."""
    try:
        value = _loads(text)
    except (ValueError, RecursionError):
        value = None
    return value if isinstance(value, dict) else {"result": text}


def _assistant(message: Message) -> dict[str, Any]:
    parts = [part for part in _parts(message) if part.get("text") != ""]
    for number, call in enumerate(message.tool_calls):
        part: dict[str, Any] = {"functionCall": {"name": call.name, "args": _arguments(call)}}
        if number == 0:  # the first call of a step carries the step's signature
            part["thoughtSignature"] = _SKIP_SIGNATURE
        parts.append(part)
    return {"role": "model", "parts": parts or [{"text": ""}]}


def _tool_config(choice: str) -> dict[str, Any]:
    if choice in ("auto", "none"):
        return {"functionCallingConfig": {"mode": choice.upper()}}
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}


def _declaration(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": name}
    if description:
        declaration["description"] = description
    # The API rejects an OBJECT schema without properties: a function without parameters
    # is declared without a schema.
    if parameters.get("type") != "object" or parameters.get("properties"):
        declaration["parameters"] = copy.deepcopy(parameters)
    return declaration


def build_gemini_body(request: Request, *, model: str) -> dict[str, Any]:
    """The JSON body of a ``streamGenerateContent`` request (a new dict sharing nothing with
    `request`).

    System messages become ``systemInstruction``; user turns are role ``user``, assistant
    turns role ``model`` (text, then ``functionCall`` parts with ``args`` as an object);
    consecutive tool results become one ``user`` turn of ``functionResponse`` parts, each
    named after the function of the earlier call with the same id. `Request.extra` is
    merged last; an object in it (``generationConfig``, ...) is merged into the one built
    here rather than replacing it.

    Args:
        request: The request.
        model: The model; it goes in the URL, not in the body.

    Raises:
        ValueError: A tool call whose arguments are not a JSON object, or a tool result
            whose call is not in the conversation (and that names no function).
    """
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    functions: dict[str, str] = {}  # tool call id -> function name
    results: list[dict[str, Any]] | None = None  # the open turn of tool results
    for message in request.messages:
        if message.role == "tool":
            name = functions.get(message.tool_call_id or "") or message.name
            if not name:
                raise ValueError(
                    f"tool result for {message.tool_call_id!r} answers no earlier tool call"
                )
            part = {"functionResponse": {"name": name, "response": _response(message.text)}}
            if results is None:
                results = [part]
                contents.append({"role": "user", "parts": results})
            else:
                results.append(part)
            continue
        results = None
        if message.role == "system":
            system.append({"text": message.text})
        elif message.role == "assistant":
            functions.update((call.id, call.name) for call in message.tool_calls)
            contents.append(_assistant(message))
        else:
            contents.append({"role": "user", "parts": _parts(message)})

    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    if request.tools:
        body["tools"] = [
            {
                "functionDeclarations": [
                    _declaration(tool.name, tool.description, tool.parameters)
                    for tool in request.tools
                ]
            }
        ]
    if request.tool_choice is not None:
        body["toolConfig"] = _tool_config(request.tool_choice)
    options = {
        "temperature": request.temperature,
        "maxOutputTokens": request.max_tokens,
        "topP": request.top_p,
        "stopSequences": list(request.stop) if request.stop else None,
        "seed": request.seed,
    }
    config = {key: value for key, value in options.items() if value is not None}
    if config:
        body["generationConfig"] = config
    for key, value in copy.deepcopy(request.extra).items():
        current = body.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            body[key] = {**current, **value}
        else:
            body[key] = value
    return body
