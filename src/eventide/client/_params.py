"""OpenAI-style call arguments (``messages=[{"role": ...}]``, ``tools=[...]``) to a `Request`.

The whole Chat Completions parameter set of openai-python's ``chat.completions.create``
(read 2026-12): the parameters `Request` has a neutral field for go there (``temperature``,
``top_p``, ``max_tokens``/``max_completion_tokens``, ``stop``, ``seed``, ``tools`` with
``strict``, ``tool_choice``, ``response_format``, ``reasoning_effort``, an image part's
``detail``); every other one goes to `Request.openai_params` as it is, None left out (OpenAI's
"not given"), but for the outputs eventide's events cannot carry (``logprobs=True``,
``top_logprobs``, audio output), which are refused as ``n`` other than 1 is.
``extra_body`` becomes `Request.extra`, ``extra_headers`` `Request.headers` and
``extra_query`` `Request.query`.

Everything is checked here, before any I/O: a bad argument is a `TypeError` or `ValueError`
at the call, never a half-sent request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeAlias, TypedDict, TypeVar

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
from .._validate import check_bool, check_integer, check_number, check_text, type_name

if TYPE_CHECKING:
    from .._timeouts import Timeouts

__all__ = [
    "OPENAI_PARAMS",
    "CreateParams",
    "MessageLike",
    "include_usage",
    "request_from_openai",
    "type_name",
]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


def _located(where: str, exc: TypeError | ValueError) -> TypeError | ValueError:
    """`exc` again (as a plain TypeError or ValueError), its message prefixed by `where`."""
    kind = TypeError if isinstance(exc, TypeError) else ValueError
    return kind(f"{where}: {exc}")


def _parts(content: Any, refusals: list[str]) -> str | list[ContentPart]:
    """The content as text or parts, the text of its refusal parts added to `refusals`."""
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
        elif kind == "refusal":  # an assistant's, as OpenAI sends it back
            refusals.append(check_text("refusal", part["refusal"]))
        elif kind == "image_url":
            image = part["image_url"]
            url = check_text("image_url", image["url"] if isinstance(image, Mapping) else image)
            detail = image.get("detail") if isinstance(image, Mapping) else None
            if url.startswith("data:") and ";base64," in url:
                media_type, _, data = url[5:].partition(";base64,")
                parts.append(ImagePart(data=data, media_type=media_type, detail=detail))
            else:
                parts.append(ImagePart(url=url, detail=detail))
        else:
            raise ValueError(
                f"unsupported content part {part!r}: use text, image_url or refusal parts"
            )
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
        refusals = [check_text("refusal", raw["refusal"])] if raw.get("refusal") else []
        content = _parts(raw.get("content"), refusals)
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
            role,
            content,
            tool_calls=calls,
            tool_call_id=raw.get("tool_call_id"),
            name=raw.get("name"),
            refusal="".join(refusals) if refusals else None,
        )
    except (TypeError, ValueError) as exc:
        raise _located(f"messages[{position}]", exc) from None


def _tool(raw: ToolSpec | Mapping[str, Any]) -> ToolSpec:
    if isinstance(raw, ToolSpec):
        return raw
    if not isinstance(raw, Mapping):
        raise TypeError(f"a tool is a dict or a ToolSpec, not {raw!r}")
    if raw.get("type", "function") != "function":
        raise ValueError(f"only function tools can be sent, not {raw.get('type')!r} tools")
    function = raw.get("function", raw)
    if not isinstance(function, Mapping) or "name" not in function:
        raise ValueError(f"a tool needs a function name: {raw!r}")
    return ToolSpec(
        function["name"],
        function.get("description") or "",
        function.get("parameters") or {"type": "object"},
        strict=function.get("strict"),
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

ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
ServiceTier: TypeAlias = Literal["auto", "default", "flex", "scale", "priority", "fast"]


class _Dumps(Protocol):
    def model_dump(self, *, exclude_none: bool = ...) -> dict[str, Any]: ...


MessageLike: TypeAlias = Message | Mapping[str, Any] | _Dumps
"""A message as ``create`` takes it: a `Message`, an OpenAI-shaped dict, or a result's
message (anything with ``model_dump(exclude_none=True)``), appended to ``messages`` as-is."""


class CreateParams(TypedDict, total=False):
    """The keyword arguments of ``chat.completions.create`` beside ``messages``, ``model``
    and ``stream``, typed as openai-python types them (read 2026-12); ``**Unpack`` them in a
    function that forwards to ``create``."""

    audio: Mapping[str, Any] | None
    frequency_penalty: float | None
    logit_bias: Mapping[str, int] | None
    logprobs: bool | None
    max_completion_tokens: int | None
    max_tokens: int | None
    metadata: Mapping[str, str] | None
    modalities: Sequence[Literal["text", "audio"]] | None
    moderation: Mapping[str, Any] | None
    n: int | None
    parallel_tool_calls: bool | None
    prediction: Mapping[str, Any] | None
    presence_penalty: float | None
    prompt_cache_key: str | None
    prompt_cache_options: Mapping[str, Any] | None
    prompt_cache_retention: Literal["in_memory", "24h"] | None
    reasoning_effort: ReasoningEffort | None
    response_format: Mapping[str, Any] | None
    safety_identifier: str | None
    seed: int | None
    service_tier: ServiceTier | None
    stop: str | Sequence[str] | None
    store: bool | None
    stream_options: Mapping[str, bool] | None
    temperature: float | None
    tool_choice: str | Mapping[str, Any] | None
    tools: Sequence[ToolSpec | Mapping[str, Any]] | None
    top_logprobs: int | None
    top_p: float | None
    user: str | None
    verbosity: Literal["low", "medium", "high"] | None
    web_search_options: Mapping[str, Any] | None
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | Timeouts | None


def _checked_dict(field: str, value: object) -> object:
    if not isinstance(value, Mapping):
        raise TypeError(f"{field} must be a dict, not {type_name(value)}")
    return value


def _checked_texts(field: str, value: object) -> object:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise TypeError(f"{field} must be a list of strings, not {type_name(value)}")
    for index, item in enumerate(value):
        check_text(f"{field}[{index}]", item)
    return value


def _penalty(field: str, value: object) -> object:
    return check_number(field, value, low=-2, high=2)


def _count(field: str, value: object) -> object:
    return check_integer(field, value, low=0)


# The Chat Completions parameters without a neutral `Request` field, each with the check of
# its type (OpenAI's own ranges where its reference gives one); they go to
# `Request.openai_params` as given. ``reasoning_effort`` and ``response_format`` join them
# when the neutral field cannot hold the value (`_response_format`, `_reasoning`).
_CHECKS: Final[Mapping[str, Callable[[str, Any], object]]] = {
    "audio": _checked_dict,
    "frequency_penalty": _penalty,
    "logit_bias": _checked_dict,
    "logprobs": check_bool,
    "metadata": _checked_dict,
    "modalities": _checked_texts,
    "moderation": _checked_dict,
    "parallel_tool_calls": check_bool,
    "prediction": _checked_dict,
    "presence_penalty": _penalty,
    "prompt_cache_key": check_text,
    "prompt_cache_options": _checked_dict,
    "prompt_cache_retention": check_text,
    "safety_identifier": check_text,
    "service_tier": check_text,
    "store": check_bool,
    "stream_options": _checked_dict,
    "top_logprobs": _count,
    "user": check_text,
    "verbosity": check_text,
    "web_search_options": _checked_dict,
}
OPENAI_PARAMS: Final = frozenset(_CHECKS) | {"reasoning_effort", "response_format"}
"""Every name `Request.openai_params` may hold besides ``max_completion_tokens`` and
``max_tokens`` (which say which name the caller used for `Request.max_tokens`) and ``n``
(always 1)."""

_DEPRECATED = ("functions", "function_call")


def _response_format(value: Any) -> ResponseFormat | None:
    """OpenAI's ``response_format`` as `Request.response_format`; None when the neutral
    field cannot hold it exactly (``{"type": "text"}``, a schema with a ``description``...),
    which then goes on as it is, in `Request.openai_params`."""
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
    OpenAI has (``"minimal"``, ``"none"``...), sent as they are in `Request.openai_params`."""
    check_text("reasoning_effort", effort)
    return ReasoningConfig(effort=effort) if effort in _EFFORTS else None


