"""OpenAI-style call arguments (``messages=[{"role": ...}]``, ``tools=[...]``) to a `Request`.

Everything is checked here, before any I/O: a bad argument is a `TypeError` or `ValueError`
at the call, never a half-sent request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._events import ToolCall
from .._request import ContentPart, ImagePart, Message, Request, TextPart, ToolSpec

__all__ = ["request_from_openai", "type_name"]

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_INTEGER: tuple[tuple[type, ...], str] = ((int,), "an integer")
_NUMBER: tuple[tuple[type, ...], str] = ((int, float), "a number")
_KINDS = {"model": ((str,), "a string")} | dict.fromkeys(
    ("max_tokens", "max_completion_tokens", "seed", "n"), _INTEGER
)
_KINDS |= dict.fromkeys(("temperature", "top_p", "presence_penalty", "frequency_penalty"), _NUMBER)
_TYPE_NAMES = {type(None): "null", bool: "a boolean", int: "a number", float: "a number"}
_TYPE_NAMES |= {str: "a string", list: "an array", dict: "an object"}


def type_name(value: Any) -> str:
    """What `value` is, in JSON's words (``"a number"``, ``"null"``, ...)."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _check_kinds(values: Mapping[str, Any]) -> None:
    for name, (kind, wanted) in _KINDS.items():
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            raise TypeError(f"{name} must be {wanted}, not {type_name(value)}")


def _parts(content: Any) -> str | list[ContentPart]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, Iterable):
        raise TypeError(f"message content must be a string or a list of parts, not {content!r}")
    parts: list[ContentPart] = []
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text":
            parts.append(TextPart(str(part["text"])))
        elif kind == "image_url":
            image = part["image_url"]
            url = image["url"] if isinstance(image, Mapping) else str(image)
            if url.startswith("data:") and ";base64," in url:
                media_type, _, data = url[5:].partition(";base64,")
                parts.append(ImagePart(data=data, media_type=media_type))
            else:
                parts.append(ImagePart(url=url))
        else:
            raise ValueError(f"unsupported content part {part!r}: use text or image_url parts")
    return parts


def _message(raw: Message | Mapping[str, Any], position: int) -> Message:
    if isinstance(raw, Message):
        return raw
    if not isinstance(raw, Mapping):
        raise TypeError(
            f"messages[{position}] must be a dict or a Message, not {type(raw).__name__}"
        )
    role = raw.get("role")
    if role == "tool":
        call_id = raw.get("tool_call_id")
        if not call_id:
            raise ValueError(f"messages[{position}]: a tool message needs tool_call_id")
        return Message.tool(str(call_id), str(raw.get("content") or ""), name=raw.get("name"))
    if role not in _ROLES:
        raise ValueError(f"messages[{position}]: unknown role {role!r}")
    calls = tuple(
        ToolCall(
            i,
            str(call["id"]),
            str(call["function"]["name"]),
            call["function"].get("arguments") or "{}",
        )
        for i, call in enumerate(raw.get("tool_calls") or ())
    )
    return Message(_ROLES[role], _parts(raw.get("content")), tool_calls=calls, name=raw.get("name"))  # type: ignore[arg-type]


def _tool(raw: ToolSpec | Mapping[str, Any]) -> ToolSpec:
    if isinstance(raw, ToolSpec):
        return raw
    if not isinstance(raw, Mapping):
        raise TypeError(f"a tool is a dict or a ToolSpec, not {raw!r}")
    function = raw.get("function", raw)
    if not isinstance(function, Mapping) or "name" not in function:
        raise ValueError(f"a tool needs a function name: {raw!r}")
    return ToolSpec(
        str(function["name"]),
        str(function.get("description") or ""),
        function.get("parameters") or {"type": "object"},
    )


def _tool_choice(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value["function"]["name"])
    raise TypeError(f"tool_choice must be a string or a dict, not {value!r}")


def request_from_openai(
    *,
    messages: Sequence[Message | Mapping[str, Any]] | str,
    model: str | None,
    tools: Sequence[ToolSpec | Mapping[str, Any]] | None = None,
    tool_choice: Any = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    max_completion_tokens: int | None = None,
    top_p: float | None = None,
    stop: str | Sequence[str] | None = None,
    seed: int | None = None,
    n: int | None = None,
    extra_body: Mapping[str, Any] | None = None,
    **other: Any,
) -> Request:
    """A `Request` from the arguments of OpenAI's ``chat.completions.create``.

    Raises:
        TypeError: An argument of the wrong type (``temperature must be a number, not a
            string``), or one this client does not know.
        ValueError: No messages, an unknown role, ``n`` other than 1, ...
    """
    known_extra = {"response_format", "user", "presence_penalty", "frequency_penalty", "logprobs"}
    unknown = set(other) - known_extra
    if unknown:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(unknown))} (use extra_body=)")
    _check_kinds(
        {"model": model, "max_tokens": max_tokens, "max_completion_tokens": max_completion_tokens}
        | {"seed": seed, "n": n, "temperature": temperature, "top_p": top_p, **other}
    )
    if n not in (None, 1):
        raise ValueError("n must be 1: eventide streams one choice")
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    extra = {key: value for key, value in other.items() if value is not None}
    extra.update(extra_body or {})
    try:  # a dict without a needed field fails in here
        return Request(
            messages=[_message(raw, i) for i, raw in enumerate(messages)],
            model=model,
            tools=[_tool(tool) for tool in tools or ()],
            tool_choice=_tool_choice(tool_choice),
            temperature=temperature,
            max_tokens=max_completion_tokens if max_completion_tokens is not None else max_tokens,
            top_p=top_p,
            stop=stop or (),
            seed=seed,
            extra=extra,
        )
    except (KeyError, AttributeError, IndexError) as exc:
        raise ValueError(f"malformed message or tool: missing or wrong {exc}") from None
