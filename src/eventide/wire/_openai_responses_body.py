"""OpenAI Responses API, the request side: `Request` -> the streaming request body.

From the OpenAI API reference, "Create a model response" (platform.openai.com/docs/api-reference/
responses, read 2026-12): `Request.response_format` becomes ``text.format``
(``{"type": "json_schema", "name", "schema", "strict"}``, or ``{"type": "json_object"}`` for
JSON mode) and `Request.reasoning` becomes ``reasoning.effort``.

Reasoning sent back (same reference, the ``reasoning`` input item, and the "Reasoning" guide,
"Encrypted reasoning items", read 2026-12): an assistant turn's reasoning items go back first,
as they came (``id``, ``summary`` parts, and ``encrypted_content`` when the response had it:
ask for it with ``extra={"include": ["reasoning.encrypted_content"]}``), then its message and
``function_call`` items. Only `Message.reasoning` blocks made by this API with an ``id`` are
sent; others are dropped (another provider's data would get the request rejected).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._request import TextPart, refusal_as_text
from ._openai_chat_body import sent_role
from ._params_body import RESPONSES_PARAMS, apply_params

if TYPE_CHECKING:
    from .._events import Reasoning
    from .._request import ImagePart, Message, Request, ResponseFormat

__all__ = ["build_responses_body"]


def _input_parts(content: tuple[TextPart | ImagePart, ...]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append({"type": "input_text", "text": part.text})
        else:
            url = part.url if part.url is not None else f"data:{part.media_type};base64,{part.data}"
            detail = part.detail or "auto"
            parts.append({"type": "input_image", "image_url": url, "detail": detail})
    return parts


def _input_content(message: Message) -> str | list[dict[str, Any]]:
    content = message.content
    return content if isinstance(content, str) else _input_parts(content)


def _is_ours(block: Reasoning) -> bool:
    return block.api == "openai_responses" and block.id is not None


def _reasoning_item(block: Reasoning) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "reasoning",
        "id": block.id,
        "summary": [{"type": "summary_text", "text": text} for text in block.summary],
    }
    if block.redacted is not None:
        item["encrypted_content"] = block.redacted
    return item


def _items(message: Message, *, developer_role: bool) -> list[dict[str, Any]]:
    """The input items of one message (an assistant turn with tool calls makes several)."""
    if message.role == "tool":
        return [
            {
                "type": "function_call_output",
                "call_id": message.tool_call_id or "",
                "output": _input_content(message),
            }
        ]
    if message.role != "assistant":
        wire_role = sent_role(message, developer_role=developer_role)
        return [{"type": "message", "role": wire_role, "content": _input_content(message)}]
    items = [_reasoning_item(block) for block in message.reasoning if _is_ours(block)]
    text = refusal_as_text(message).text
    if text or not message.tool_calls:
        items.append(
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            }
        )
    items.extend(
        {
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": call.arguments,
        }
        for call in message.tool_calls
    )
    return items


def _text_format(value: ResponseFormat) -> dict[str, Any]:
    if value == "json":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "name": value.name,
        "schema": value.schema,
        "strict": value.strict,
    }


def build_responses_body(
    request: Request, *, model: str, developer_role: bool = False
) -> dict[str, Any]:
    """The JSON body of a streaming Responses API request (a new dict; nothing is shared
    with `request` but read-only leaves such as tool parameter schemas).

    A first system message with plain text becomes ``instructions``; other system messages
    stay in ``input``, in place, and developer messages keep their role with `developer_role`
    (OpenAI's own API; any other server of this wire is sent a system message). Assistant
    text is sent as ``output_text`` (a refusal as text after it: `refusal_as_text`), the
    assistant's tool calls as ``function_call`` items and tool results as
    ``function_call_output`` items.
    Function tools are sent with ``"strict": false`` unless `ToolSpec.strict` is true: left
    out, the API makes them strict, which turns optional parameters into required ones
    (function calling guide, "Strict mode", read 2026-12). An image's ``detail`` defaults
    to ``"auto"``. `Request.max_tokens` becomes ``max_output_tokens``. The Responses
    API has no ``stop`` and no ``seed``: `Request.stop` and `Request.seed` are not sent.
    `Request.response_format` becomes ``text.format``, `Request.reasoning` ``reasoning.effort``.
    `Request.openai_params` go to their Responses names (`RESPONSES_PARAMS`). `Request.extra`
    is merged last.

    Raises:
        ValueError: `Request.reasoning` with a token budget and no effort: the Responses API
            takes only ``reasoning.effort``; an OpenAI parameter it has no equivalent of.
    """
    messages = request.messages
    body: dict[str, Any] = {"model": model}
    first = messages[0]
    if first.role == "system" and isinstance(first.content, str):
        body["instructions"] = first.content
        messages = messages[1:]
    body["input"] = [
        item for message in messages for item in _items(message, developer_role=developer_role)
    ]
    body["stream"] = True
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
                "strict": bool(tool.strict),
            }
            for tool in request.tools
        ]
    if request.tool_choice is not None:
        choice = request.tool_choice
        body["tool_choice"] = (
            choice
            if choice in ("auto", "none", "required")
            else {"type": "function", "name": choice}
        )
    options = {
        "temperature": request.temperature,
        "max_output_tokens": request.max_tokens,
        "top_p": request.top_p,
    }
    body.update((key, value) for key, value in options.items() if value is not None)
    if request.response_format is not None:
        body["text"] = {"format": _text_format(request.response_format)}
    if request.reasoning is not None:
        body["reasoning"] = {"effort": request.reasoning.require_effort("OpenAI Responses")}
    apply_params(body, request.openai_params, RESPONSES_PARAMS, api="OpenAI Responses API")
    body.update(request.extra)
    return body
