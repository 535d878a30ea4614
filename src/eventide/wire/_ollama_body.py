"""Ollama's native chat API, the request side: `Request` -> the ``/api/chat`` request body.

From the Ollama API reference, "Generate a chat completion" (docs.ollama.com/api, read 2026-08).

Structured output and thinking ("Structured outputs" and "Thinking",
docs.ollama.com/capabilities, read 2026-12): `Request.response_format` becomes ``format``
(``"json"``, or the JSON Schema itself) and a reasoning effort becomes ``think`` as its level
name (``"low"``, ``"medium"``, ``"high"``: GPT-OSS takes exactly these, and a model without
named levels uses its default). Ollama takes no token budget.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from .._request import SYSTEM_ROLES, ImagePart, TextPart, refusal_as_text
from ._openai_chat_body import function_tools
from ._params_body import OLLAMA_PARAMS, apply_params, refuse_strict
from ._text import excerpt

if TYPE_CHECKING:
    from .._events import ToolCall
    from .._request import Message, Request

__all__ = ["build_ollama_body"]


def _arguments(call: ToolCall) -> Any:
    text = call.arguments.strip()
    if not text:
        return {}
    try:
        arguments = json.loads(text)
    except (ValueError, RecursionError):  # deeply nested JSON too
        raise ValueError(
            f"tool call {call.id!r} ({call.name}): Ollama needs the arguments as a JSON object, "
            f"and {excerpt(call.arguments, 60)!r} is not JSON"
        ) from None
    if not isinstance(arguments, dict):
        raise ValueError(
            f"tool call {call.id!r} ({call.name}): Ollama needs the arguments as a JSON object"
        )
    return arguments


def _message(message: Message, tool_names: dict[str, str]) -> dict[str, Any]:
    message = refusal_as_text(message)
    wire: dict[str, Any] = {"role": "system" if message.role in SYSTEM_ROLES else message.role}
    if isinstance(message.content, str):
        wire["content"] = message.content
    else:
        texts: list[str] = []
        images: list[str] = []
        for part in message.content:
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ImagePart):
                if part.data is None:
                    raise ValueError(
                        "Ollama takes images as base64 data only, not by URL: "
                        f"download {part.url!r} and pass ImagePart(data=..., media_type=...)"
                    )
                images.append(part.data)
        wire["content"] = "".join(texts)
        if images:
            wire["images"] = images
    if message.tool_calls:
        calls = []
        for call in message.tool_calls:
            tool_names[call.id] = call.name
            calls.append(
                {"id": call.id, "function": {"name": call.name, "arguments": _arguments(call)}}
            )
        wire["tool_calls"] = calls
    if message.role == "tool":
        name = message.name or tool_names.get(message.tool_call_id or "")
        if name:
            wire["tool_name"] = name
        if message.tool_call_id is not None:
            wire["tool_call_id"] = message.tool_call_id
    return wire


def build_ollama_body(request: Request, *, model: str) -> dict[str, Any]:
    """The JSON body of a streaming ``/api/chat`` request (a new dict; nothing is shared with
    `request` but read-only leaves such as tool parameter schemas).

    A developer message is a ``system`` one, an assistant's refusal its text
    (`refusal_as_text`). Images go as base64 in the message's ``images``; a tool result
    names its tool in ``tool_name`` (its own `Message.name`, else the name of the assistant
    call it answers).
    Sampling options go under ``options`` (``max_tokens`` as ``num_predict``). Ollama has no
    ``tool_choice``: ``"none"`` sends no tools, a tool name sends only that tool, and
    ``"auto"``/``"required"`` send them all. `Request.extra` is merged last; its
    ``options``, if a mapping, is merged into the sampling options rather than replacing them.
    `Request.response_format` becomes ``format``, a reasoning effort ``think``.
    `Request.openai_params` go by `OLLAMA_PARAMS` (penalties under ``options``).

    Raises:
        ValueError: An image given by URL (Ollama only takes base64 data), assistant tool
            call arguments that are not a JSON object, a `tool_choice` naming no tool, a
            reasoning token budget without an effort, a strict tool, or an OpenAI parameter
            Ollama has no equivalent of.
    """
    refuse_strict(request.tools, api="Ollama API")
    tool_names: dict[str, str] = {}
    body: dict[str, Any] = {
        "model": model,
        "messages": [_message(message, tool_names) for message in request.messages],
        "stream": True,
    }
    tools = request.tools
    if request.tool_choice == "none":
        tools = ()
    elif request.tool_choice not in (None, "auto", "required"):
        tools = tuple(tool for tool in tools if tool.name == request.tool_choice)
        if not tools:
            raise ValueError(
                f"tool_choice {request.tool_choice!r} is not one of the request's tools"
            )
    if tools:
        body["tools"] = function_tools(tools, strict=False)
    options: dict[str, Any] = {
        key: value
        for key, value in (
            ("temperature", request.temperature),
            ("num_predict", request.max_tokens),
            ("top_p", request.top_p),
            ("seed", request.seed),
        )
        if value is not None
    }
    if request.stop:
        options["stop"] = list(request.stop)
    response_format = request.response_format
    if response_format is not None:
        body["format"] = "json" if response_format == "json" else response_format.schema
    if request.reasoning is not None:
        body["think"] = request.reasoning.require_effort("Ollama")
    if options:
        body["options"] = options
    apply_params(body, request.openai_params, OLLAMA_PARAMS, api="Ollama API")
    extra = copy.deepcopy(request.extra)  # the body is the caller's to change
    extra_options = extra.get("options")
    if isinstance(extra_options, dict):
        extra["options"] = {**body.get("options", {}), **extra_options}
    body.update(extra)
    return body
