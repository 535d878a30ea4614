"""OpenAI-style call arguments (``messages=[{"role": ...}]``, ``tools=[...]``) to a `Request`.

Everything is checked here, before any I/O: a bad argument is a `TypeError` or `ValueError`
at the call, never a half-sent request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from .._events import ToolCall
from .._request import (
    ContentPart,
    ImagePart,
    JSONSchema,
    Message,
    ReasoningConfig,
    Request,
    ResponseFormat,
    TextPart,
    ToolSpec,
)
from .._validate import check_integer, check_number, check_text, type_name

__all__ = ["request_from_openai", "type_name"]

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_ROLES |= {"tool": "tool"}


def _located(where: str, exc: TypeError | ValueError) -> TypeError | ValueError:
    """`exc` again (as a plain TypeError or ValueError), its message prefixed by `where`."""
    kind = TypeError if isinstance(exc, TypeError) else ValueError
    return kind(f"{where}: {exc}")


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
            parts.append(TextPart(part["text"]))
        elif kind == "image_url":
            image = part["image_url"]
            url = check_text("image_url", image["url"] if isinstance(image, Mapping) else image)
            if url.startswith("data:") and ";base64," in url:
                media_type, _, data = url[5:].partition(";base64,")
                parts.append(ImagePart(data=data, media_type=media_type))
            else:
                parts.append(ImagePart(url=url))
        else:
            raise ValueError(f"unsupported content part {part!r}: use text or image_url parts")
    return parts


def _message(given: object, position: int) -> Message:
    if isinstance(given, Message):
        return given
    raw: object = given
    dump: Any = getattr(given, "model_dump", None)
    if callable(dump) and not isinstance(given, Mapping):
        raw = dump(exclude_none=True)  # a result's message (OpenAI-shaped), appended as-is
    if not isinstance(raw, Mapping):
        raise TypeError(
            f"messages[{position}] must be a dict or a Message, not {type(raw).__name__}"
        )
    role = raw.get("role")
    try:
        if role not in _ROLES:
            raise ValueError(f"unknown role {role!r}")
        if role == "tool" and not raw.get("tool_call_id"):
            raise ValueError("a tool message needs tool_call_id")
        calls = tuple(
            ToolCall(
                i,
                check_text("tool call id", call["id"]),
                check_text("tool call name", call["function"]["name"]),
                check_text("tool call arguments", call["function"].get("arguments") or "{}"),
            )
            for i, call in enumerate(raw.get("tool_calls") or ())
        )
        return Message(
            _ROLES[role],  # type: ignore[arg-type]  # one of the roles
            _parts(raw.get("content")),
            tool_calls=calls,
            tool_call_id=raw.get("tool_call_id"),
            name=raw.get("name"),
        )
    except (TypeError, ValueError) as exc:
        raise _located(f"messages[{position}]", exc) from None


def _tool(raw: ToolSpec | Mapping[str, Any]) -> ToolSpec:
    if isinstance(raw, ToolSpec):
        return raw
    if not isinstance(raw, Mapping):
        raise TypeError(f"a tool is a dict or a ToolSpec, not {raw!r}")
    function = raw.get("function", raw)
    if not isinstance(function, Mapping) or "name" not in function:
        raise ValueError(f"a tool needs a function name: {raw!r}")
    return ToolSpec(
        function["name"],
        function.get("description") or "",
        function.get("parameters") or {"type": "object"},
    )


def _tools(tools: Iterable[ToolSpec | Mapping[str, Any]]) -> list[ToolSpec]:
    made: list[ToolSpec] = []
    for position, raw in enumerate(tools):
        try:
            made.append(_tool(raw))
        except (TypeError, ValueError) as exc:
            raise _located(f"tools[{position}]", exc) from None
    return made


def _tool_choice(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return check_text("tool_choice", value["function"]["name"])
    raise TypeError(f"tool_choice must be a string or a dict, not {value!r}")


_T = TypeVar("_T")
_EFFORTS = ("low", "medium", "high")


def _response_format(value: Any) -> ResponseFormat | None:
    """OpenAI's ``response_format`` as `Request.response_format`; None when the neutral
    field cannot hold it exactly (``{"type": "text"}``, a schema with a ``description``...),
    which then goes to the provider as it is, in `Request.extra`."""
    if not isinstance(value, Mapping):
        raise TypeError(f"response_format must be a dict, not {type_name(value)}")
    if dict(value) == {"type": "json_object"}:
        return "json"
    spec = value.get("json_schema")
    if (
        value.get("type") != "json_schema"
        or set(value) != {"type", "json_schema"}
        or not isinstance(spec, Mapping)
        or not {"name", "schema"} <= set(spec) <= {"name", "schema", "strict"}
    ):
        return None
    try:  # OpenAI's strict defaults to false
        return JSONSchema(spec["name"], spec["schema"], strict=spec.get("strict") or False)
    except (TypeError, ValueError) as exc:
        raise _located("response_format", exc) from None


def _reasoning(effort: Any) -> ReasoningConfig | None:
    """OpenAI's ``reasoning_effort`` as `Request.reasoning`; None for the levels that only
    OpenAI has (``"minimal"``, ``"none"``...), sent as they are in `Request.extra`."""
    check_text("reasoning_effort", effort)
    return ReasoningConfig(effort=effort) if effort in _EFFORTS else None


def _take(extra: dict[str, Any], key: str, mapping: Callable[[Any], _T | None]) -> _T | None:
    """``mapping(extra[key])``, taking the key out of `extra` when it maps to a value."""
    value = mapping(extra[key]) if key in extra else None
    if value is not None:
        del extra[key]
    return value


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

    ``response_format`` (JSON mode, or a JSON schema with a name, the schema and ``strict``)
    and ``reasoning_effort`` (``low``, ``medium``, ``high``) become `Request.response_format`
    and `Request.reasoning`, which every provider maps to its own form; other values of
    them go in `Request.extra`, sent as they are.

    Raises:
        TypeError: An argument of the wrong type (``temperature must be a number, not a
            string``), or one this client does not know.
        ValueError: No messages, an unknown role, ``n`` other than 1, ...
    """
    known_extra = {"response_format", "user", "presence_penalty", "frequency_penalty", "logprobs"}
    known_extra |= {"reasoning_effort"}
    unknown = set(other) - known_extra
    if unknown:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(unknown))} (use extra_body=)")
    counts = {"max_tokens": max_tokens, "max_completion_tokens": max_completion_tokens, "n": n}
    for name, count in counts.items():
        if count is not None:
            check_integer(name, count, low=0)
    for name in ("presence_penalty", "frequency_penalty"):
        if other.get(name) is not None:
            check_number(name, other[name])
    if n not in (None, 1):
        raise ValueError("n must be 1: eventide streams one choice")
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    elif not isinstance(messages, list | tuple):
        raise TypeError(f"messages must be a list, not {type_name(messages)}")
    extra = {key: value for key, value in other.items() if value is not None}
    response_format: ResponseFormat | None = _take(extra, "response_format", _response_format)
    reasoning = _take(extra, "reasoning_effort", _reasoning)
    extra.update(extra_body or {})
    try:  # a dict without a needed field fails in here
        return Request(
            messages=[_message(raw, i) for i, raw in enumerate(messages)],
            model=model,
            tools=_tools(tools or ()),
            tool_choice=_tool_choice(tool_choice),
            temperature=temperature,
            max_tokens=max_completion_tokens if max_completion_tokens is not None else max_tokens,
            top_p=top_p,
            stop=() if stop is None else stop,
            seed=seed,
            extra=extra,
            response_format=response_format,
            reasoning=reasoning,
        )
    except (KeyError, AttributeError, IndexError) as exc:
        raise ValueError(f"malformed message or tool: missing or wrong {exc}") from None
