"""OpenAI Responses API, sans-IO: the streaming body's mapper and its error mapping (the
request body is built in `_openai_responses_body`).

Wire format from the OpenAI API reference, "Create a model response" and "Streaming events"
(platform.openai.com/docs/api-reference/responses and .../responses-streaming, read 2026-12),
checked against the official SDK's generated types (openai-python, src/openai/types/responses):

- every event is ``event: <type>`` plus ``data: {json}``, and the JSON repeats the type in
  ``"type"`` with a ``sequence_number``; some gateways send data-only events, so the decoder
  dispatches on the JSON ``"type"``, never on the SSE event name; there is no ``[DONE]``;
- ``response.created`` (then ``response.in_progress``) carries the response object: its ``id``
  and the served ``model``; llama-server leaves the ``model`` out of both, and the LiteLLM
  proxy puts it beside the response object (a top-level ``"model"``), which is read too;
- ``response.output_item.added`` opens an output item; for a ``function_call`` item it gives
  ``call_id`` and ``name``, and its ``output_index`` ties the argument events to it;
- ``response.output_text.delta`` carries answer text; ``response.reasoning_summary_text.delta``
  (OpenAI's reasoning summaries) and ``response.reasoning_text.delta`` (raw reasoning, from
  open-weight model servers) carry reasoning, a part of it per ``summary_index`` /
  ``content_index``;
- ``response.refusal.delta`` carries the model's refusal in place of answer text (a
  ``refusal`` content part): it becomes `RefusalDelta` events (``response.refusal.done``
  repeats it whole and is skipped);
- ``response.function_call_arguments.delta`` carries argument fragments and ``.done`` the
  complete arguments (``response.output_item.done`` repeats the whole call);
- ``usage.input_tokens`` counts every prompt token, ``input_tokens_details.cached_tokens``
  the cache reads among them, ``output_tokens_details.reasoning_tokens`` the reasoning part
  of ``output_tokens``;
- the stream ends at exactly one of ``response.completed``, ``response.incomplete``
  (``incomplete_details.reason``: ``max_output_tokens`` or ``content_filter``; what streamed
  before it is kept) and ``response.failed`` (``response.error``: ``code`` and ``message``);
  each carries the final response object, with ``usage`` on the first two;
- an ``error`` event carries ``code`` / ``message`` / ``param`` at the top level as documented,
  but the API has been seen to nest them under ``"error"`` (openai/openai-dotnet#881,
  2025-12), so both shapes are read;
- everything else (``response.content_part.added``, ``response.output_text.done``,
  ``response.output_text.annotation.added``, built-in tool progress, ``keepalive``, event
  types added later) carries no event here and is skipped.

`Metadata` is sent once, first: at the first ``response.created``, ``response.queued`` or
``response.in_progress`` that names the served model, else at the first event after them,
with the requested model (and the response id); then the final response's model, if named,
is `Finish.model` (llama-server names it there only; see `ServedModel`). Each tool call is
sent as a `ToolCall` as soon as its arguments are done
(``response.function_call_arguments.done``, else ``response.output_item.done``); an
arguments fragment for a call already done is a `ProtocolError` naming the call, never
dropped. `ToolCall.index` counts function calls in the order they appear (the
``output_index`` also counts messages and reasoning items). A reasoning item's
``response.output_item.done`` is a `Reasoning` with its ``id``, ``summary`` texts and
``encrypted_content`` (whole only there), for the next request to send back. `Usage` and
`Finish` are sent at the terminal event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, final

import msgspec

from .._errors import ProtocolError
from .._events import (
    Event,
    Finish,
    FinishReason,
    Metadata,
    Reasoning,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._base import ErrorPayload
from ._driver import MapperBase, StreamDecoder, served
from ._json import int_or_none, nested_int
from ._openai_errors import openai_responses_error as openai_responses_error
from ._openai_responses_body import build_responses_body as build_responses_body
from ._served import ServedModel
from ._typed_path import new_event as _new
from ._typed_path import set_text as _set_text

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "OpenAIResponsesDecoder",
    "build_responses_body",
    "openai_responses_error",
]

_INCOMPLETE_REASONS: Final[dict[str, FinishReason]] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}


class _TextEvent(msgspec.Struct, gc=False):
    """The fields of a ``response.output_text.delta`` event that `ResponsesMapper.on_data`
    reads, typed as the API sends them; any other type fails to decode and the event takes
    the dict path."""

    type: str | None = None
    delta: str | None = None


_decode_text_event = msgspec.json.Decoder(_TextEvent).decode


@final
class _Call:
    """One function call as it streams."""

    __slots__ = ("complete", "id", "index", "name", "parts")

    def __init__(self, index: int, id: str, name: str) -> None:
        self.index = index
        self.id = id
        self.name = name
        self.parts: list[str] = []
        self.complete = False


def _string(event: dict[str, Any], key: str) -> str:
    value = event[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} is not a string")
    return value


def _object(event: dict[str, Any], key: str) -> dict[str, Any]:
    value = event[key]
    if not isinstance(value, dict):
        raise TypeError(f"{key!r} is not an object")
    return value


def _usage(data: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=int_or_none(data.get("input_tokens")),
        output_tokens=int_or_none(data.get("output_tokens")),
        total_tokens=int_or_none(data.get("total_tokens")),
        cache_read_tokens=nested_int(data, "input_tokens_details", "cached_tokens"),
        reasoning_tokens=nested_int(data, "output_tokens_details", "reasoning_tokens"),
    )


def _texts(parts: Any) -> tuple[str, ...]:
    """The ``text`` of each part of a list of parts (anything else: none)."""
    if not isinstance(parts, list):
        return ()
    return tuple(
        part["text"]
        for part in parts
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    )


def _reasoning(item: dict[str, Any]) -> Reasoning | None:
    """The `Reasoning` of a whole reasoning item: its ``id``, ``summary`` texts (else, from
    open-weight model servers, its ``content`` texts, as the text) and ``encrypted_content``;
    None for an item without an id, which cannot be sent back. Parts of shapes not
    documented are skipped."""
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id:
        return None
    summary = _texts(item.get("summary"))
    encrypted = item.get("encrypted_content")
    return Reasoning(
        "openai_responses",
        "\n\n".join(summary or _texts(item.get("content"))),
        redacted=encrypted if isinstance(encrypted, str) and encrypted else None,  # "": none
        id=item_id,
        summary=summary,
    )


def _model(event: dict[str, Any], response: dict[str, Any]) -> str | None:
    """The served model a response event names: the response's, else beside it (LiteLLM)."""
    for model in (response.get("model"), event.get("model")):
        if isinstance(model, str) and model:
            return model
    return None


