"""One kit per HTTP API the providers speak: the provider, the body its server streams, and
what that body means. The shared fixtures (tests/conftest.py) and the tests that hold for every
provider (tests/providers/test_http.py) are written once against a `Kit`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, final

import attrs
import pytest

from eventide import Metadata, OverloadedError, ProviderError, ServerError, Usage
from eventide.providers import Anthropic, Gemini, Ollama, OpenAIChat, OpenAIResponses, Provider
from tests.http_server import openai_chunks, sse

WORDS = [f"word{i} " for i in range(200)]  # far more than the tests read before closing


@final
@attrs.frozen
class Kit:
    """One HTTP API as the tests drive it.

    Attributes:
        name: The provider's name, as `Metadata.provider` says it.
        make: The provider class.
        prefix: The base URL's path after the server's address.
        options: Constructor options of the kit's provider (the model, so that the
            environment never decides it; the key).
        body: A whole streaming response that answers these texts, one piece per text.
        lead: How many pieces of `body` come before the first text.
        metadata: The `Metadata` of every `body`.
        usage: The `Usage` of ``body(["Hello", ", ", "world"])``.
        raw_finish: The provider's own finish reason in `body`.
        path: The request path the provider sends to.
        auth: The header that carries the key, and its value.
        accept: The ``accept`` header the provider sends.
        truncated: What the error says (a regex) of a body that ends before its terminal
            event.
        error_body: A JSON error body: (status, code, message) -> bytes.
        mid_stream_error: An error the server sends after content, its class and attributes.
        headers: The response headers of `body`.
    """

    name: str
    make: Callable[..., Provider]
    prefix: str
    options: Mapping[str, str]
    body: Callable[[Sequence[str]], list[bytes]]
    lead: int
    metadata: Metadata
    usage: Usage
    raw_finish: str
    path: str
    auth: tuple[str, str]
    accept: str
    truncated: str
    error_body: Callable[[int, str, str], bytes]
    mid_stream_error: tuple[bytes, type[ProviderError], Mapping[str, object]]
    headers: tuple[tuple[str, str], ...] = (("content-type", "text/event-stream"),)

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The API key the kit's provider is made with."""
        return self.options["api_key"]

    def provider(self, url: str, **options: Any) -> Provider:
        """The kit's provider for a server at `url` (`options` override the kit's)."""
        return self.make(base_url=f"{url}{self.prefix}", **{**self.options, **options})

    def long(self) -> list[bytes]:
        """A response of 200 words: far more than the tests read before closing."""
        return self.body(WORDS)


def kit_fixture(kit: Kit) -> Callable[[], Kit]:
    """The `kit` fixture of a module about one provider: ``kit = kit_fixture(OLLAMA)``."""

    @pytest.fixture(name="kit")
    def fixture() -> Kit:
        return kit

    return fixture


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def typed_sse(payload: Mapping[str, Any]) -> bytes:
    """One server-sent event named for its payload's type, as Anthropic and OpenAI's Responses
    API frame them."""
    return f"event: {payload['type']}\ndata: {_dumps(payload)}\n\n".encode()


# -- OpenAI Chat Completions -----------------------------------------------------------------


def _openai_error(status: int, code: str, message: str) -> bytes:
    return _dumps({"error": {"message": message, "type": "x", "code": code}}).encode()


OPENAI = Kit(
    name="openai",
    make=OpenAIChat,
    prefix="/v1",
    options={"api_key": "sk-real-socket", "model": "gpt-4o-mini"},
    body=openai_chunks,
    lead=1,
    metadata=Metadata(
        provider="openai",
        model="gpt-4o-mini",
        requested_model="gpt-4o-mini",
        response_id="chatcmpl-BkRv7hQy3uTnZpXa2LcE9sWmD4fGj",
        extra={
            "created": 1750000000,
            "system_fingerprint": "fp_34a54ae93c",
            "service_tier": "default",
        },
    ),
    usage=Usage(12, 3, 15, cache_read_tokens=0, reasoning_tokens=0),
    raw_finish="stop",
    path="/v1/chat/completions",
    auth=("authorization", "Bearer sk-real-socket"),
    accept="text/event-stream",
    truncated=r"before \[DONE\]",
    error_body=_openai_error,
    mid_stream_error=(
        sse({"error": {"message": "upstream died", "type": "server_error", "code": None}}),
        ServerError,
        {"message": "upstream died"},
    ),
)

# -- OpenAI Responses ------------------------------------------------------------------------

RESPONSE_ID = "resp_68c0a1b2c3d48190a5b6c7d8e9f0a1b20c3d4e5f6a7b8c9d"
RESPONSES_MODEL = "gpt-4.1-mini-2025-04-14"
MSG = "msg_68c0a1b3d4e58190b6c7d8e9f0a1b2c30c3d4e5f6a7b8c9d"


def response(status: str, **fields: Any) -> dict[str, Any]:
    """A Responses API response object."""
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 1757000000,
        "status": status,
        "model": RESPONSES_MODEL,
        "output": [],
        "usage": None,
        **fields,
    }


