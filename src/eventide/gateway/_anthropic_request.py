"""An Anthropic Messages request body -> an eventide `Request`.

The fields of Anthropic's "Create a Message" reference (docs.anthropic.com/en/api/messages,
read 2026-12): ``system`` (text or text blocks), ``messages`` whose content is text or blocks
(``text``, ``image``, ``tool_use``, ``tool_result``, ``thinking``, ``redacted_thinking``),
``tools`` with ``input_schema``, ``tool_choice`` (its ``disable_parallel_tool_use`` goes on
as OpenAI's ``parallel_tool_calls``, which every provider maps to its own switch),
``model`` and ``max_tokens`` (both required), ``temperature``, ``top_p``,
``stop_sequences`` (an array of strings), ``thinking`` (``enabled`` with its
``budget_tokens``, or ``disabled``; ``adaptive`` has no equivalent and is refused) and
``stream``. ``metadata`` and ``service_tier`` are accepted and not forwarded; any other
field is refused, as Anthropic refuses it. Everything is checked before any upstream
request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from .._events import Reasoning, ToolCall
from .._request import ImagePart, Message, ReasoningConfig, Request, TextPart, ToolSpec
from .._validate import check_bool
from ._asgi import HTTPProblem
from ._fields import checked_model, checked_strings

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Set as AbstractSet

__all__ = ["request_from_anthropic"]

_FIELDS: Final = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "stop_sequences",
        "stream",
        "thinking",
        "metadata",
        "service_tier",
    }
)


def _text(blocks: Any, where: str) -> str:
    """Text, or a list of text blocks, as one string."""
    if isinstance(blocks, str):
        return blocks
    if not isinstance(blocks, list):
        raise TypeError(f"{where} must be a string or a list of blocks")
    parts = []
    for block in blocks:
        if not isinstance(block, Mapping) or block.get("type") != "text":
            raise ValueError(f"{where} may hold only text blocks, not {block!r}")
        parts.append(block["text"])
    return "".join(parts)


def _image(block: Mapping[str, Any]) -> ImagePart:
    source = block["source"]
    if source.get("type") == "base64":
        return ImagePart(data=source["data"], media_type=source["media_type"])
    if source.get("type") == "url":
        return ImagePart(url=source["url"])
    raise ValueError(f"unsupported image source {source.get('type')!r}")


def _user(content: Any) -> list[Message]:
    """A user turn: its tool results (each a tool message) first, then its other parts."""
    if isinstance(content, str):
        return [Message("user", content)]
    results: list[Message] = []
    parts: list[TextPart | ImagePart] = []
    for block in content:
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(block["text"]))
        elif kind == "image":
            parts.append(_image(block))
        elif kind == "tool_result":
            text = _text(block.get("content", ""), "tool_result content")
            results.append(Message("tool", text, tool_call_id=block["tool_use_id"]))
        else:
            raise ValueError(f"unsupported block type {kind!r} in a user message")
    return results + ([Message("user", parts)] if parts else [])


def _assistant(content: Any) -> Message:
    if isinstance(content, str):
        return Message("assistant", content)
    text: list[str] = []
    calls: list[ToolCall] = []
    reasoning: list[Reasoning] = []
    for block in content:
        kind = block.get("type")
        if kind == "text":
            text.append(block["text"])
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input") or {})
            calls.append(ToolCall(len(calls), block["id"], block["name"], arguments))
        elif kind == "thinking":
            reasoning.append(
                Reasoning("anthropic", block["thinking"], signature=block.get("signature"))
            )
        elif kind == "redacted_thinking":
            reasoning.append(Reasoning("anthropic", redacted=block["data"]))
        else:
            raise ValueError(f"unsupported block type {kind!r} in an assistant message")
    return Message("assistant", "".join(text), tool_calls=calls, reasoning=reasoning)


def _messages(body: Mapping[str, Any]) -> list[Message]:
    messages: list[Message] = []
    if body.get("system"):
        messages.append(Message("system", _text(body["system"], "system")))
    turns = body.get("messages")
    if not isinstance(turns, list) or not turns:
        raise ValueError("messages must be a non-empty list")
    for position, turn in enumerate(turns):
        role = turn.get("role") if isinstance(turn, Mapping) else None
        try:
            if role == "user":
                messages.extend(_user(turn.get("content", "")))
            elif role == "assistant":
                messages.append(_assistant(turn.get("content", "")))
            else:
                raise ValueError(f"role must be user or assistant, not {role!r}")
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ValueError(f"messages[{position}]: {exc}") from None
    return messages


def _tool_choice(choice: Any) -> tuple[str | None, dict[str, Any]]:
    """The choice as `Request.tool_choice`, and ``parallel_tool_calls`` when it says."""
    if choice is None:
        return None, {}
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    names = {"auto": "auto", "any": "required", "none": "none"}
    if kind != "tool" and kind not in names:
        raise ValueError(f"tool_choice type must be auto, any, tool or none, not {kind!r}")
    _refuse_extra("tool_choice.", choice, {"type", "name", "disable_parallel_tool_use"})
    params: dict[str, Any] = {}
    disable = choice.get("disable_parallel_tool_use")
    if disable is not None:
        check_bool("tool_choice.disable_parallel_tool_use", disable)
        params["parallel_tool_calls"] = not disable
    return (str(choice["name"]) if kind == "tool" else names[kind]), params


def _refuse_extra(prefix: str, given: Iterable[str], allowed: AbstractSet[str]) -> None:
    """Refuse the names in `given` beyond `allowed`, as Anthropic does (`prefix` names the
    object they are in: ``"thinking."``).

    Raises:
        ValueError: Some are not allowed; the message names them all.
    """
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ValueError(f"{prefix}{', '.join(unknown)}: extra inputs are not permitted")


def _reasoning(thinking: Any) -> ReasoningConfig | None:
    if thinking is None:
        return None
    if not isinstance(thinking, Mapping):
        raise TypeError("thinking must be an object")
    kind = thinking.get("type")
    fields = {"enabled": {"type", "budget_tokens", "display"}, "disabled": {"type", "display"}}
    if kind not in fields:
        raise ValueError(
            f"thinking type must be enabled (with budget_tokens) or disabled, not {kind!r}"
        )
    given = [key for key, value in thinking.items() if value is not None]  # null: not given
    _refuse_extra("thinking.", given, fields[kind])
    display = thinking.get("display")
    if display not in (None, "summarized"):  # the reasoning streamed is shown as it comes
        raise ValueError(f"thinking.display {display!r} cannot be served: only 'summarized' can")
    return ReasoningConfig(budget_tokens=thinking["budget_tokens"]) if kind == "enabled" else None


def request_from_anthropic(body: Mapping[str, Any]) -> tuple[Request, bool]:
    """The `Request` of a Messages body, and whether to stream.

    Raises:
        HTTPProblem: 400 for a body Anthropic's API would refuse (an unknown field, no
            ``model`` or ``max_tokens``, a malformed message...), or one that asks for
            what no upstream can be given (``thinking: {"type": "adaptive"}``).
    """
    try:
        _refuse_extra("", body, _FIELDS)
        if "max_tokens" not in body:
            raise ValueError("max_tokens: field required")
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise TypeError("stream must be a boolean")
        model = checked_model(body, required=True)
        stop = body.get("stop_sequences")
        tool_choice, params = _tool_choice(body.get("tool_choice"))
        tools = [
            ToolSpec(tool["name"], tool.get("description") or "", tool["input_schema"])
            for tool in body.get("tools") or ()
        ]
        request = Request(
            messages=_messages(body),
            model=model,
            tools=tools,
            tool_choice=tool_choice,
            temperature=body.get("temperature"),
            max_tokens=body["max_tokens"],
            top_p=body.get("top_p"),
            stop=() if stop is None else checked_strings("stop_sequences", stop),
            reasoning=_reasoning(body.get("thinking")),
            openai_params=params,
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise HTTPProblem(400, str(exc), kind="invalid_request_error") from None
    return request, stream
