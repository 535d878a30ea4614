"""What callers send: `Request`, `Message`, content parts and tool specs (all frozen).

Every provider builds its own wire body from these; none of them is ever mutated, and
sequences are copied into tuples on the way in, so the caller's lists stay the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeAlias, final

import attrs

from ._events import ToolCall

__all__ = [
    "ContentPart",
    "ImagePart",
    "Message",
    "Request",
    "Role",
    "TextPart",
    "ToolSpec",
    "as_request",
]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]


@final
@attrs.frozen
class TextPart:
    """A piece of text in a multi-part message."""

    text: str


@final
@attrs.frozen
class ImagePart:
    """An image in a user message: by URL, or inline as base64 data with its media type."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None

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


def _tuple_of_parts(content: str | Sequence[ContentPart]) -> str | tuple[ContentPart, ...]:
    return content if isinstance(content, str) else tuple(content)


@final
@attrs.frozen
class Message:
    """One chat message. Build them with the class methods: `Message.user("Hi")`.

    Attributes:
        role: ``"system"``, ``"user"``, ``"assistant"`` or ``"tool"``.
        content: Text, or a tuple of `TextPart` / `ImagePart`.
        tool_calls: For assistant messages, the tool calls the model made.
        tool_call_id: For tool messages, the id of the call this is the result of.
        name: An optional participant or tool name.
    """

    role: Role
    content: str | tuple[ContentPart, ...] = attrs.field(converter=_tuple_of_parts, default="")
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    @classmethod
    def system(cls, text: str) -> Message:
        """A system prompt."""
        return cls("system", text)

    @classmethod
    def user(cls, content: str | Sequence[ContentPart]) -> Message:
        """A user turn: text, or a sequence of text and image parts."""
        return cls("user", content)

    @classmethod
    def assistant(cls, text: str = "", *, tool_calls: Iterable[_ToolCallLike] = ()) -> Message:
        """An assistant turn, with the tool calls it made (from a `Completion`, say)."""
        calls = tuple(
            ToolCall(index=i, id=call.id, name=call.name, arguments=call.arguments)
            for i, call in enumerate(tool_calls)
        )
        return cls("assistant", text, tool_calls=calls)

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


def _plain(value: Any) -> Any:
    """A deep copy made of dicts and lists: JSON-ready, and the caller's objects stay theirs."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _plain_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): _plain(item) for key, item in value.items()}


@final
@attrs.frozen
class ToolSpec:
    """A function the model may call, described by a JSON Schema for its arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = attrs.field(
        factory=lambda: {"type": "object"}, converter=_plain_dict, hash=False
    )


def _tools(value: Iterable[ToolSpec]) -> tuple[ToolSpec, ...]:
    return tuple(value)


def _stop(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _messages(value: Iterable[Message]) -> tuple[Message, ...]:
    messages = tuple(value)
    for message in messages:
        if not isinstance(message, Message):
            raise TypeError(f"messages must be Message objects, got {type(message).__name__}")
    return messages


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
        extra: Provider-specific body fields, merged into the wire body last.
    """

    messages: tuple[Message, ...] = attrs.field(converter=_messages)
    model: str | None = None
    tools: tuple[ToolSpec, ...] = attrs.field(converter=_tools, default=())
    tool_choice: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = attrs.field(converter=_stop, default=())
    seed: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, converter=_plain_dict, hash=False)

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