def responses_event(kind: str, sequence: int, **fields: Any) -> bytes:
    """One Responses API event: its type, its sequence number and its fields."""
    return typed_sse({"type": kind, "sequence_number": sequence, **fields})


def opening() -> list[bytes]:
    """response.created, response.in_progress and an assistant message item opened."""
    item = {"id": MSG, "type": "message", "status": "in_progress", "role": "assistant"}
    return [
        responses_event("response.created", 0, response=response("in_progress")),
        responses_event("response.in_progress", 1, response=response("in_progress")),
        responses_event(
            "response.output_item.added", 2, output_index=0, item=item | {"content": []}
        ),
    ]


def responses_stream(texts: Sequence[str]) -> list[bytes]:
    """A complete Responses stream answering `texts`, one SSE event per piece."""
    usage = {
        "input_tokens": 21,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": len(texts),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 21 + len(texts),
    }
    whole = "".join(texts)
    content = [{"type": "output_text", "text": whole, "annotations": []}]
    item: dict[str, Any] = {"id": MSG, "type": "message", "status": "completed"}
    item |= {"role": "assistant", "content": content}
    n = 3 + len(texts)
    place = {"item_id": MSG, "output_index": 0, "content_index": 0}
    return [
        *opening(),
        *(
            responses_event("response.output_text.delta", 3 + i, **place, delta=text, logprobs=[])
            for i, text in enumerate(texts)
        ),
        responses_event("response.output_text.done", n, **place, text=whole),
        responses_event("response.output_item.done", n + 1, output_index=0, item=item),
        responses_event(
            "response.completed", n + 2, response=response("completed", output=[item], usage=usage)
        ),
    ]


OPENAI_RESPONSES = attrs.evolve(
    OPENAI,
    name="openai-responses",
    make=OpenAIResponses,
    options={"api_key": "sk-responses-real-socket", "model": "gpt-4o-mini"},
    body=responses_stream,
    lead=3,
    headers=(("content-type", "text/event-stream"), ("x-request-id", "req_7f3e2a1b")),
    metadata=Metadata(
        provider="openai-responses",
        model=RESPONSES_MODEL,
        requested_model="gpt-4o-mini",
        response_id=RESPONSE_ID,
        extra={"request_id": "req_7f3e2a1b"},
    ),
    usage=Usage(21, 3, 24, cache_read_tokens=0, reasoning_tokens=0),
    raw_finish="completed",
    path="/v1/responses",
    auth=("authorization", "Bearer sk-responses-real-socket"),
    truncated=r"before response\.completed",
    mid_stream_error=(
        responses_event(
            "response.failed",
            6,
            response=response(
                "failed",
                error={
                    "code": "server_error",
                    "message": "An error occurred while processing your request.",
                },
            ),
        ),
        ServerError,
        {"code": "server_error", "message": "An error occurred while processing your request."},
    ),
)

# -- Anthropic Messages ----------------------------------------------------------------------

ANTHROPIC_MODEL = "claude-sonnet-4-5-20250929"


