"""Google Gemini, the request side: `Request` -> the ``streamGenerateContent`` request body.

From the Gemini API reference, "models.streamGenerateContent" and "Content"/"Part"
(ai.google.dev/api/generate-content, read 2026-12).

Structured output and thinking go in ``generationConfig`` ("GenerationConfig" and
"ThinkingConfig" in the same reference, and the "Structured output" and "Thinking" guides,
ai.google.dev/gemini-api/docs, read 2026-12): a `JSONSchema` becomes ``responseMimeType:
"application/json"`` with ``responseJsonSchema`` (the field that takes JSON Schema itself;
``responseSchema`` takes only an OpenAPI subset), JSON mode the MIME type alone. A
reasoning budget becomes ``thinkingConfig.thinkingBudget`` (Gemini 2.5 and 3), an effort
``thinkingConfig.thinkingLevel`` (Gemini 3). The API refuses both in one request, so a
budget, which every thinking model takes, wins over an effort.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any, Final

from .._request import SYSTEM_ROLES, ImagePart, TextPart, refusal_as_text
from ._json import loads
from ._params_body import GEMINI_PARAMS, apply_params, refuse_strict
from ._text import excerpt

if TYPE_CHECKING:
    from .._events import ToolCall
    from .._request import Message, ReasoningConfig, Request, ResponseFormat

__all__ = ["build_gemini_body"]

_loads = loads
# Gemini 3 models reject a replayed functionCall without the thoughtSignature the model sent
# with it ("Thought signatures", ai.google.dev/gemini-api/docs/thought-signatures, read
# 2026-12): each signature goes back on the very call it came with (`ToolCall.signature`; of
# parallel calls, only the first has one). A turn none of whose calls has a signature (made
# by another provider, or by hand) gets on its first call the dummy signature the same page
# documents for calls the model did not generate. Older models ignore both.
_SKIP_SIGNATURE: Final = "skip_thought_signature_validator"
_DATA_URL: Final = re.compile(r"data:([^;,]+);base64,(.*)", re.DOTALL)


def _image(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": part.data}}
    url = part.url or ""
    inline = _DATA_URL.fullmatch(url)
    if inline:  # a data: URL is inline data, not a file Gemini could fetch
        return {"inlineData": {"mimeType": inline.group(1), "data": inline.group(2)}}
    file: dict[str, Any] = {"fileUri": url}
    if part.media_type:
        file = {"mimeType": part.media_type, **file}
    return {"fileData": file}


def _parts(message: Message) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"text": message.content}]
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image(part))
    return parts


def _arguments(call: ToolCall) -> dict[str, Any]:
    if not call.arguments.strip():
        return {}
    try:
        value = _loads(call.arguments)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ValueError(
            f"tool call {call.id!r} ({call.name}): Gemini needs the arguments as a JSON "
            f"object, got {excerpt(call.arguments, 60)!r}"
        )
    return value


def _response(text: str) -> dict[str, Any]:
    """A tool result as a functionResponse ``response``: a JSON object as it is, anything
    else wrapped as ``{"result": text}``."""
    try:
        value = _loads(text)
    except (ValueError, RecursionError):
        value = None
    return value if isinstance(value, dict) else {"result": text}


def _assistant(message: Message) -> dict[str, Any]:
    parts = [part for part in _parts(refusal_as_text(message)) if part.get("text") != ""]
    # The signatures of text and thought parts: Gemini puts the last one on the last part of
    # a turn without function calls ("Thought signatures", ai.google.dev/gemini-api/docs/
    # thought-signatures, read 2026-12). The turn's text is one part here, so the last one
    # goes back on it (or on an empty part of its own), where Gemini reads it.
    signatures = [
        block.signature
        for block in message.reasoning
        if block.api == "gemini" and block.signature is not None
    ]
    if signatures and not message.tool_calls:
        if parts and "text" in parts[-1]:
            parts[-1]["thoughtSignature"] = signatures[-1]
        else:
            parts.append({"text": "", "thoughtSignature": signatures[-1]})
    signed = any(call.signature is not None for call in message.tool_calls)
    for number, call in enumerate(message.tool_calls):
        part: dict[str, Any] = {"functionCall": {"name": call.name, "args": _arguments(call)}}
        if call.signature is not None:
            part["thoughtSignature"] = call.signature
        elif number == 0 and not signed:  # the first call of a step carries its signature
            part["thoughtSignature"] = _SKIP_SIGNATURE
        parts.append(part)
    return {"role": "model", "parts": parts or [{"text": ""}]}


def _tool_config(choice: str) -> dict[str, Any]:
    if choice in ("auto", "none"):
        return {"functionCallingConfig": {"mode": choice.upper()}}
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}


def _declaration(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": name}
    if description:
        declaration["description"] = description
    # The API rejects an OBJECT schema without properties: a function without parameters
    # is declared without a schema.
    if parameters.get("type") != "object" or parameters.get("properties"):
        declaration["parameters"] = copy.deepcopy(parameters)
    return declaration


def _output_config(
    response_format: ResponseFormat | None, reasoning: ReasoningConfig | None
) -> dict[str, Any]:
    """The structured-output and thinking fields of ``generationConfig``."""
    config: dict[str, Any] = {}
    if response_format is not None:
        config["responseMimeType"] = "application/json"
        if response_format != "json":
            config["responseJsonSchema"] = copy.deepcopy(response_format.schema)
    if reasoning is not None:
        config["thinkingConfig"] = (
            {"thinkingBudget": reasoning.budget_tokens}
            if reasoning.budget_tokens is not None
            else {"thinkingLevel": reasoning.effort}
        )
    return config


def build_gemini_body(request: Request, *, model: str) -> dict[str, Any]:
    """The JSON body of a ``streamGenerateContent`` request (a new dict sharing nothing with
    `request`).

    System and developer messages become ``systemInstruction``; user turns are role
    ``user``, assistant turns role ``model`` (text, a refusal as text (`refusal_as_text`),
    then ``functionCall`` parts with ``args`` as an object);
    consecutive tool results become one ``user`` turn of ``functionResponse`` parts, each
    named after the function of the earlier call with the same id. `Request.response_format`
    and `Request.reasoning` go in ``generationConfig`` (module docstring), and so do most of
    `Request.openai_params` (`GEMINI_PARAMS`). `Request.extra` is merged last; an object in
    it (``generationConfig``, ...) is merged into the one built here rather than replacing
    it.

    Args:
        request: The request.
        model: The model; it goes in the URL, not in the body.

    Raises:
        ValueError: A tool call whose arguments are not a JSON object, a tool result
            whose call is not in the conversation (and that names no function), a strict
            tool, or an OpenAI parameter the API has no equivalent of.
    """
    refuse_strict(request.tools, api="Gemini API")
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    functions: dict[str, str] = {}  # tool call id -> function name
    results: list[dict[str, Any]] | None = None  # the open turn of tool results
    for message in request.messages:
        if message.role == "tool":
            name = functions.get(message.tool_call_id or "") or message.name
            if not name:
                raise ValueError(
                    f"tool result for {message.tool_call_id!r} answers no earlier tool call"
                )
            part = {"functionResponse": {"name": name, "response": _response(message.text)}}
            if results is None:
                results = [part]
                contents.append({"role": "user", "parts": results})
            else:
                results.append(part)
            continue
        results = None
        if message.role in SYSTEM_ROLES:
            system.append({"text": message.text})
        elif message.role == "assistant":
            functions.update((call.id, call.name) for call in message.tool_calls)
            contents.append(_assistant(message))
        else:
            contents.append({"role": "user", "parts": _parts(message)})

    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    if request.tools:
        body["tools"] = [
            {
                "functionDeclarations": [
                    _declaration(tool.name, tool.description, tool.parameters)
                    for tool in request.tools
                ]
            }
        ]
    if request.tool_choice is not None:
        body["toolConfig"] = _tool_config(request.tool_choice)
    options = {
        "temperature": request.temperature,
        "maxOutputTokens": request.max_tokens,
        "topP": request.top_p,
        "stopSequences": list(request.stop) if request.stop else None,
        "seed": request.seed,
    }
    config = {key: value for key, value in options.items() if value is not None}
    config.update(_output_config(request.response_format, request.reasoning))
    if config:
        body["generationConfig"] = config
    apply_params(body, request.openai_params, GEMINI_PARAMS, api="Gemini API")
    for key, value in copy.deepcopy(request.extra).items():
        current = body.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            body[key] = {**current, **value}
        else:
            body[key] = value
    return body
