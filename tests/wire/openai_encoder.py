"""A test-only OpenAI Chat Completions stream encoder: the inverse of `OpenAIChatDecoder`.

It writes a `Script` (what the model "said": text, reasoning and tool-call pieces, usage and
a finish reason) as a chunk stream in the shape of the OpenAI API reference, "The chat
completion chunk object" (platform.openai.com/docs/api-reference/chat-streaming, read
2026-12), with the variations OpenAI-compatible servers add (`Framing`). The round-trip
property in test_openai_chat.py decodes what this writes and expects the script back.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeAlias, final

import attrs

from eventide import Usage

__all__ = ["CallSpec", "Framing", "Reasoning", "Script", "Step", "Text", "ToolPiece", "encode"]


@final
@attrs.frozen
class Text:
    """One ``delta.content`` piece (never empty: an empty piece carries no event)."""

    text: str


@final
@attrs.frozen
class Reasoning:
    """One ``delta.reasoning_content`` (or ``delta.reasoning``) piece, never empty."""

    text: str


@final
@attrs.frozen
class ToolPiece:
    """One fragment of tool call `index`'s arguments.

    The first fragment of a call also carries the call's id, type and name (and may be
    empty, as OpenAI's is); later fragments carry only the index and a non-empty piece.
    """

    index: int
    arguments: str


Step: TypeAlias = Text | Reasoning | ToolPiece


@final
@attrs.frozen
class CallSpec:
    """The id and function name of one tool call; `Script.calls[i]` is the call with index i."""

    id: str
    name: str


@final
@attrs.frozen
class Script:
    """What one streamed response carries, in the order the server sends it."""

    steps: tuple[Step, ...]
    calls: tuple[CallSpec, ...]
    usage: Usage | None
    finish_reason: str


@final
@attrs.frozen
class Framing:
    """How the script is put on the wire: the variations seen across compatible servers.

    Attributes:
        newline: The SSE line ending (LF, CRLF or CR).
        data_prefix: ``"data: "`` or ``"data:"`` (the space is optional in SSE).
        keepalive: Put an OpenRouter-style ``: OPENROUTER PROCESSING`` comment before events.
        multiline: Pretty-print each JSON object over several ``data:`` lines.
        ascii_only: Escape non-ASCII characters (``\\uXXXX``) instead of raw UTF-8.
        azure_placeholder: Start with Azure's placeholder chunk (empty model and choices).
        role_chunk: Start with a ``{"role": "assistant", "content": ""}`` delta.
        usage_mode: Usage in its own final chunk with empty choices (``include_usage``)
            or on the finish chunk (vLLM, Together, DeepSeek).
        null_usage: Put ``"usage": null`` on every chunk that carries no usage.
        reasoning_field: ``reasoning_content`` (DeepSeek, vLLM) or ``reasoning`` (OpenRouter).
        repeat_name: Repeat the function name and type in every tool-call fragment.
    """

    newline: str = "\n"
    data_prefix: str = "data: "
    keepalive: bool = False
    multiline: bool = False
    ascii_only: bool = True
    azure_placeholder: bool = False
    role_chunk: bool = True
    usage_mode: Literal["usage_chunk", "on_finish"] = "usage_chunk"
    null_usage: bool = False
    reasoning_field: Literal["reasoning_content", "reasoning"] = "reasoning_content"
    repeat_name: bool = False


def _usage_object(usage: Usage) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    if usage.input_tokens is not None:
        wire["prompt_tokens"] = usage.input_tokens
    if usage.output_tokens is not None:
        wire["completion_tokens"] = usage.output_tokens
    if usage.total_tokens is not None:
        wire["total_tokens"] = usage.total_tokens
    if usage.cached_tokens is not None:
        wire["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens, "audio_tokens": 0}
    if usage.reasoning_tokens is not None:
        wire["completion_tokens_details"] = {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
        }
    return wire


def _delta(step: Step, script: Script, framing: Framing, started: set[int]) -> dict[str, Any]:
    if isinstance(step, Text):
        return {"content": step.text}
    if isinstance(step, Reasoning):
        return {"content": None, framing.reasoning_field: step.text}
    first = step.index not in started
    started.add(step.index)
    call: dict[str, Any] = {"index": step.index}
    if first:
        call["id"] = script.calls[step.index].id
    if first or framing.repeat_name:
        call["type"] = "function"
        call["function"] = {"name": script.calls[step.index].name, "arguments": step.arguments}
    else:
        call["function"] = {"arguments": step.arguments}
    return {"tool_calls": [call]}


def encode(
    script: Script,
    *,
    framing: Framing,
    response_id: str,
    model: str,
    system_fingerprint: str | None = None,
) -> bytes:
    """The chunk stream for `script`, ``data: [DONE]`` included, as body bytes."""
    chunks: list[dict[str, Any]] = []

    def chunk(choices: list[dict[str, Any]], usage: Usage | None = None) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": response_id,
            "object": "chat.completion.chunk",
            "created": 1741569952,
            "model": model,
        }
        if system_fingerprint is not None:
            obj["system_fingerprint"] = system_fingerprint
        obj["choices"] = choices
        if usage is not None:
            obj["usage"] = _usage_object(usage)
        elif framing.null_usage:
            obj["usage"] = None
        return obj

    def choice(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}

    if framing.azure_placeholder:
        chunks.append(
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
            }
        )
    if framing.role_chunk:
        chunks.append(chunk([choice({"role": "assistant", "content": ""})]))
    started: set[int] = set()
    chunks.extend(chunk([choice(_delta(step, script, framing, started))]) for step in script.steps)
    on_finish = script.usage if framing.usage_mode == "on_finish" else None
    chunks.append(chunk([choice({}, script.finish_reason)], on_finish))
    if framing.usage_mode == "usage_chunk" and script.usage is not None:
        chunks.append(chunk([], script.usage))

    nl = framing.newline
    out: list[str] = []
    for obj in [*chunks, "[DONE]"]:
        if framing.keepalive:
            out.append(": OPENROUTER PROCESSING" + nl + nl)
        if isinstance(obj, str):
            lines = [obj]
        elif framing.multiline:
            lines = json.dumps(obj, indent=1, ensure_ascii=framing.ascii_only).split("\n")
        else:
            lines = [json.dumps(obj, separators=(",", ":"), ensure_ascii=framing.ascii_only)]
        out.extend(framing.data_prefix + line + nl for line in lines)
        out.append(nl)
    return "".join(out).encode("utf-8")
