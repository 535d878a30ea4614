"""OpenAI's Chat Completions dialect: ``POST /v1/chat/completions`` in, chunks or a
``chat.completion`` out.

The request is parsed by the client's own OpenAI parameter handling (`request_from_openai`),
so the gateway accepts and refuses what eventide's OpenAI-style client does, and more: the
options of the openai SDK that are never body fields (``extra_body``, ``extra_headers``,
``extra_query``, ``timeout``: a client's headers must not reach the upstream), a string for
``messages``, a message without ``content`` (only an assistant message with ``tool_calls``
may leave it out, as in OpenAI's reference), and a ``model`` with control characters. A
null ``model`` asks for the gateway's default one. A stream
is written with the OpenAI chat encoder (`ChatStreamEncoder`), a whole answer with the OpenAI
shapes (`ChatCompletion`): one encoding of each, shared with the library. A failure after
the head is OpenAI's in-band ``data: {"error": ...}`` frame, with no ``[DONE]``. When asked
(`include_attempts`), the first chunk carries a top-level ``attempts`` list beside
``provider``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, final

from .._events import Metadata, Usage
from ..client._params import include_usage, request_from_openai
from ..client._shapes import ChatCompletion
from ..wire import ChatStreamEncoder, ChatStyle
from ._asgi import HTTPProblem
from ._errors import error_body
from ._fields import checked_model
from ._provenance import attempt_list

if TYPE_CHECKING:
    from .._completion import Completion
    from .._events import Event
    from .._request import Request

__all__ = ["OpenAIChatDialect", "parse_chat"]


_SDK_OPTIONS: Final = frozenset({"extra_body", "extra_headers", "extra_query", "timeout"})
"""Arguments of the openai SDK's ``create`` that never go on the wire as body fields."""


def _check_messages(messages: object) -> None:
    """What `request_from_openai` lets its Python callers do and the API does not: a string
    for the list, a message without content."""
    if not isinstance(messages, list):
        raise TypeError("messages must be an array of message objects")
    for position, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("content") is not None:
            continue  # the client's parsing names what is wrong with a non-object
        if message.get("role") != "assistant" or not (
            message.get("tool_calls") or message.get("refusal")
        ):
            raise ValueError(
                f"messages[{position}]: content is required (only an assistant message "
                "with tool_calls or a refusal may leave it out)"
            )


def parse_chat(body: dict[str, Any], *, usage: bool = False) -> tuple[Request, bool, bool]:
    """The `Request` of a Chat Completions body, whether to stream, and whether to send the
    usage chunk (asked for, or `usage`).

    Raises:
        HTTPProblem: 400 for a body ``chat.completions.create`` would refuse, or one with
            an option of the openai SDK that is no body field (``extra_headers``...).
    """
    params = dict(body)
    stream = params.pop("stream", False)
    try:
        options = sorted(_SDK_OPTIONS.intersection(params))
        if options:
            raise TypeError(
                f"unknown parameter: {', '.join(options)} (an option of the openai SDK, "
                "never a field of the request body)"
            )
        if stream is not None and not isinstance(stream, bool):
            raise TypeError(f"stream must be a boolean, not {type(stream).__name__}")
        if "messages" not in params:
            raise ValueError("messages is required")
        if "model" not in params:
            raise ValueError("model is required (null: the gateway's default model)")
        checked_model(params, required=False)
        _check_messages(params["messages"])
        usage = include_usage(params.get("stream_options")) or usage
        request = request_from_openai(**params)
    except (TypeError, ValueError) as exc:
        raise HTTPProblem(400, str(exc), kind="invalid_request_error") from None
    return request, bool(stream), usage


@final
class OpenAIChatDialect:
    """Chat Completions on the wire: chunks with ``provider``, usage only when asked.

    Args:
        usage: Send the usage chunk.
        attempts: Put the failed attempts (``attempts``) on the first chunk.
    """

    __slots__ = ("_encoder", "_usage", "attempts")

    api = "chat"
    ping = b": ping\n\n"

    def __init__(self, *, usage: bool, attempts: bool = False) -> None:
        self._usage = usage
        self.attempts = attempts
        created = int(time.time())
        self._encoder = ChatStreamEncoder(style=ChatStyle(provider=True, created=created))

    def encode(self, event: Event) -> bytes:
        """The chunk bytes for one event (`ChatStreamEncoder`)."""
        if type(event) is Usage and not self._usage:
            return b""
        data = self._encoder.encode(event)
        if self.attempts and type(event) is Metadata:
            # The first chunk is one compact ``data: {...}`` frame (the style above): the
            # field goes in before its closing brace.
            field = json.dumps(attempt_list(event), separators=(",", ":")).encode()
            return data[:-3] + b',"attempts":' + field + data[-3:]
        return data

    def error_frame(self, problem: HTTPProblem) -> bytes:
        """``data: {"error": {...}}``: the openai SDK raises it as ``APIError``."""
        return b"data: " + json.dumps(error_body(problem)).encode() + b"\n\n"

    def error_body(self, problem: HTTPProblem) -> dict[str, Any]:
        """OpenAI's error body."""
        return error_body(problem)

    def whole(self, completion: Completion) -> dict[str, Any]:
        """The ``chat.completion`` object, with ``provider``."""
        shaped = ChatCompletion.from_completion(completion, created=int(time.time()))
        return shaped.to_dict()
