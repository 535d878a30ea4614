"""Anthropic Messages, the request side: `Request` -> the streaming request body.

From the Anthropic API reference, "Messages" (docs.anthropic.com/en/api/messages, read 2026-12).

Structured output and reasoning (same reference, ``output_config`` and ``thinking``, read
2026-12): a `JSONSchema` becomes ``output_config.format`` (``{"type": "json_schema",
"schema"}``: the API has no name and always enforces the schema); there is no JSON mode, so
``response_format="json"`` is refused. A reasoning effort becomes ``output_config.effort``
(Claude's effort parameter, Opus 4.5 and later), a token budget ``thinking: {"type":
"enabled", "budget_tokens": N}``; both may be sent together. Extended thinking works only
with ``tool_choice`` ``auto`` or ``none``, and its budget must stay below ``max_tokens``.

Reasoning sent back (same reference, "Extended thinking", "Preserving thinking blocks", read
2026-12): an assistant turn's thinking must go back unchanged, ``thinking`` blocks with their
``signature`` and ``redacted_thinking`` blocks with their ``data``, before its ``tool_use``
blocks. Only `Message.reasoning` blocks made by this API (``api == "anthropic"``) are sent;
one from another API, or a thinking block without a signature (the API rejects unsigned
thinking), is dropped: another provider's signature would get the whole request rejected.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, Final

from .._request import (
    SYSTEM_ROLES,
    ImagePart,
    Message,
    ReasoningConfig,
    Request,
    ResponseFormat,
    TextPart,
    refusal_as_text,
)
from ._params_body import ANTHROPIC_PARAMS, apply_params
from ._text import excerpt

if TYPE_CHECKING:
    from .._events import Reasoning

__all__ = ["DEFAULT_MAX_TOKENS", "build_anthropic_body"]

DEFAULT_MAX_TOKENS: Final = 4096
"""``max_tokens`` is required by the Messages API: sent when the request sets none."""


def _image(part: ImagePart) -> dict[str, Any]:
    source: dict[str, Any]
    if part.url is not None:
        if part.url.startswith("data:") and ";base64," in part.url:
            # the API takes no data: URLs; the same bytes go in as a base64 source
            media_type, _, data = part.url[5:].partition(";base64,")
            source = {"type": "base64", "media_type": media_type, "data": data}
        else:
            source = {"type": "url", "url": part.url}
    else:
        source = {"type": "base64", "media_type": part.media_type, "data": part.data}
    return {"type": "image", "source": source}


def _blocks(content: str | tuple[TextPart | ImagePart, ...]) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [
        {"type": "text", "text": part.text} if isinstance(part, TextPart) else _image(part)
        for part in content
    ]


def _content(content: str | tuple[TextPart | ImagePart, ...]) -> str | list[dict[str, Any]]:
    return content if isinstance(content, str) else _blocks(content)


def _tool_input(arguments: str, name: str) -> dict[str, Any]:
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):  # deeply nested JSON too
        value = None
    if type(value) is not dict:
        raise ValueError(
            f"the arguments of tool call {name!r} are not a JSON object, which the Messages "
            f"API requires as tool_use input: {excerpt(arguments, 60)!r}"
        )
    return value


def _thinking_blocks(reasoning: tuple[Reasoning, ...]) -> list[dict[str, Any]]:
    """The blocks of `reasoning` this API can take back (module docstring), in order."""
    blocks: list[dict[str, Any]] = []
    for block in reasoning:
        if block.api != "anthropic":
            continue
        if block.redacted is not None:
            blocks.append({"type": "redacted_thinking", "data": block.redacted})
        elif block.signature is not None:
            blocks.append(
                {"type": "thinking", "thinking": block.text, "signature": block.signature}
            )
    return blocks


def _assistant(message: Message) -> dict[str, Any]:
    message = refusal_as_text(message)
    thinking = _thinking_blocks(message.reasoning)
    if not message.tool_calls and not thinking:
        return {"role": "assistant", "content": _content(message.content)}
    blocks = thinking
    blocks.extend(_blocks(message.content))  # an empty text block is rejected: none is sent
    blocks.extend(
        {
            "type": "tool_use",
            "id": call.id,
            "name": call.name,
            "input": _tool_input(call.arguments, call.name),
        }
        for call in message.tool_calls
    )
    return {"role": "assistant", "content": blocks}


def _tool_result(message: Message) -> dict[str, Any]:
    if message.tool_call_id is None:
        raise ValueError("a tool message needs the tool_call_id of the call it answers")
    return {
        "type": "tool_result",
        "tool_use_id": message.tool_call_id,
        "content": _content(message.content),
    }


def _messages(messages: tuple[Message, ...]) -> tuple[list[str], list[dict[str, Any]]]:
    system: list[str] = []
    wire: list[dict[str, Any]] = []
    results: list[dict[str, Any]] | None = None  # the tool_result blocks being gathered
    for message in messages:
        role = message.role
        if role == "tool":
            if results is None:
                results = []
                wire.append({"role": "user", "content": results})
            results.append(_tool_result(message))
            continue
        results = None
        if role in SYSTEM_ROLES:
            system.append(message.text)  # the API has no system role: top-level "system"
        elif role == "assistant":
            wire.append(_assistant(message))
        else:
            wire.append({"role": "user", "content": _content(message.content)})
    return system, wire


def _tool_choice(choice: str) -> dict[str, Any]:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return {"type": "tool", "name": choice}


def _output_config(
    response_format: ResponseFormat | None, reasoning: ReasoningConfig | None
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if response_format == "json":
        raise ValueError(
            "the Anthropic Messages API has no JSON mode: give response_format a JSONSchema"
        )
    if response_format is not None:
        schema = copy.deepcopy(response_format.schema)
        config["format"] = {"type": "json_schema", "schema": schema}
    if reasoning is not None and reasoning.effort is not None:
        config["effort"] = reasoning.effort
    return config


def _thinking(request: Request, budget: int) -> dict[str, Any]:
    if request.tool_choice not in (None, "auto", "none"):
        raise ValueError(
            f"extended thinking (reasoning budget_tokens) works only with tool_choice 'auto' "
            f"or 'none' on Anthropic, not {request.tool_choice!r}"
        )
    return {"type": "enabled", "budget_tokens": budget}


def build_anthropic_body(request: Request, *, model: str) -> dict[str, Any]:
    """The JSON body of a streaming Messages request (a new dict sharing nothing with
    `request`).

    System and developer messages go in the top-level ``system`` field (joined by a blank
    line when there are several); an assistant's refusal is sent as its text
    (`refusal_as_text`); consecutive tool results become ``tool_result`` blocks of one user
    message; assistant tool calls become ``tool_use`` blocks with the parsed arguments as
    ``input``, after the message's own thinking blocks (module docstring: those of another
    API are dropped). ``max_tokens`` defaults to `DEFAULT_MAX_TOKENS`; ``seed`` has no Messages API
    equivalent and is not sent. `Request.response_format` and `Request.reasoning` become
    ``output_config`` and ``thinking`` (module docstring); with a thinking budget and no
    `Request.max_tokens`, ``max_tokens`` is the budget plus `DEFAULT_MAX_TOKENS`. A strict
    tool is sent with ``"strict": true``. `Request.openai_params` go to their Messages API
    fields (`ANTHROPIC_PARAMS`: ``user`` as ``metadata.user_id``, ``parallel_tool_calls``
    as ``tool_choice.disable_parallel_tool_use``...). ``Request.extra`` is merged last.

    Raises:
        ValueError: An assistant tool call whose arguments are not a JSON object, a tool
            message without a ``tool_call_id``, ``response_format="json"``, or a thinking
            budget with a ``tool_choice`` that forces a tool; an OpenAI parameter the
            Messages API has no equivalent of.
    """
    system, messages = _messages(request.messages)
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens if request.max_tokens is not None else DEFAULT_MAX_TOKENS,
        "messages": messages,
        "stream": True,
    }
    if system:
        body["system"] = "\n\n".join(system)
    if request.tools:
        tools: list[dict[str, Any]] = []
        for tool in request.tools:
            spec: dict[str, Any] = {"name": tool.name}
            if tool.description:
                spec["description"] = tool.description
            spec["input_schema"] = copy.deepcopy(tool.parameters)
            if tool.strict:  # "Strict tool use" (structured outputs guide, read 2026-12)
                spec["strict"] = True
            tools.append(spec)
        body["tools"] = tools
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    budget = request.reasoning.budget_tokens if request.reasoning is not None else None
    if budget is not None:
        body["thinking"] = _thinking(request, budget)
        if request.max_tokens is None:
            body["max_tokens"] = budget + DEFAULT_MAX_TOKENS
    output_config = _output_config(request.response_format, request.reasoning)
    if output_config:
        body["output_config"] = output_config
    apply_params(body, request.openai_params, ANTHROPIC_PARAMS, api="Anthropic Messages API")
    if "tool_choice" in body:  # disable_parallel_tool_use alone: on the default choice
        body["tool_choice"].setdefault("type", "auto")
    body.update(copy.deepcopy(request.extra))
    return body
