"""OpenAI Chat Completions, the request side: `ChatRequest` -> the streaming request body.

From the OpenAI API reference, "Create chat completion" (platform.openai.com/docs/api-reference/
chat, read 2026-12): `Request.response_format` becomes ``response_format``
(``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``, or
``{"type": "json_object"}`` for JSON mode) and `Request.reasoning` becomes ``reasoning_effort``.
`Request.openai_params` go as they are (``stream_options`` merged into the ``include_usage``
the decoder needs), a tool's ``strict`` into its function and an image's ``detail`` into its
``image_url``. A message keeps its role and an assistant message its ``refusal``, its
content then null when it has no text, as openai-python sends them; a ``developer`` message
goes as ``system`` unless the builder is told the server knows that role (``developer_role``:
OpenAI's own API does, the compatible servers answer 400).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._request import ImagePart, TextPart

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .._request import Message, Request, ResponseFormat, ToolSpec

__all__ = ["build_chat_body", "function_tools", "sent_role"]


def _function(tool: ToolSpec, *, strict: bool) -> dict[str, Any]:
    function: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
    }
    if strict and tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def function_tools(tools: Iterable[ToolSpec], *, strict: bool = True) -> list[dict[str, Any]]:
    """Tools as Chat Completions ``function`` tools (Ollama takes the same shape, without
    ``strict``: ``strict=False`` leaves it out)."""
    return [_function(tool, strict=strict) for tool in tools]


def _content(message: Message) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str):
        return message.content
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            url = part.url if part.url is not None else f"data:{part.media_type};base64,{part.data}"
            image = {"url": url} if part.detail is None else {"url": url, "detail": part.detail}
            parts.append({"type": "image_url", "image_url": image})
    return parts


def sent_role(message: Message, *, developer_role: bool) -> str:
    """The role `message` is sent as: a ``developer`` one as ``system`` unless
    `developer_role`."""
    return "system" if message.role == "developer" and not developer_role else message.role


def _message(message: Message, *, developer_role: bool) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": sent_role(message, developer_role=developer_role)}
    if message.role == "assistant" and (message.tool_calls or message.refusal is not None):
        wire["content"] = _content(message) or None
        if message.tool_calls:
            wire["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in message.tool_calls
            ]
        if message.refusal is not None:
            wire["refusal"] = message.refusal
    else:
        wire["content"] = _content(message)
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    if message.name is not None and message.role != "tool":
        wire["name"] = message.name
    return wire


def _response_format(value: ResponseFormat) -> dict[str, Any]:
    if value == "json":
        return {"type": "json_object"}
    schema = {"name": value.name, "schema": value.schema, "strict": value.strict}
    return {"type": "json_schema", "json_schema": schema}


def build_chat_body(
    request: Request, *, model: str, developer_role: bool = False
) -> dict[str, Any]:
    """The JSON body of a streaming Chat Completions request (a new dict; nothing is shared
    with `request` but read-only leaves such as tool parameter and response schemas).

    A developer message keeps its role with `developer_role` (for OpenAI's own API, which
    the provider knows by its host), else it is sent as a system message.

    `Request.openai_params` are sent as they are, after the neutral fields: with
    ``max_completion_tokens`` among them, the token limit goes under the name(s) the caller
    gave. ``stream_options`` always asks ``include_usage`` (the `Usage` event needs it; the
    client's chunk stream shows the usage chunk only when the caller asked) and keeps the
    caller's other options. `Request.extra` is merged last.

    Raises:
        ValueError: `Request.reasoning` with a token budget and no effort: Chat Completions
            takes only ``reasoning_effort``.
    """
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            _message(message, developer_role=developer_role) for message in request.messages
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.tools:
        body["tools"] = function_tools(request.tools)
    if request.tool_choice is not None:
        choice = request.tool_choice
        body["tool_choice"] = (
            choice
            if choice in ("auto", "none", "required")
            else {"type": "function", "function": {"name": choice}}
        )
    options = {
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "top_p": request.top_p,
        "seed": request.seed,
    }
    body.update((key, value) for key, value in options.items() if value is not None)
    if request.stop:
        body["stop"] = list(request.stop)
    if request.response_format is not None:
        body["response_format"] = _response_format(request.response_format)
    if request.reasoning is not None:
        body["reasoning_effort"] = request.reasoning.require_effort("OpenAI Chat Completions")
    params = request.openai_params
    if "max_completion_tokens" in params:
        body.pop("max_tokens", None)
    body.update(params)
    body["stream_options"] = {**params.get("stream_options", {}), "include_usage": True}
    body.update(request.extra)
    return body