_RESPONSE_EVENTS: Final = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.completed",
        "response.incomplete",
    }
)


@final
class ResponsesMapper(MapperBase):
    """The `Mapper` of Responses API stream events (see the module docstring)."""

    __slots__ = (
        "_by_item",
        "_calls",
        "_order",
        "_reasoning_part",
        "_response_id",
        "_served",
        "_started",
    )

    prefixes = ("response.",)  # the API's namespace: other event types are skipped unread
    data_events = frozenset({"message", "response.output_text.delta"})  # read by `on_data`
    sentinel = "[DONE]"  # a gateway's Chat Completions habit; the terminal event decides
    shape = "Responses API"
    terminal = "response.completed"
    error = staticmethod(openai_responses_error)

    def __init__(self, metadata: Metadata) -> None:
        super().__init__(metadata)
        self._calls: dict[int, _Call] = {}  # by output_index
        self._by_item: dict[str, _Call] = {}  # by item id, for events without output_index
        self._order: list[_Call] = []  # every function call, in the order they appeared
        self._reasoning_part: tuple[str, int | None, int | None] | None = None
        self._served = ServedModel()
        self._started = False  # a response event came: Metadata waits no longer than them
        self._response_id: str | None = None

    def metadata(self, payload: dict[str, Any], *, needed: bool) -> Metadata | None:
        response, name = payload.get("response"), payload.get("type")
        model = None
        if type(response) is dict and type(name) is str and name in _RESPONSE_EVENTS:
            self._started = True
            response_id = response.get("id")
            if isinstance(response_id, str) and response_id:
                self._response_id = response_id
            model = _model(payload, response)
            if not (model or needed):
                return None  # the next response event (in_progress) may name it
        elif not (needed or self._started):
            return None  # nothing says a response began yet (a keep-alive, say)
        self._served.sent(model)
        return served(self._base, model, self._response_id)

    def on_payload(self, kind: str, payload: dict[str, Any], out: list[Event]) -> None:
        if kind == "[DONE]":
            return
        name = payload.get("type")
        if name is None:  # no "type": fall back on the SSE event name, if any
            name = kind if kind != "message" else None
            if name is None and "error" in payload:
                name = "error"
        if name in ("error", "response.failed"):
            if name == "response.failed":
                self.done = True
            raise ErrorPayload({**payload, "type": name})
        if type(name) is not str:
            if name is None:
                return  # nothing says what it is: skip it
            raise TypeError("event type is not a string")
        handler = _HANDLERS.get(name)
        if handler is not None:  # else an event type that carries nothing for us: skip it
            handler(self, payload, out)

    def on_data(self, data: str, out: list[Event]) -> bool:
        """`on_payload` for the text of a ``response.output_text.delta`` event, decoded into
        a typed struct instead of a dict (the hot path: the same events); False, with
        nothing done, for any other text (the driver then reads it as a dict)."""
        try:
            event = _decode_text_event(data)
        except (ValueError, RecursionError):  # msgspec.ValidationError is a ValueError
            return False
        delta = event.delta
        if event.type != "response.output_text.delta" or delta is None:
            return False
        if delta:
            new = _new(TextDelta)
            _set_text(new, delta)
            out.append(new)
        return True

    def _on_response(self, event: dict[str, Any], out: list[Event]) -> None:
        _object(event, "response")  # its model and id are the Metadata's

    # -- content ---------------------------------------------------------------------------

    def _on_text(self, event: dict[str, Any], out: list[Event]) -> None:
        delta = _string(event, "delta")
        if delta:
            out.append(TextDelta(delta))

    def _on_refusal(self, event: dict[str, Any], out: list[Event]) -> None:
        delta = event.get("delta")
        if delta and isinstance(delta, str):  # a shape not documented: skipped, no crash
            out.append(RefusalDelta(delta))

    def _on_reasoning(self, event: dict[str, Any], out: list[Event]) -> None:
        delta = _string(event, "delta")
        if not delta:
            return
        # Each summary part (and each reasoning content part) is a paragraph of its own,
        # usually opening with a bold title: keep a blank line between them rather than run
        # "...first part.**Second title**" together.
        part = (
            str(event.get("item_id")),
            int_or_none(event.get("summary_index")),
            int_or_none(event.get("content_index")),
        )
        if self._reasoning_part != part:
            if self._reasoning_part is not None:
                delta = "\n\n" + delta
            self._reasoning_part = part
        out.append(ReasoningDelta(delta))

    # -- tool calls ------------------------------------------------------------------------

    def _call(self, event: dict[str, Any], item: dict[str, Any] | None = None) -> _Call:
        """The call an event belongs to (by output_index, else item id), made if new."""
        output_index = int_or_none(event.get("output_index"))
        item_id = event.get("item_id") if item is None else item.get("id")
        call = self._calls.get(output_index) if output_index is not None else None
        if call is None and isinstance(item_id, str):
            call = self._by_item.get(item_id)
        if call is not None:
            return call
        source = item if item is not None else event
        call_id = source.get("call_id") or item_id or f"call_{len(self._order)}"
        name = source.get("name") or ""
        if not isinstance(call_id, str) or not isinstance(name, str):
            raise TypeError("call_id and name must be strings")
        call = _Call(len(self._order), call_id, name)
        self._order.append(call)
        if isinstance(item_id, str):
            self._by_item[item_id] = call
        if output_index is not None:
            self._calls[output_index] = call
        return call

    def _on_item_added(self, event: dict[str, Any], out: list[Event]) -> None:
        item = _object(event, "item")
        if item.get("type") == "function_call":
            self._call(event, item)

    def _on_arguments_delta(self, event: dict[str, Any], out: list[Event]) -> None:
        fragment = _string(event, "delta")
        call = self._call(event)
        if call.complete:
            if not fragment:
                return
            raise ProtocolError(
                f"tool call {call.index} ({call.name or call.id}) got an arguments fragment "
                "after its arguments were done",
                excerpt=fragment[:120],
            )
        if not call.parts:
            call.parts.append(fragment)
            out.append(ToolCallDelta(call.index, call.id, call.name, fragment))
        elif fragment:
            call.parts.append(fragment)
            out.append(ToolCallDelta(call.index, None, None, fragment))

    def _complete(self, call: _Call, name: Any, arguments: str, out: list[Event]) -> None:
        if call.complete:
            return
        call.complete = True
        if isinstance(name, str) and name:
            call.name = name
        out.append(ToolCall(call.index, call.id, call.name, arguments))

    def _on_arguments_done(self, event: dict[str, Any], out: list[Event]) -> None:
        self._complete(self._call(event), event.get("name"), _string(event, "arguments"), out)

    def _on_item_done(self, event: dict[str, Any], out: list[Event]) -> None:
        item = _object(event, "item")
        if item.get("type") == "reasoning":
            reasoning = _reasoning(item)
            if reasoning is not None:
                out.append(reasoning)
            return
        if item.get("type") != "function_call":
            return
        call = self._call(event, item)
        arguments = item.get("arguments")
        if not isinstance(arguments, str):
            arguments = "".join(call.parts)
        self._complete(call, item.get("name"), arguments, out)

    # -- the end ---------------------------------------------------------------------------

    def _terminal(self, event: dict[str, Any], out: list[Event]) -> None:
        response = _object(event, "response")
        served_model = self._served
        if served_model.looking:
            served_model.see(_model(event, response))
        output = response.get("output")
        if isinstance(output, list):  # calls only the final response shows (a gateway's)
            for position, item in enumerate(output):
                if isinstance(item, dict) and item.get("type") == "function_call":
                    self._on_item_done({"output_index": position, "item": item}, out)
        for call in self._order:
            self._complete(call, None, "".join(call.parts), out)  # cut short by the end
        usage = response.get("usage")
        if isinstance(usage, dict) and usage:
            out.append(_usage(usage))
        reason: FinishReason
        if event["type"] == "response.incomplete":
            details = response.get("incomplete_details")
            raw = details.get("reason") if isinstance(details, dict) else None
            raw = raw if isinstance(raw, str) else None
            reason = _INCOMPLETE_REASONS.get(raw or "", "other")
        else:
            reason, raw = ("tool_calls" if self._order else "stop"), "completed"
        out.append(Finish(reason, raw, served_model.late))
        self.done = True


_HANDLERS: Final[dict[str, Callable[[ResponsesMapper, dict[str, Any], list[Event]], None]]] = {
    "response.output_text.delta": ResponsesMapper._on_text,
    "response.refusal.delta": ResponsesMapper._on_refusal,
    "response.function_call_arguments.delta": ResponsesMapper._on_arguments_delta,
    "response.reasoning_summary_text.delta": ResponsesMapper._on_reasoning,
    "response.reasoning_text.delta": ResponsesMapper._on_reasoning,
    "response.function_call_arguments.done": ResponsesMapper._on_arguments_done,
    "response.output_item.added": ResponsesMapper._on_item_added,
    "response.output_item.done": ResponsesMapper._on_item_done,
    "response.created": ResponsesMapper._on_response,
    "response.in_progress": ResponsesMapper._on_response,
    "response.queued": ResponsesMapper._on_response,
    "response.completed": ResponsesMapper._terminal,
    "response.incomplete": ResponsesMapper._terminal,
}


@final
class OpenAIResponsesDecoder(StreamDecoder):
    """Turn an OpenAI Responses API streaming body into events (a `StreamDecoder`)."""

    __slots__ = ()
    mapper_type = ResponsesMapper
