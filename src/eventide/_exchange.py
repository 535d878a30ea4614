"""What an error keeps of its HTTP exchange: the request, and the response of a refusal.

`ErrorRequest` and `ErrorResponse` are read-only values with the attribute names that code
written for the openai SDK reads on ``e.request`` and ``e.response`` (``method``, ``url``,
``headers``, ``status_code``, ``text``, ``json()``...). They are built once, when the error
is raised, with every secret already gone: a credential header's value (``authorization``,
``api-key``, ``x-api-key``, ``x-goog-api-key``, cookies...) is ``[redacted]``, a credential
in the URL's query or user part too, and each key the provider sends is replaced wherever
the server echoed it (headers, body). The body is the first `MAX_ERROR_BODY` bytes, as read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, final
from urllib.parse import unquote, urlsplit, urlunsplit

import attrs

from ._secrets import REDACTED, is_credential

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._secrets import Redactor
    from ._transport import HTTPRequest

__all__ = ["ErrorRequest", "ErrorResponse", "ResponseHeaders", "error_request", "error_response"]


@final
class ResponseHeaders(Mapping[str, str]):
    """Headers, read-only: names are lower-case, and a lookup finds a name in any case
    (``headers["X-Request-ID"]``, ``headers.get("x-request-id")``).

    Args:
        headers: The headers as the transport gave them (copied, names lower-cased).
    """

    __slots__ = ("_items",)

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._items = {name.lower(): value for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        try:
            return self._items[name.lower()]
        except AttributeError:  # not a string: no such header
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ResponseHeaders({self._items!r})"


@final
@attrs.frozen
class ErrorRequest:
    """The request an error came from, secrets redacted (``e.request``).

    Attributes:
        method: ``"POST"``, ``"GET"``, ...
        url: The absolute URL, as text.
        headers: The request's headers.
    """

    method: str
    url: str
    headers: ResponseHeaders = attrs.field(eq=False)


@final
@attrs.frozen
class ErrorResponse:
    """The response of a refused request, secrets redacted (``e.response``).

    Attributes:
        status_code: The HTTP status.
        headers: The response's headers.
        text: The body as text (its first 64 KiB).
        request: The request it answered.
    """

    status_code: int
    headers: ResponseHeaders = attrs.field(eq=False)
    text: str = attrs.field(repr=False)
    request: ErrorRequest

    @property
    def url(self) -> str:
        """The request's URL."""
        return self.request.url

    @property
    def content(self) -> bytes:
        """The body as UTF-8 bytes."""
        return self.text.encode()

    def json(self) -> Any:
        """The body decoded as JSON.

        Raises:
            ValueError: It is not JSON.
        """
        return json.loads(self.text)


def error_request(request: HTTPRequest, redactor: Redactor) -> ErrorRequest:
    """`request` as an error keeps it: no credential left in its URL or headers."""
    return ErrorRequest(
        request.method, _safe_url(request.url, redactor), _safe_headers(request.headers, redactor)
    )


def error_response(
    request: ErrorRequest,
    *,
    status: int,
    headers: Mapping[str, str],
    text: str,
    redactor: Redactor,
) -> ErrorResponse:
    """A refused response as an error keeps it: no secret left in its headers or body."""
    return ErrorResponse(
        status, _safe_headers(headers.items(), redactor), redactor.text(text), request
    )


def _safe_headers(headers: Iterable[tuple[str, str]], redactor: Redactor) -> ResponseHeaders:
    return ResponseHeaders(
        (name, REDACTED if is_credential(name) else redactor.text(value)) for name, value in headers
    )


def _safe_url(url: str, redactor: Redactor) -> str:
    """`url` with its user part and credential query values redacted
    (``?key=...``), then every known secret replaced."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host: either part may be the credential
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = "&".join(
        f"{pair.partition('=')[0]}={REDACTED}"
        if is_credential(unquote(pair.partition("=")[0]))
        else pair
        for pair in parts.query.split("&")
    )
    return redactor.text(urlunsplit(parts._replace(netloc=netloc, query=query)))
