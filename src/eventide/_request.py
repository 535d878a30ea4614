"""What callers send: `Request`, `Message`, content parts and tool specs (all frozen).

Every provider builds its own wire body from these; none of them is ever mutated, and
sequences and dicts are copied on the way in, so the caller's lists stay the caller's.
Every field is checked by its constructor (with the checks of `eventide._validate`): a value
that cannot be sent is a `TypeError` or `ValueError` naming the field, before any I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, Protocol, TypeAlias, TypeVar, final, get_args

import attrs

from ._events import Reasoning, ToolCall
from ._secrets import REDACTED, is_credential
from ._validate import (
    check_bool,
    check_integer,
    check_number,
    check_text,
    check_tool_name,
    json_copy,
    type_name,
)

__all__ = [
    "SYSTEM_ROLES",
    "ContentPart",
    "Detail",
    "Effort",
    "ImagePart",
    "JSONSchema",
    "Message",
    "ReasoningConfig",
    "Request",
    "ResponseFormat",
    "Role",
    "TextPart",
    "ToolSpec",
    "as_request",
    "refusal_as_text",
]

_T = TypeVar("_T")
_Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _checked(check: Callable[..., object], **bounds: float) -> _Validator:
    """An attrs validator that runs `check` on the field's value, by the field's name."""

    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check(attribute.name, value, **bounds)

    return validate


def _optional(check: Callable[..., object], **bounds: float) -> _Validator:
    """`_checked`, letting None (unset) through."""

    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            check(attribute.name, value, **bounds)

    return validate


Role: TypeAlias = Literal["system", "developer", "user", "assistant", "tool"]
_ROLES: tuple[str, ...] = get_args(Role)
SYSTEM_ROLES: Final = ("system", "developer")
"""The roles of the system prompt: an API without a ``developer`` role (Anthropic, Gemini,
Ollama) sends a developer message as its system prompt."""


Detail: TypeAlias = Literal["auto", "low", "high"]
_DETAILS: tuple[str, ...] = get_args(Detail)


def _check_detail(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in _DETAILS:
        wanted = ", ".join(map(repr, _DETAILS))
        raise ValueError(f"detail must be one of {wanted} or None, not {value!r}")


@final
@attrs.frozen
class TextPart:
    """A piece of text in a multi-part message."""

    text: str = attrs.field(validator=_checked(check_text))


@final
@attrs.frozen
class ImagePart:
    """An image in a user message: by URL, or inline as base64 data with its media type."""

    url: str | None = attrs.field(default=None, validator=_optional(check_text))
    data: str | None = attrs.field(default=None, validator=_optional(check_text))
    media_type: str | None = attrs.field(default=None, validator=_optional(check_text))
    detail: Detail | None = attrs.field(default=None, kw_only=True, validator=_check_detail)
    """How closely the model looks (OpenAI's ``"auto"``, ``"low"``, ``"high"``); None:
    the provider's default. APIs without the setting leave it out."""

    def __attrs_post_init__(self) -> None:
        if (self.url is None) == (self.data is None):
            raise ValueError("ImagePart takes exactly one of url= or data=")
        if self.data is not None and not self.media_type:
            raise ValueError("ImagePart(data=...) needs media_type=, such as 'image/png'")


ContentPart: TypeAlias = TextPart | ImagePart


class _ToolCallLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> str: ...


def _part(index: int, part: object) -> ContentPart:
    if isinstance(part, TextPart | ImagePart):
        return part
    if isinstance(part, str):  # a string in a list of parts is a text part
        return TextPart(check_text(f"content[{index}]", part))
    raise TypeError(
        f"content[{index}] must be a TextPart, an ImagePart or a string, not {type_name(part)}"
    )


def _content(content: str | Iterable[ContentPart | str]) -> str | tuple[ContentPart, ...]:
    """Text, or a tuple of parts; a string in a sequence of parts becomes a `TextPart`."""
    if isinstance(content, str):
        return check_text("content", content)
    if isinstance(content, bytes | bytearray | Mapping) or not isinstance(content, Iterable):
        raise TypeError(
            f"content must be a string or a sequence of parts, not {type_name(content)}"
        )
    return tuple(_part(index, part) for index, part in enumerate(content))


def _check_role(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in _ROLES:
        wanted = ", ".join(map(repr, _ROLES))
        raise ValueError(f"role must be one of {wanted}, not {value!r}")


def _tuple_of(field: str, kind: type[_T], value: Iterable[_T]) -> tuple[_T, ...]:
    """`value` as a tuple, when every item is a `kind`."""
    if type(value) is tuple and not value:  # the default: nothing to check
        return value
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, kind):
            wanted = f"{field} must be {kind.__name__} objects"
            raise TypeError(f"{wanted}: {field}[{index}] is {type_name(item)}")
    return items


def _tool_calls(value: Iterable[ToolCall]) -> tuple[ToolCall, ...]:
    return _tuple_of("tool_calls", ToolCall, value)


def _reasoning(value: Iterable[Reasoning]) -> tuple[Reasoning, ...]:
    return _tuple_of("reasoning", Reasoning, value)


def _check_refusal(instance: Message, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    check_text("refusal", value)
    if instance.role != "assistant":
        raise ValueError(f"only an assistant message has a refusal, not a {instance.role} one")


@final
@attrs.frozen
class Message:
    """One chat message. Build them with the class methods: `Message.user("Hi")`.

    Attributes:
        role: ``"system"``, ``"developer"``, ``"user"``, ``"assistant"`` or ``"tool"``. A
            developer message (OpenAI's instructions to o-series and later models) keeps
            its role on OpenAI's own API (api.openai.com), is a system message for any
            other server of its wires (LM Studio, vLLM...) and the system prompt elsewhere.
        content: Text, or a tuple of `TextPart` / `ImagePart` (given as any sequence of
            parts and strings: a string in it is a text part).
        tool_calls: For assistant messages, the tool calls the model made.
        tool_call_id: For tool messages, the id of the call this is the result of.
        name: An optional participant or tool name.
        reasoning: For assistant messages, the model's reasoning blocks (`Reasoning`
            events, from `Completion.to_message()`), sent back before the text and tool
            calls to the API that made them and dropped for any other API.
        refusal: For assistant messages, the refusal the model gave in place of an answer
            (OpenAI's ``message.refusal``), sent back as OpenAI's ``refusal`` on the OpenAI
            chat API and as the assistant's text, after its content, on the others.
    """

    role: Role = attrs.field(validator=_check_role)
    content: str | tuple[ContentPart, ...] = attrs.field(converter=_content, default="")
    tool_calls: tuple[ToolCall, ...] = attrs.field(converter=_tool_calls, default=())
    tool_call_id: str | None = attrs.field(default=None, validator=_optional(check_text))
    name: str | None = attrs.field(default=None, validator=_optional(check_text))
    reasoning: tuple[Reasoning, ...] = attrs.field(converter=_reasoning, default=())
    refusal: str | None = attrs.field(default=None, kw_only=True, validator=_check_refusal)

    @classmethod
    def system(cls, text: str) -> Message:
        """A system prompt."""
        return cls("system", text)

    @classmethod
    def user(cls, content: str | Sequence[ContentPart | str]) -> Message:
        """A user turn: text, or a sequence of parts (`TextPart`, `ImagePart`, or a string,
        which is a text part: ``Message.user(["a", "b"])`` sends ``"a"`` and ``"b"``)."""
        return cls("user", content)

    @classmethod
    def assistant(
        cls,
        text: str = "",
        *,
        tool_calls: Iterable[_ToolCallLike] = (),
        reasoning: Iterable[Reasoning] = (),
        refusal: str | None = None,
    ) -> Message:
        """An assistant turn, with the tool calls it made (from a `Completion`, say: their
        ``signature`` too, when they have one), the reasoning blocks to send back
        (`Completion.to_message()` fills in both) and the refusal it gave, if any."""
        calls = tuple(
            ToolCall(i, call.id, call.name, call.arguments, getattr(call, "signature", None))
            for i, call in enumerate(tool_calls)
        )
        return cls("assistant", text, tool_calls=calls, reasoning=reasoning, refusal=refusal)

    @classmethod
    def tool(cls, tool_call_id: str, content: str, *, name: str | None = None) -> Message:
        """The result of a tool call, sent back to the model."""
        return cls("tool", content, tool_call_id=tool_call_id, name=name)

    @property
    def text(self) -> str:
        """The message's text, with the text parts of a multi-part message joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content if isinstance(part, TextPart))


def refusal_as_text(message: Message) -> Message:
    """`message` with its `Message.refusal` as text after its content, for an API with no
    refusal field: the whole text when there is no other, else after a blank line (text) or
    as a last text part (parts); `message` itself when its refusal is None or empty."""
    content, refusal = message.content, message.refusal
    if not refusal:
        return message
    if isinstance(content, str) or not content:
        text = f"{content}\n\n{refusal}" if content else refusal
        return attrs.evolve(message, content=text, refusal=None)
    return attrs.evolve(message, content=(*content, TextPart(refusal)), refusal=None)


def _json_dict(field: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-ready deep copy of a dict field (the caller's stays theirs)."""
    if type(value) is dict and not value:  # the default: a new empty dict, as the copy is
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{field} must be a dict, not {type_name(value)}")
    copy: dict[str, Any] = json_copy(field, value)
    return copy


def _parameters(value: Mapping[str, Any]) -> dict[str, Any]:
    return _json_dict("parameters", value)


def _extra(value: Mapping[str, Any]) -> dict[str, Any]:
    return _json_dict("extra", value)


@final
@attrs.frozen
class ToolSpec:
    """A function the model may call, described by a JSON Schema for its arguments."""

    name: str = attrs.field(validator=_checked(check_tool_name))
    description: str = attrs.field(default="", validator=_checked(check_text))
    parameters: dict[str, Any] = attrs.field(
        factory=lambda: {"type": "object"}, converter=_parameters, hash=False
    )
    strict: bool | None = attrs.field(default=None, kw_only=True, validator=_optional(check_bool))
    """Whether the provider must hold the arguments to the schema exactly (OpenAI's
    ``strict``); None: the provider's default."""


def _tools(value: Iterable[ToolSpec]) -> tuple[ToolSpec, ...]:
    return _tuple_of("tools", ToolSpec, value)


def _stop(value: str | Iterable[str]) -> tuple[str, ...]:
    if type(value) is tuple and not value:  # the default: nothing to check
        return value
    if isinstance(value, str):
        return (check_text("stop", value),)
    if isinstance(value, bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"stop must be a string or a list of strings, not {type_name(value)}")
    return tuple(check_text(f"stop[{index}]", item) for index, item in enumerate(value))


def _schema(value: Mapping[str, Any]) -> dict[str, Any]:
    return _json_dict("schema", value)


@final
@attrs.frozen
class JSONSchema:
    """Structured output: the answer is JSON text that matches `schema`.

    Attributes:
        name: The schema's name (OpenAI requires one): 1 to 64 letters, digits, ``_`` or ``-``.
        schema: The JSON Schema, a JSON object (copied on the way in).
        strict: Whether the provider must enforce the schema exactly (OpenAI's strict mode,
            which needs ``additionalProperties: false`` and every property required).
            Anthropic, Gemini and Ollama enforce a schema whatever this says.
    """

    name: str = attrs.field(validator=_checked(check_tool_name))
    schema: dict[str, Any] = attrs.field(converter=_schema, hash=False)
    strict: bool = attrs.field(default=True, kw_only=True, validator=_checked(check_bool))


ResponseFormat: TypeAlias = JSONSchema | Literal["json"]
"""A `JSONSchema`, or ``"json"``: JSON mode, any JSON object, no schema."""

Effort: TypeAlias = Literal["low", "medium", "high"]
_EFFORTS: tuple[str, ...] = get_args(Effort)


def _check_effort(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in _EFFORTS:
        wanted = ", ".join(map(repr, _EFFORTS))
        raise ValueError(f"effort must be one of {wanted} or None, not {value!r}")


@final
@attrs.frozen(kw_only=True)
class ReasoningConfig:
    """How much the model should reason before it answers: an effort, a token budget, or both.

    The two are one wish in two units. Each provider sends the one it takes (OpenAI and
    Ollama an effort, Gemini a budget before an effort, Anthropic both); a provider given
    only the one it cannot take refuses the request before any I/O (docs/providers.md,
    "Structured output and reasoning").

    Attributes:
        effort: ``"low"``, ``"medium"`` or ``"high"``; None: not set.
        budget_tokens: The most tokens to spend on reasoning, at least 1; None: not set.
    """

    effort: Effort | None = attrs.field(default=None, validator=_check_effort)
    budget_tokens: int | None = attrs.field(default=None, validator=_optional(check_integer, low=1))

    def __attrs_post_init__(self) -> None:
        if self.effort is None and self.budget_tokens is None:
            raise ValueError("ReasoningConfig needs effort=, budget_tokens= or both")

    def require_effort(self, api: str) -> Effort:
        """The effort, for an API that takes no token budget.

        Raises:
            ValueError: Only a budget is set.
        """
        if self.effort is None:
            raise ValueError(
                f"{api} takes a reasoning effort, not a token budget: "
                "set ReasoningConfig(effort='low' | 'medium' | 'high')"
            )
        return self.effort


def _check_response_format(
    instance: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    if value is None or value == "json" or isinstance(value, JSONSchema):
        return
    kind = ValueError if isinstance(value, str) else TypeError
    raise kind(f"response_format must be a JSONSchema or 'json', not {value!r}")


def _check_reasoning(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, ReasoningConfig):
        raise TypeError(f"reasoning must be a ReasoningConfig, not {type_name(value)}")


def _params(value: Mapping[str, Any]) -> dict[str, Any]:
    return _json_dict("openai_params", value)


def _strings(field: str, value: Mapping[str, str]) -> dict[str, str]:
    """A copy of a dict of strings (HTTP headers, query parameters), each checked."""
    if type(value) is dict and not value:  # the default: a new empty dict, as the copy is
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{field} must be a dict, not {type_name(value)}")
    return {
        check_text(f"{field} name", name): check_text(f"{field}[{name!r}]", item)
        for name, item in value.items()
    }


def _header_dict(value: Mapping[str, str]) -> dict[str, str]:
    return _strings("headers", value)


def _query_dict(value: Mapping[str, str]) -> dict[str, str]:
    return _strings("query", value)


def _headers_repr(headers: Mapping[str, str]) -> str:
    """The headers, a credential's value hidden."""
    return repr({k: REDACTED if is_credential(k) else v for k, v in headers.items()})


def _messages(value: Iterable[Message]) -> tuple[Message, ...]:
    return _tuple_of("messages", Message, value)


@final
@attrs.frozen
class Request:
    """A chat request, independent of any provider.

    Attributes:
        messages: The conversation so far.
        model: The model to ask for; None means the provider's default.
        tools: Functions the model may call.
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a tool name; None: provider default.
        temperature, max_tokens, top_p, stop, seed: The usual sampling options; None: unset.
            Finite numbers only: temperature at least 0, top_p between 0 and 1, max_tokens
            an integer of at least 0.
        extra: Provider-specific body fields (JSON data), merged into the wire body last:
            a key in it replaces the one built from the other fields.
        response_format: Structured output: a `JSONSchema`, or ``"json"`` for JSON mode;
            None: text.
        reasoning: A `ReasoningConfig` (effort and/or token budget); None: provider default.
        openai_params: Chat Completions parameters that have no neutral field, in OpenAI's
            form (``logit_bias``, ``store``, ``metadata``, ``service_tier``, ``user``, ...).
            The OpenAI chat API sends them as they are; every other API maps those it has
            an equivalent for and refuses the rest before any I/O (`RequestError`).
        headers: Extra HTTP headers of this request (over the provider's own); a
            credential's value never appears in the repr.
        query: Extra URL query parameters of this request.
    """

    messages: tuple[Message, ...] = attrs.field(converter=_messages)
    model: str | None = attrs.field(default=None, validator=_optional(check_text))
    tools: tuple[ToolSpec, ...] = attrs.field(converter=_tools, default=())
    tool_choice: str | None = attrs.field(default=None, validator=_optional(check_text))
    temperature: float | None = attrs.field(default=None, validator=_optional(check_number, low=0))
    max_tokens: int | None = attrs.field(default=None, validator=_optional(check_integer, low=0))
    top_p: float | None = attrs.field(
        default=None, validator=_optional(check_number, low=0, high=1)
    )
    stop: tuple[str, ...] = attrs.field(converter=_stop, default=())
    seed: int | None = attrs.field(default=None, validator=_optional(check_integer))
    extra: dict[str, Any] = attrs.field(factory=dict, converter=_extra, hash=False)
    response_format: ResponseFormat | None = attrs.field(
        default=None, validator=_check_response_format
    )
    reasoning: ReasoningConfig | None = attrs.field(default=None, validator=_check_reasoning)
    openai_params: dict[str, Any] = attrs.field(factory=dict, converter=_params, hash=False)
    headers: dict[str, str] = attrs.field(
        factory=dict, converter=_header_dict, hash=False, repr=_headers_repr
    )
    query: dict[str, str] = attrs.field(factory=dict, converter=_query_dict, hash=False)

    @messages.validator
    def _check_messages(self, attribute: attrs.Attribute[Any], value: tuple[Message, ...]) -> None:
        if not value:
            raise ValueError("messages must not be empty: a Request needs at least one message")


def as_request(request: Request | str, *, model: str | None = None) -> Request:
    """Turn a prompt or a `Request` into a `Request`, with `model` overriding its model."""
    if isinstance(request, str):
        return Request(messages=(Message.user(request),), model=model)
    if not isinstance(request, Request):
        raise TypeError(f"expected a Request or a prompt string, got {type(request).__name__}")
    if model is not None and model != request.model:
        return attrs.evolve(request, model=model)
    return request
