"""`Refusal`: how a provider says no before its stream starts, decided in one place.

A response is refused when its status is not a success, or when a success comes with a
content type that is not a stream (an HTML page from a proxy, a JSON error object). The
error is the provider's typed one, built from a bounded excerpt of the body (the stream
redacts the key from it, as from every error); a redirect (3xx) is a `ProviderError` with
``code="redirect"`` that names its ``Location`` (never followed: the request carries the key).
A response's ``x-should-retry: true`` or ``false`` header decides the error's `retryable`
over its status, as the OpenAI and Anthropic SDKs obey it (``_base_client._should_retry``).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from .._errors import Error, ProtocolError, ProviderError
from .._exchange import error_request, error_response

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .._secrets import Redactor
    from ._base import HTTPRequest, Response

__all__ = ["MAX_ERROR_BODY", "ErrorFactory", "Refusal", "parse_retry_after", "read_at_most"]

MAX_ERROR_BODY: Final = 64 * 1024

ErrorFactory = Callable[..., ProviderError]
"""Builds a provider's typed error: ``factory(payload, status_code=, retry_after=, raw=)``."""


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``retry-after`` as seconds or an HTTP date.

    A number too large for a float (hundreds of digits) is an excessive wait, ``inf``, which
    no retry waits for; the words ``inf`` and ``nan`` are no wait at all (None), as the
    OpenAI SDK reads them (``_base_client._parse_retry_after_header``).
    """
    milliseconds = headers.get("retry-after-ms")
    if milliseconds and not _word(milliseconds):
        try:
            return max(float(milliseconds) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)  # hundreds of digits: inf
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _word(number: str) -> bool:
    """Whether `number` is one of the words `float` reads (``inf``, ``infinity``, ``nan``)."""
    return number.strip().lstrip("+-")[:3].lower() in ("inf", "nan")


@final
@attrs.frozen
class Refusal:
    """A provider's rule for responses that are not its stream, and the error it raises.

    Attributes:
        provider: The provider's name, set on every error.
        error_factory: The wire module's typed-error function.
        reject_content_types: Content-type prefixes refused even with a success status.
    """

    provider: str
    error_factory: ErrorFactory
    reject_content_types: tuple[str, ...] = ("text/html", "application/json")

    def refuses(self, response: Response) -> bool:
        """Whether `response` is not a stream to decode."""
        content_type = response.headers.get("content-type", "").lower()
        return not 200 <= response.status < 300 or content_type.startswith(
            self.reject_content_types
        )

    async def error(
        self,
        response: Response,
        *,
        request: HTTPRequest | None = None,
        redactor: Redactor | None = None,
    ) -> Error:
        """The error for a refused response; reads a bounded excerpt of it, then closes it.

        Args:
            response: The refused response.
            request: The request it answers: given with `redactor`, the error keeps both
                (``error.request``, and ``error.response`` on a `ProviderError`), every
                secret `redactor` knows and every credential header redacted.
            redactor: Hides the provider's secrets in what the error keeps.

        Cancellation:
            The response is closed whatever happens.
        """
        try:
            raw = (await read_at_most(response.chunks, MAX_ERROR_BODY)).decode("utf-8", "replace")
        finally:
            await response.aclose()
        try:
            payload: Any = json.loads(raw) if raw.lstrip().startswith(("{", "[")) else None
        except (ValueError, RecursionError):
            payload = None
        headers = response.headers
        retry_after = parse_retry_after(headers)
        error: Error
        if 300 <= response.status < 400:
            error = self._redirect(response.status, headers.get("location"), raw)
        elif not 200 <= response.status < 300:
            error = self.error_factory(
                payload, status_code=response.status, retry_after=retry_after, raw=raw
            )
        elif isinstance(payload, dict) and payload.get("error"):
            error = self.error_factory(payload, status_code=None, retry_after=retry_after, raw=raw)
        else:
            content_type = headers.get("content-type", "")
            error = ProtocolError(
                f"expected an event stream, got {content_type or 'no content type'}",
                excerpt=" ".join(raw.split())[:200],
            )
        error.provider = self.provider
        should_retry = headers.get("x-should-retry")  # compared exactly, as the SDKs do
        if should_retry in ("true", "false"):
            error.retryable = should_retry == "true"
        if request is not None and redactor is not None:
            sent = error.request = error_request(request, redactor)
            if isinstance(error, ProviderError):
                error.response = error_response(
                    sent, status=response.status, headers=headers, text=raw, redactor=redactor
                )
        return error

    def _redirect(self, status: int, location: str | None, raw: str) -> ProviderError:
        """A redirect is never followed: the request carries the key, and the new address
        may be another host's. The error names the status and where it points."""
        where = f"to {location[:300]!r}" if location else "without a Location header"
        return ProviderError(
            f"the endpoint answered {status} (a redirect) {where}; eventide does not follow "
            "redirects, so that the API key never goes to another host: use the new address "
            "as base_url if it is right",
            status_code=status,
            body=" ".join(raw.split())[:200],
            code="redirect",
        )


async def read_at_most(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """Up to `limit` bytes of a body; an error ends the reading, and what came is kept."""
    data = bytearray()
    with contextlib.suppress(Error):
        async for chunk in chunks:
            data += chunk
            if len(data) >= limit:
                break
    return bytes(data[:limit])
