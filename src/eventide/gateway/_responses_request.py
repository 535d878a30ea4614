"""An OpenAI Responses request body -> an eventide `Request`.

The fields of the Responses "Create a model response" reference
(platform.openai.com/docs/api-reference/responses/create, read 2026-12) that a chat turn
needs: ``input`` (a string, or message, ``function_call`` and ``function_call_output``
items), ``instructions`` (a string), function ``tools``, ``tool_choice``,
``parallel_tool_calls`` (as the Chat Completions parameter, which every provider maps to
its own switch), ``temperature``, ``top_p``, ``max_output_tokens``, ``reasoning.effort``
and ``stream``; ``store``, ``metadata``, ``user`` and ``include`` are accepted and not
forwarded. Any other field is refused, and so is ``reasoning.summary``, which no upstream
can be given. Everything is checked before any upstream request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._events import ToolCall
from .._request import ImagePart, Message, ReasoningConfig, Request, TextPart, ToolSpec
from .._validate import check_bool, check_text
from ._asgi import HTTPProblem
from ._fields import checked_model

__all__ = ["request_from_responses"]

_FIELDS: Final = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "max_output_tokens",
        "reasoning",
        "stream",
        "store",
        "metadata",
        "parallel_tool_calls",
        "user",
        "include",
    }
)
_ROLES: Final = {
    "user": "user",
    "system": "system",
    "developer": "system",
    "assistant": "assistant",
}


def _content(content: Any) -> str | list[TextPart | ImagePart]:
    if isinstance(content, str):
        return content
    parts: list[TextPart | ImagePart] = []
    for part in content:
        kind = part.get("type")
        if kind in ("input_text", "output_text"):
            parts.append(TextPart(part["text"]))
        elif kind == "input_image":
            parts.append(ImagePart(url=part["image_url"]))
        else:
            raise ValueError(f"unsupported content part type {kind!r}")
    return parts


def _messages(body: Mapping[str, Any]) -> list[Message]:
    messages: list[Message] = []
    instructions = body.get("instructions")
    if instructions is not None and check_text("instructions", instructions):
        messages.append(Message("system", instructions))
    given = body.get("input")
    if isinstance(given, str):
        return [*messages, Message("user", given)]
    if not isinstance(given, list) or not given:
        raise ValueError("input must be a string or a non-empty list of items")
    calls: list[ToolCall] = []
    for position, item in enumerate(given):
        try:
            kind = item.get("type", "message")
            if kind == "function_call":
                calls.append(ToolCall(len(calls), item["call_id"], item["name"], item["arguments"]))
                continue
            if calls:  # the calls end one assistant turn
                messages.append(Message("assistant", "", tool_calls=calls))
                calls = []
            if kind == "function_call_output":
                messages.append(Message("tool", str(item["output"]), tool_call_id=item["call_id"]))
            elif kind == "message":
                role = _ROLES[item["role"]]
                messages.append(Message(role, _content(item["content"])))  # type: ignore[arg-type]
            elif kind != "reasoning":  # reasoning items go back only to their own API
                raise ValueError(f"unsupported item type {kind!r}")
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ValueError(f"input[{position}]: {exc}") from None
    if calls:
        messages.append(Message("assistant", "", tool_calls=calls))
    return messages


def _tools(tools: Any) -> list[ToolSpec]:
    made = []
    for tool in tools or ():
        if tool.get("type") != "function":
            raise ValueError(f"only function tools can be served, not {tool.get('type')!r}")
        spec = ToolSpec(
            tool["name"],
            tool.get("description") or "",
            tool.get("parameters") or {"type": "object"},
            strict=tool.get("strict"),
        )
        made.append(spec)
    return made


def _tool_choice(choice: Any) -> str | None:
    if choice is None or isinstance(choice, str):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return str(choice["name"])
    raise ValueError(f"unsupported tool_choice {choice!r}")


def _reasoning(reasoning: Any) -> ReasoningConfig | None:
    if reasoning is None:
        return None
    if not isinstance(reasoning, Mapping):
        raise TypeError("reasoning must be an object")
    given = sorted(key for key, value in reasoning.items() if value is not None)
    unknown = [key for key in given if key != "effort"]
    if unknown:
        raise ValueError(f"reasoning.{', '.join(unknown)} cannot be served: only effort can")
    return ReasoningConfig(effort=reasoning["effort"]) if given else None


def _parallel(body: Mapping[str, Any]) -> dict[str, Any]:
    """``parallel_tool_calls`` for `Request.openai_params`, when given."""
    given = body.get("parallel_tool_calls")
    if given is None:
        return {}
    return {"parallel_tool_calls": check_bool("parallel_tool_calls", given)}


def request_from_responses(body: Mapping[str, Any]) -> tuple[Request, bool]:
    """The `Request` of a Responses body, and whether to stream.

    Raises:
        HTTPProblem: 400 for a body the Responses API would refuse, or one that asks for
            what no upstream can be given (``reasoning.summary``).
    """
    try:
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise ValueError(f"unknown parameter: {', '.join(unknown)}")
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise TypeError("stream must be a boolean")
        request = Request(
            messages=_messages(body),
            model=checked_model(body, required=False),
            tools=_tools(body.get("tools")),
            tool_choice=_tool_choice(body.get("tool_choice")),
            temperature=body.get("temperature"),
            max_tokens=body.get("max_output_tokens"),
            top_p=body.get("top_p"),
            reasoning=_reasoning(body.get("reasoning")),
            openai_params=_parallel(body),
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise HTTPProblem(400, str(exc), kind="invalid_request_error") from None
    return request, stream
