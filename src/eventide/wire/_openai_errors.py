"""The typed errors of OpenAI's APIs: Chat Completions error bodies and payloads (which most
compatible servers copy), and the Responses API's in-stream ``error`` and ``response.failed``
events. The rules every API shares are in `error_from_payload`.
"""

from __future__ import annotations

import json
from typing import Any, Final

from .._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OverloadedError,
    ProviderError,
    RateLimitError,
    ServerError,
    provider_error_for_status,
)
from ._error_payload import error_from_payload

__all__ = ["openai_error", "openai_responses_error"]


def openai_error(
    payload: Any,
    *,
    status_code: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
) -> ProviderError:
    """The typed error for an OpenAI-style error payload (``{"error": {...}}``) or body.

    Args:
        payload: The decoded JSON body, or None when the body was not JSON.
        status_code: The HTTP status, if the payload came with one.
        retry_after: Seconds from a Retry-After header, if any.
        raw: The body text, for the excerpt.
    """
    error = payload.get("error") if isinstance(payload, dict) else None
    raw_code = error.get("code") if isinstance(error, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    code = str(raw_code) if isinstance(raw_code, str) else (str(kind) if kind else None)
    hint = (code or "").lower()
    by_code: type[ProviderError] | None = None
    if "rate_limit" in hint or hint == "insufficient_quota":
        by_code = RateLimitError
    elif "overloaded" in hint:
        by_code = provider_error_for_status(529)
    server = hint in ("server_error", "internal_error")
    return error_from_payload(
        payload,
        status_code=status_code,
        retry_after=retry_after,
        raw=raw,
        code=code,
        named_status=raw_code,  # OpenRouter, vLLM: the upstream status rides in "code"
        by_code=by_code,
        fallback=provider_error_for_status(500) if server else ProviderError,
        retryable=False if hint == "insufficient_quota" else None,  # out of credit
    )


# In-stream error codes (`ResponseError.code` in the API reference, plus the codes of the
# HTTP error bodies that gateways forward into the stream), by the error class they mean.
_BAD_REQUEST_CODES: Final = frozenset(
    {
        "invalid_prompt",
        "invalid_request_error",
        "context_length_exceeded",
        "bio_policy",
        "data_residency_mismatch",
        "empty_image_file",
        "failed_to_download_image",
        "unsupported_image_media_type",
    }
)
_SERVER_CODES: Final = frozenset({"server_error", "internal_error", "vector_store_timeout"})
_AUTH_CODES: Final = frozenset({"invalid_api_key", "authentication_error", "permission_error"})
_NOT_FOUND_CODES: Final = frozenset({"model_not_found", "not_found_error"})
_RATE_LIMIT_CODES: Final = frozenset({"too_many_requests", "insufficient_quota"})


def _stream_error_class(hints: list[str]) -> type[ProviderError] | None:
    for hint in hints:
        if "rate_limit" in hint or hint in _RATE_LIMIT_CODES:
            return RateLimitError
        if "overloaded" in hint:
            return OverloadedError
        if hint in _SERVER_CODES:
            return ServerError
        if hint in _AUTH_CODES:
            return AuthenticationError
        if hint in _NOT_FOUND_CODES:
            return NotFoundError
        if hint in _BAD_REQUEST_CODES or hint.startswith(("invalid_", "image_")):
            return BadRequestError
    return None


def _text_field(*sources: Any, key: str) -> str | None:
    """The first non-empty string under `key` in the mappings among `sources`."""
    for source in sources:
        if isinstance(source, dict):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _stream_error(
    payload: dict[str, Any], status_code: int | None, retry_after: float | None, raw: str
) -> ProviderError:
    nested: Any = None
    default_cls: type[ProviderError] = ProviderError
    if payload.get("type") == "response.failed":
        response = payload.get("response")
        error: Any = response.get("error") if isinstance(response, dict) else None
        if isinstance(error, dict):  # the body excerpt shows the error, not the response
            raw = json.dumps(error, ensure_ascii=False, separators=(",", ":"))
        else:
            error = {}
            default_cls = ServerError  # failed, and no word why: the server's failure
        fallback = "the response failed"
    else:
        error = payload
        nested = payload.get("error")
        fallback = "the stream carried an error event"
    code = _text_field(error, nested, key="code")
    kind = _text_field(nested, key="type")  # an error object's "type", when nested
    message = _text_field(error, nested, key="message") or (
        f"{fallback}: {code or kind}" if code or kind else fallback
    )
    status = status_code if status_code != 200 else None
    for source in (error, nested):
        value = source.get("status") if isinstance(source, dict) else None
        if status is None and isinstance(value, int) and 400 <= value <= 599:
            status = value
    hints = [hint.lower() for hint in (code, kind) if hint]
    return error_from_payload(
        payload,
        retry_after=retry_after,
        raw=raw,
        code=code or kind,
        named_status=status,
        by_code=_stream_error_class(hints),
        fallback=default_cls,
        message=message,
        retryable=False if "insufficient_quota" in hints else None,  # out of credit
    )


def openai_responses_error(
    payload: Any,
    *,
    status_code: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
) -> ProviderError:
    """The typed error for a Responses API error: an in-stream ``error`` or
    ``response.failed`` event, or an HTTP error body (``{"error": {...}}``, as Chat
    Completions: `openai_error` reads those).

    In-stream codes map onto the error classes: ``server_error`` -> `ServerError`,
    ``rate_limit_exceeded`` -> `RateLimitError`, ``invalid_prompt`` and the image codes ->
    `BadRequestError`, and so on; an unknown code falls back on the HTTP status, if any.

    Args:
        payload: The decoded JSON, or None when the body was not JSON.
        status_code: The HTTP status, if the payload came with one.
        retry_after: Seconds from a Retry-After header, if any.
        raw: The body or event text, for the excerpt.
    """
    if isinstance(payload, dict) and payload.get("type") in ("error", "response.failed"):
        return _stream_error(payload, status_code, retry_after, raw)
    return openai_error(payload, status_code=status_code, retry_after=retry_after, raw=raw)