def _take(params: dict[str, Any], key: str, mapping: Callable[[Any], _T | None]) -> _T | None:
    """``mapping(params[key])``, taking the key out of `params` when it maps to a value."""
    value = mapping(params[key]) if key in params else None
    if value is not None:
        del params[key]
    return value


def _check_names(given: Iterable[str]) -> None:
    """Raise the `TypeError` for names ``create`` does not take."""
    names = set(given)
    deprecated = sorted(names.intersection(_DEPRECATED))
    if deprecated:
        raise TypeError(
            f"{' and '.join(deprecated)} (deprecated by OpenAI, which answers them with "
            "message.function_call) cannot be sent: use tools= and tool_choice=, whose "
            "answer is message.tool_calls"
        )
    unknown = names - OPENAI_PARAMS
    if unknown:
        raise TypeError(
            f"unexpected arguments: {', '.join(sorted(unknown))} (send a body field "
            "the provider knows with extra_body=)"
        )


def _refuse_lost_outputs(params: Mapping[str, Any]) -> None:
    """Raise the `ValueError` for an output eventide's events cannot carry: the server
    would send it and the result would show None (``logprobs=False``, ``top_logprobs=0``
    and ``modalities=["text"]`` ask for nothing and pass)."""
    if params.get("logprobs") or params.get("top_logprobs"):
        raise ValueError(
            "logprobs and top_logprobs are not supported: eventide does not carry token log "
            "probabilities (the answer's logprobs would be None); leave them out"
        )
    if params.get("audio") or "audio" in params.get("modalities", ()):
        raise ValueError(
            "audio output (audio=, modalities with 'audio') is not supported: eventide "
            "carries text, so the spoken answer would be lost; leave them out or ask for "
            "modalities=['text']"
        )


