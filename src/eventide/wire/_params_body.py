"""OpenAI's Chat Completions parameters (`Request.openai_params`) on the other APIs.

The OpenAI chat body sends them as they are. Every other API has one table here: for each
parameter it has an equivalent of, where the value goes in its body; `apply_params` writes
them and refuses any other parameter with a `ValueError` (the provider's `RequestError`,
before any I/O) that names the parameter, the API and ``extra_body=``. The sources, each
read 2026-12: OpenAI's "Create a model response" reference (Responses), Anthropic's
"Messages" reference (``metadata.user_id``, ``service_tier`` ``auto``/``standard_only``,
``tool_choice.disable_parallel_tool_use``), Gemini's "GenerationConfig" reference
(``presencePenalty``, ``frequencyPenalty``, ``responseLogprobs``, ``logprobs``,
``responseModalities``, ``thinkingConfig.thinkingLevel``) and Ollama's "Generate a chat
completion" reference (``options.presence_penalty``, ``options.frequency_penalty``, top-level
``logprobs`` and ``top_logprobs``). docs/providers.md has the whole table.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from ._text import excerpt

if TYPE_CHECKING:
    from .._request import ToolSpec

__all__ = [
    "ANTHROPIC_PARAMS",
    "GEMINI_PARAMS",
    "OLLAMA_PARAMS",
    "RESPONSES_PARAMS",
    "Rule",
    "apply_params",
    "refuse_strict",
]

Rule: TypeAlias = str | Callable[[Any], Mapping[str, Any] | None]
"""Where one parameter goes in a body: a dotted path (``"generationConfig.seed"``) its value
goes to as it is, or a function of the value that gives the fields to set (dotted paths to
values; ``{}``: nothing to send), or None when this value has no equivalent."""


def _consumed(value: object) -> Mapping[str, Any]:
    """Already sent: the value is in a neutral `Request` field too (``max_tokens``), or is
    every API's default (``n``, always 1)."""
    return {}


def _text_only(value: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``response_format={"type": "text"}`` is every API's default; other forms the neutral
    field could not hold (a schema with a ``description``...) have no equivalent."""
    return {} if dict(value) == {"type": "text"} else None


def _usage_only(value: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``stream_options={"include_usage": ...}`` is the client's (the chunk stream honours
    it); OpenAI's other stream options have no equivalent."""
    return {} if set(value) <= {"include_usage"} else None


def _parallel_default(value: bool) -> Mapping[str, Any] | None:
    """``parallel_tool_calls=True`` is what an API without the switch does already."""
    return {} if value else None


def _responses_format(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A response format as ``text.format``: the ``json_schema`` fields flattened into it."""
    spec = value.get("json_schema")
    fields = {**spec} if isinstance(spec, Mapping) else {}
    return {"text.format": {"type": value.get("type"), **fields}}


def _responses_stream_options(value: Mapping[str, Any]) -> Mapping[str, Any]:
    rest = {key: item for key, item in value.items() if key != "include_usage"}
    return {"stream_options": rest} if rest else {}


_ANTHROPIC_TIERS: Final = {"auto": "auto", "default": "standard_only"}
_NEUTRAL: Final[Mapping[str, Rule]] = dict.fromkeys(
    ("max_tokens", "max_completion_tokens", "n"), _consumed
)
_COMMON: Final[Mapping[str, Rule]] = {
    **_NEUTRAL,
    "response_format": _text_only,
    "stream_options": _usage_only,
}

RESPONSES_PARAMS: Final[Mapping[str, Rule]] = {
    **_NEUTRAL,
    "logprobs": lambda on: {"include": ["message.output_text.logprobs"]} if on else {},
    "metadata": "metadata",
    "moderation": "moderation",
    "parallel_tool_calls": "parallel_tool_calls",
    "prompt_cache_key": "prompt_cache_key",
    "prompt_cache_options": "prompt_cache_options",
    "prompt_cache_retention": "prompt_cache_retention",
    "reasoning_effort": "reasoning.effort",
    "response_format": _responses_format,
    "safety_identifier": "safety_identifier",
    "service_tier": "service_tier",
    "store": "store",
    "stream_options": _responses_stream_options,
    "top_logprobs": "top_logprobs",
    "user": "user",
    "verbosity": "text.verbosity",
}
ANTHROPIC_PARAMS: Final[Mapping[str, Rule]] = {
    **_COMMON,
    "parallel_tool_calls": lambda on: {"tool_choice.disable_parallel_tool_use": not on},
    "safety_identifier": "metadata.user_id",
    "service_tier": lambda tier: (
        {"service_tier": _ANTHROPIC_TIERS[tier]} if tier in _ANTHROPIC_TIERS else None
    ),
    "user": "metadata.user_id",
}
GEMINI_PARAMS: Final[Mapping[str, Rule]] = {
    **_COMMON,
    "frequency_penalty": "generationConfig.frequencyPenalty",
    "logprobs": "generationConfig.responseLogprobs",
    "modalities": lambda kinds: (
        {"generationConfig.responseModalities": ["TEXT"]} if list(kinds) == ["text"] else None
    ),
    "parallel_tool_calls": _parallel_default,
    "presence_penalty": "generationConfig.presencePenalty",
    "reasoning_effort": lambda effort: (
        {"generationConfig.thinkingConfig.thinkingLevel": effort} if effort == "minimal" else None
    ),
    "top_logprobs": "generationConfig.logprobs",
}
OLLAMA_PARAMS: Final[Mapping[str, Rule]] = {
    **_COMMON,
    "frequency_penalty": "options.frequency_penalty",
    "logprobs": "logprobs",
    "parallel_tool_calls": _parallel_default,
    "presence_penalty": "options.presence_penalty",
    "top_logprobs": "top_logprobs",
}


def _refusal(name: str, value: object, api: str) -> ValueError:
    return ValueError(
        f"{name}={excerpt(repr(value), 60)} has no equivalent in the {api}: leave it out, "
        f"or send that API's own field with extra_body="
    )


def apply_params(
    body: dict[str, Any], params: Mapping[str, Any], table: Mapping[str, Rule], *, api: str
) -> None:
    """Write `params` into `body` by `table` (values copied), or refuse them all.

    Args:
        body: The wire body built so far; changed in place.
        params: `Request.openai_params`.
        table: This API's rules (`Rule`).
        api: The API's name for the error, such as ``"Anthropic Messages API"``.

    Raises:
        ValueError: A parameter (or a value of it) the table has no rule for, or two
            parameters that set one field to different values; nothing is written then.
    """
    fields: dict[str, tuple[str, Any]] = {}  # dotted path -> (parameter, value)
    for name, value in params.items():
        rule = table.get(name)
        made = None if rule is None else {rule: value} if isinstance(rule, str) else rule(value)
        if made is None:
            raise _refusal(name, value, api)
        for path, item in made.items():
            if path in fields and fields[path][1] != item:
                raise ValueError(
                    f"{fields[path][0]} and {name} both set {path} in the {api}: give one"
                )
            fields[path] = (name, item)
    for path, (_, item) in fields.items():
        *parents, last = path.split(".")
        node = body
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = copy.deepcopy(item)


def refuse_strict(tools: Iterable[ToolSpec], *, api: str) -> None:
    """Refuse a tool with ``strict=True`` on an API that cannot hold arguments to a schema
    (``strict=False`` is what it does anyway, and is left out).

    Raises:
        ValueError: A strict tool, named.
    """
    for tool in tools:
        if tool.strict:
            raise ValueError(
                f"tool {tool.name!r}: strict=True has no equivalent in the {api}: "
                "leave it out (or None), or send that API's own field with extra_body="
            )