def message_start(input_tokens: int = 21) -> bytes:
    """The message_start event of an Anthropic stream."""
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 1,
    }
    message: dict[str, Any] = {
        "id": "msg_01RealSocket",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return typed_sse({"type": "message_start", "message": message})


def ending(stop_reason: str, output_tokens: int) -> list[bytes]:
    """message_delta with the stop reason and usage, then message_stop."""
    delta = {"stop_reason": stop_reason, "stop_sequence": None}
    return [
        typed_sse(
            {"type": "message_delta", "delta": delta, "usage": {"output_tokens": output_tokens}}
        ),
        typed_sse({"type": "message_stop"}),
    ]


def block_delta(delta: Mapping[str, Any]) -> bytes:
    """A content_block_delta event of the first block."""
    return typed_sse({"type": "content_block_delta", "index": 0, "delta": delta})


def anthropic_stream(texts: Sequence[str]) -> list[bytes]:
    """A whole text response, one SSE event per piece (output tokens: one per text)."""
    block = {"type": "text", "text": ""}
    return [
        message_start(),
        typed_sse({"type": "content_block_start", "index": 0, "content_block": block}),
        typed_sse({"type": "ping"}),
        *(block_delta({"type": "text_delta", "text": text}) for text in texts),
        typed_sse({"type": "content_block_stop", "index": 0}),
        *ending("end_turn", len(texts)),
    ]


def _anthropic_error(status: int, code: str, message: str) -> bytes:
    return _dumps({"type": "error", "error": {"type": code, "message": message}}).encode()


ANTHROPIC = Kit(
    name="anthropic",
    make=Anthropic,
    prefix="",
    options={"api_key": "sk-ant-api03-real-socket-secret", "model": "claude-sonnet-4-5"},
    body=anthropic_stream,
    lead=3,
    headers=(("content-type", "text/event-stream; charset=utf-8"), ("request-id", "req_0451")),
    metadata=Metadata(
        provider="anthropic",
        model=ANTHROPIC_MODEL,
        requested_model="claude-sonnet-4-5",
        response_id="msg_01RealSocket",
        extra={"request_id": "req_0451"},
    ),
    usage=Usage(21, 3, 24, cache_read_tokens=0, cache_write_tokens=0),
    raw_finish="end_turn",
    path="/v1/messages",
    auth=("x-api-key", "sk-ant-api03-real-socket-secret"),
    accept="text/event-stream",
    truncated="ended before message_stop",
    error_body=_anthropic_error,
    mid_stream_error=(
        b"event: error\n"
        b'data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}'
        b"\n\n",
        OverloadedError,
        {"code": "overloaded_error", "status_code": None},  # a 200: not a status error
    ),
)

# -- Gemini ----------------------------------------------------------------------------------

GEMINI_MODEL = "gemini-2.5-flash"
GEMINI_SERVED = "gemini-2.5-flash-001"


def gemini_event(payload: Mapping[str, Any]) -> bytes:
    """One Gemini server-sent event, CRLF-framed as the Gemini API sends it."""
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\r\n\r\n"


def gemini_stream(texts: Sequence[str]) -> list[bytes]:
    """A Gemini streaming body: one event per text, usage on each, the finish on the last."""
    pieces = []
    for number, text in enumerate(texts):
        last = number == len(texts) - 1
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
        usage: dict[str, Any] = {"promptTokenCount": 7}
        if last:
            candidate["finishReason"] = "STOP"
            usage["candidatesTokenCount"] = len(texts)
        usage["totalTokenCount"] = 7 + (len(texts) if last else 0)
        candidate["index"] = 0
        chunk = {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": GEMINI_SERVED,
            "responseId": "aBcDeFgHiJkLmNoPqRsTuVw",
        }
        pieces.append(gemini_event(chunk))
    return pieces


def _gemini_error(status: int, code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": status, "message": message, "status": code}}).encode()


GEMINI = Kit(
    name="gemini",
    make=Gemini,
    prefix="/v1beta",
    options={"api_key": "AIzaSyD-real-socket-test-key-0123456789", "model": GEMINI_MODEL},
    body=gemini_stream,
    lead=0,
    metadata=Metadata(
        provider="gemini",
        model=GEMINI_SERVED,
        requested_model=GEMINI_MODEL,
        response_id="aBcDeFgHiJkLmNoPqRsTuVw",
    ),
    usage=Usage(7, 3, 10),
    raw_finish="STOP",
    path=f"/v1beta/models/{GEMINI_MODEL}:streamGenerateContent?alt=sse",
    auth=("x-goog-api-key", "AIzaSyD-real-socket-test-key-0123456789"),
    accept="text/event-stream",
    truncated="truncated",
    error_body=_gemini_error,
    mid_stream_error=(
        gemini_event(
            {
                "error": {
                    "code": 500,
                    "message": "An internal error has occurred.",
                    "status": "INTERNAL",
                }
            }
        ),
        ServerError,
        {"status_code": 500, "code": "INTERNAL"},
    ),
)

# -- Ollama ----------------------------------------------------------------------------------


def ndjson(value: Mapping[str, Any]) -> bytes:
    """One NDJSON line as Ollama writes it (compact JSON, then LF)."""
    return _dumps(value).encode() + b"\n"


def ollama_stream(
    texts: Sequence[str], *, thinking: Sequence[str] = (), done: bool = True
) -> list[bytes]:
    """An Ollama /api/chat body, one line per piece: thinking lines, text lines, a done line."""
    head = {"model": "llama3.2", "created_at": "2026-08-03T09:14:02.5112Z"}

    def chunk(message: Mapping[str, Any]) -> bytes:
        return ndjson({**head, "message": {"role": "assistant", **message}, "done": False})

    pieces = [chunk({"content": "", "thinking": thought}) for thought in thinking]
    pieces.extend(chunk({"content": text}) for text in texts)
    if done:
        last = {
            **head,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 1337866917,
            "load_duration": 21580459,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 88316000,
            "eval_count": len(texts) + len(thinking),
            "eval_duration": 1226912000,
        }
        pieces.append(ndjson(last))
    return pieces


def _ollama_error(status: int, code: str, message: str) -> bytes:
    return _dumps({"error": message}).encode()


OLLAMA = Kit(
    name="ollama",
    make=Ollama,
    prefix="",
    options={"api_key": "ok-secret-123", "model": "llama3.2"},
    body=ollama_stream,
    lead=0,
    headers=(("content-type", "application/x-ndjson"),),
    metadata=Metadata(provider="ollama", model="llama3.2", requested_model="llama3.2"),
    usage=Usage(26, 3, 29),
    raw_finish="stop",
    path="/api/chat",
    auth=("authorization", "Bearer ok-secret-123"),
    accept="application/x-ndjson",
    truncated="before the done line",
    error_body=_ollama_error,
    mid_stream_error=(
        b'{"error":"an error was encountered while running the model"}\n',
        ServerError,
        {"message": "an error was encountered while running the model"},
    ),
)

KITS = (OPENAI, OPENAI_RESPONSES, ANTHROPIC, GEMINI, OLLAMA)