def include_usage(stream_options: Mapping[str, Any] | None) -> bool:
    """``stream_options["include_usage"]``: whether the chunk stream ends with the usage chunk.

    Raises:
        TypeError: `stream_options` is not a dict, or its ``include_usage`` not a boolean.
    """
    if stream_options is None:
        return False
    _checked_dict("stream_options", stream_options)
    return check_bool("stream_options.include_usage", stream_options.get("include_usage", False))


def _count_tokens(max_tokens: int | None, max_completion_tokens: int | None) -> dict[str, int]:
    """The names the caller gave the token limit under, for `Request.openai_params`, when
    ``max_completion_tokens`` is one: the OpenAI chat body then sends them as given."""
    for name, count in (
        ("max_tokens", max_tokens),
        ("max_completion_tokens", max_completion_tokens),
    ):
        if count is not None:
            check_integer(name, count, low=0)
    if max_completion_tokens is None:
        return {}
    names = {"max_completion_tokens": max_completion_tokens}
    return names if max_tokens is None else {**names, "max_tokens": max_tokens}


def request_from_openai(
    *,
    messages: Sequence[MessageLike] | str,
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
    extra_headers: Mapping[str, str] | None = None,
    extra_query: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    **other: Any,
) -> Request:
    """A `Request` from the arguments of OpenAI's ``chat.completions.create``.

    ``response_format`` (JSON mode, or a JSON schema with a name, the schema and ``strict``)
    and ``reasoning_effort`` (``low``, ``medium``, ``high``) become `Request.response_format`
    and `Request.reasoning`, which every provider maps to its own form; other values of
    them, and every other parameter in `CreateParams` that `Request` has no field for, go to
    `Request.openai_params` as they are (None left out). ``extra_body`` is `Request.extra`,
    merged into the wire body last, as it is. Nothing given is changed: the request holds
    copies.

    Raises:
        TypeError: An argument of the wrong type (``temperature must be a number, not a
            string``), one this client does not know (the message names ``extra_body=``),
            or OpenAI's deprecated ``functions``/``function_call`` (it names ``tools=``).
        ValueError: No messages, an unknown role, ``n`` other than 1, or an output eventide
            cannot carry (``logprobs=True``, ``top_logprobs``, audio output), ...
    """
    _check_names(other)
    if n is not None:
        check_integer("n", n, low=0)
        if n != 1:
            raise ValueError(
                f"n must be 1, not {n}: eventide streams one choice (make {n} calls instead)"
            )
    params = {key: value for key, value in other.items() if value is not None}
    if n is not None:
        params["n"] = n  # 1: sent as given, to OpenAI
    for name, value in params.items():
        if name in _CHECKS:
            _CHECKS[name](name, value)
    include_usage(params.get("stream_options"))
    _refuse_lost_outputs(params)
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    elif not isinstance(messages, list | tuple):
        raise TypeError(f"messages must be a list, not {type_name(messages)}")
    response_format: ResponseFormat | None = _take(params, "response_format", _response_format)
    reasoning = _take(params, "reasoning_effort", _reasoning)
    params.update(_count_tokens(max_tokens, max_completion_tokens))
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
            extra=extra_body or {},
            response_format=response_format,
            reasoning=reasoning,
            openai_params=params,
            headers=extra_headers or {},
            query=extra_query or {},
        )
    except (KeyError, AttributeError, IndexError) as exc:
        raise ValueError(f"malformed message or tool: missing or wrong {exc}") from None
