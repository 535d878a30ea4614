"""`HTTPProvider`: what every HTTP provider shares. A provider module only says what differs,
as class attributes (its environment variables, defaults, endpoint path, decoder, body builder
and error function) and, where its API needs it, `_auth` or `_url`."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict
from urllib.parse import urlencode, urlsplit, urlunsplit

import anyio

from .._errors import AuthenticationError, Error, ProtocolError, RequestError, StreamTimeout
from .._http_source import HTTPSource
from .._request import Request, as_request
from .._resource import AsyncResource
from .._secrets import Redactor, check_key, is_credential, secret_headers
from .._stream import EventStream
from .._timeouts import Timeouts
from .._transport import USER_AGENT, HTTPRequest, Refusal, read_at_most, transport_slot
from .._validate import check_positive_int
from ..wire._sse import DEFAULT_MAX_EVENT_BYTES
from ._keys import check_key_host

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .._transport import ErrorFactory, HTTPClientOption, Transport
    from ..wire import Decoder, StreamDecoder

__all__ = ["HTTPProvider", "ProviderOptions", "join_url"]


def join_url(base_url: str, path: str, query: str = "") -> str:
    """`path` appended to the path of `base_url`, keeping the base's query string (Azure's
    ``?api-version=...``) and adding `query` to it."""
    parts = urlsplit(base_url)
    queries = "&".join(q for q in (parts.query, query) if q)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path, query=queries))


# json.dumps with options makes a new encoder per call: one, made once, does the same.
_JSON_BODY = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DEFAULT_TIMEOUTS = Timeouts()  # frozen: one value serves every provider given none


def _environment(names: tuple[str, ...]) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


class ProviderOptions(TypedDict, total=False):
    """The keyword options every `HTTPProvider` takes, for a subclass that adds its own and
    passes the rest on: ``**options: Unpack[ProviderOptions]`` (a test keeps it equal to the
    constructor's)."""

    base_url: str | None
    api_key: str | None
    model: str | None
    name: str | None
    http_client: HTTPClientOption
    transport: Transport | None
    headers: Mapping[str, str] | None
    query: Mapping[str, str] | None
    timeouts: Timeouts | None
    max_event_bytes: int


class HTTPProvider(AsyncResource):
    """The shared part of the providers that stream over HTTP. Not public: subclass it inside
    `eventide.providers` and mark the subclass `@final`.

    Every provider takes the same keyword-only options; each falls back to the provider's
    environment variables, read once, in the constructor:

    Args:
        base_url: The API root. Default: the first of `base_url_env` that is set, else
            `default_base_url`.
        api_key: The key, sent as `_auth` says. Default: the first of `key_env` that is
            set; with none, no key is sent (a local server needs none; the provider's own
            API, `official_host`, fails before anything is sent).
        model: The model used when the request names none. Default: `model_env`, else
            `default_model`.
        name: The provider name reported in `Metadata` and errors.
        http_client: An `httpx.AsyncClient` to send through (proxies, custom transports,
            tests), which stays yours to close; or a function that makes one on first use,
            closed by `aclose()`. Default: eventide's own transport, made on first use.
        transport: A `Transport` to send through instead (the caller's to close).
        headers: Extra request headers.
        query: Extra URL query parameters, added to every request URL (after the base
            URL's own, such as Azure's ``api-version``).
        timeouts: Default time budgets of every stream (override per call).
        max_event_bytes: The longest event (server-sent event line or data, NDJSON line).

    Nothing is sent until a stream is read. The API key never appears in the repr, in
    errors or in logs.

    Raises:
        ConfigurationError: The key surely belongs to another provider than the official API
            the base URL points at (an Anthropic key for api.openai.com, ...).
        ValueError: A key or credential header that cannot be sent (whitespace, ...).
    """

    default_name: ClassVar[str]
    default_base_url: ClassVar[str]
    default_model: ClassVar[str]
    base_url_env: ClassVar[tuple[str, ...]] = ()
    key_env: ClassVar[tuple[str, ...]] = ()
    model_env: ClassVar[tuple[str, ...]] = ()
    path: ClassVar[str] = ""
    """Appended to the base URL's path for every request (see `_url`)."""
    decoder: ClassVar[type[StreamDecoder]]
    body: ClassVar[Callable[..., dict[str, Any]]]
    """The wire module's body builder, as a staticmethod: ``body(request, model=...)``, with
    `_body_options` as more keywords."""
    error_factory: ClassVar[ErrorFactory]
    """The wire module's typed-error function, as a staticmethod."""
    metadata_headers: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Response headers kept in `Metadata.extra`: (header, key) pairs."""
    official_host: ClassVar[str | None] = None
    missing_key: ClassVar[str] = ""
    """What to do when `official_host` is asked without a key, for the error message."""

    fixed_headers: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Headers every request of this API carries (``headers=`` may override them)."""
    content_type: ClassVar[str] = "application/json"
    accept: ClassVar[str] = "text/event-stream"
    reject_content_types: ClassVar[tuple[str, ...]] = ("text/html", "application/json")
    models_path: ClassVar[str] = "/models"
    """Appended to the base URL's path to list the models (`list_models`)."""
    models_field: ClassVar[tuple[str, str]] = ("data", "id")
    """Where the model names are in that answer: the list's key, and each item's name key."""
    models_query: ClassVar[str] = ""
    """Query parameters of that request (the largest page, where the API pages)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        name: str | None = None,
        http_client: HTTPClientOption = None,
        transport: Transport | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        key = api_key if api_key is not None else _environment(self.key_env)
        self._secret = key or None
        self._name = name or self.default_name
        given = [value for name, value in (headers or {}).items() if is_credential(name)]
        for secret in ([key] if key else []) + given:  # as given: a newline is a fault too
            check_key(secret, provider=self._name)
        self.base_url = self._base_url(
            base_url or _environment(self.base_url_env) or self.default_base_url
        )
        if key:
            check_key_host(key, self.base_url, provider=self._name)
        self._query = urlencode(dict(query or {}))
        self._endpoint: tuple[str, str] | None = None  # the base URL, and `_url`'s answer
        self.model = model or _environment(self.model_env) or self.default_model
        self._transport = transport_slot(http_client, transport)
        self._refusal = Refusal(
            self._name, self.error_factory, reject_content_types=self.reject_content_types
        )
        self._headers = {
            "user-agent": USER_AGENT,
            "accept": self.accept,
            "content-type": self.content_type,
            **dict(self.fixed_headers),
            **(self._auth(key) if key else {}),
            **(headers or {}),
        }
        self._header_pairs = tuple(self._headers.items())  # shared by every request's value
        self._redactor = Redactor(secret_headers(self._headers))
        self.timeouts = timeouts if timeouts is not None else _DEFAULT_TIMEOUTS
        self._max_event_bytes = check_positive_int("max_event_bytes", max_event_bytes)

    @property
    def name(self) -> str:
        """The provider name reported in `Metadata` and errors."""
        return self._name

    @property
    def has_key(self) -> bool:
        """Whether a key is configured (the key itself is never shown)."""
        return self._secret is not None

    def __repr__(self) -> str:
        key = "set" if self._secret else "unset"
        return (
            f"{type(self).__name__}(name={self._name!r}, base_url={self.base_url!r}, api_key={key})"
        )

    async def aclose(self) -> None:
        """Close the provider, and the HTTP client or transport it made (one passed in is
        left open). Streams asked of it afterwards raise `TransportClosed`."""
        await self._transport.aclose()

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events of the response to `request`. Does no I/O until the stream is read.

        Args:
            request: A `Request`, or a prompt string (one user message).
            model: Overrides the request's model and the provider's default.
            timeouts: Replaces the provider's `timeouts` for this stream.

        The request's own `Request.headers` go over the provider's (a credential among them
        is checked before any I/O and hidden in errors, like the provider's key), and its
        `Request.query` is added to the URL's query string.

        Raises:
            RequestError: The request cannot be written for this API (also a ValueError).
            AuthenticationError: A credential in the request's headers cannot be sent (a
                trailing newline, a control character...).
        """
        try:
            request = as_request(request, model=model)
            chosen = request.model or self.model
            body = _JSON_BODY.encode(self.body(request, model=chosen, **self._body_options()))
            content = body.encode()  # a lone surrogate cannot be: UnicodeEncodeError
        except ValueError as exc:  # a TypeError (a wrong type passed in) stays one
            raise RequestError(f"cannot send this request: {exc}", provider=self._name) from exc
        headers, redactor = self._request_headers(request)
        keyed = bool(request.headers) and any(map(is_credential, request.headers))  # its own key
        url = self._url(chosen)
        if request.query:
            url = join_url(url, "", urlencode(request.query))
        sent = HTTPRequest("POST", url, headers, content)
        return EventStream(
            HTTPSource(
                self._transport,
                sent,
                self._decoder,
                self._refusal,
                redactor,
                model=chosen,
                timeouts=timeouts if timeouts is not None else self.timeouts,
                failure=None if keyed else self._preflight(),
            )
        )

    async def list_models(self, *, timeout: float = 5.0) -> list[str]:
        """The model names the API lists (``GET`` its `models_path`), in its order; a name
        such as Gemini's ``models/gemini-2.5-flash`` without its ``models/``.

        Args:
            timeout: Seconds for the whole exchange.

        Raises:
            AuthenticationError: No key for the provider's own API (nothing is sent).
            ProviderError: The API answered with an error (its ``request`` and ``response``
                kept, secrets redacted, as a refused stream's).
            TransportError: The server cannot be reached; `StreamTimeout` after `timeout`.
            ProtocolError: The answer is not a model list.

        Cancellation:
            Safe to cancel: the response is closed.
        """
        failure = self._preflight()
        if failure is not None:
            raise failure
        headers = {**self._headers, "accept": "application/json"}
        del headers["content-type"]
        url = join_url(
            self.base_url,
            self.models_path,
            "&".join(q for q in (self.models_query, self._query) if q),
        )
        sent = HTTPRequest("GET", url, headers)
        try:
            with anyio.fail_after(timeout):
                response = await self._transport.open(sent, Timeouts.from_seconds(timeout))
                if not 200 <= response.status < 300:
                    raise await self._refusal.error(response, request=sent, redactor=self._redactor)
                try:
                    body = await read_at_most(response.chunks, 16 << 20)
                finally:
                    await response.aclose()
            return self._model_names(body)
        except TimeoutError:
            error: Error = StreamTimeout(
                f"no model list within {timeout} s", phase="total", timeout=timeout
            )
        except Error as exc:
            error = exc
        if error.provider is None:
            error.provider = self._name
        raise self._redactor.error(error) from None

    def _model_names(self, body: bytes) -> list[str]:
        """The names in a model list answer.

        Raises:
            ProtocolError: It is not one.
        """
        key, name = self.models_field
        try:
            items = json.loads(body)[key]
            return [str(item[name]).removeprefix("models/") for item in items]
        except (ValueError, TypeError, KeyError) as exc:
            raise ProtocolError(
                f"not a model list ({type(exc).__name__}: {exc})",
                excerpt=" ".join(body.decode("utf-8", "replace").split())[:200],
            ) from None

    def _request_headers(
        self, request: Request
    ) -> tuple[Mapping[str, str] | tuple[tuple[str, str], ...], Redactor]:
        """The headers of one request: the request's own over the provider's (a name in
        any case replaces the provider's), and the redactor that hides every secret in them
        and in the request's query.

        Raises:
            AuthenticationError: A credential in the request's headers cannot be sent.
        """
        if not request.headers and not request.query:
            return self._header_pairs, self._redactor
        own = request.headers
        for name, value in own.items():
            if is_credential(name):
                check_key(value, provider=self._name)  # as given: a newline is a fault too
        replaced = {name.lower() for name in own}
        headers = {
            **{
                name: value for name, value in self._headers.items() if name.lower() not in replaced
            },
            **own,
        }
        added = [
            *secret_headers(own),
            *(value for name, value in request.query.items() if is_credential(name)),
        ]
        if not added:
            return headers, self._redactor
        return headers, Redactor([*secret_headers(self._headers), *added])

    def _preflight(self) -> AuthenticationError | None:
        """The error that stops a request before it is sent: no key for the official API."""
        if self._secret or not self._official():
            return None
        return AuthenticationError(f"no API key: {self.missing_key}", provider=self._name)

    def _official(self) -> bool:
        """Whether the base URL is the API's own host, `official_host`, or one of its
        regional hosts (``eu.api.openai.com``: data residency); a trailing dot aside."""
        host = self.official_host
        if host is None:
            return False
        name = (urlsplit(self.base_url).hostname or "").rstrip(".")
        return name == host or name.endswith("." + host)

    def _body_options(self) -> Mapping[str, Any]:
        """The keyword arguments this provider adds to `body` (none by default)."""
        return {}

    @staticmethod
    def _base_url(value: str) -> str:
        """The base URL as given (a provider may normalise it)."""
        return value.rstrip("/")

    @staticmethod
    def _auth(key: str) -> dict[str, str]:
        """The headers that carry the key (default: a bearer token)."""
        return {"authorization": f"Bearer {key}"}

    def _url(self, model: str) -> str:
        """The request URL for `model` (default: `path` under the base URL, with `query`;
        joined once per base URL)."""
        base, endpoint = self._endpoint or (None, "")
        if base is not self.base_url:
            base = self.base_url
            endpoint = join_url(base, self.path, self._query)
            self._endpoint = (base, endpoint)
        return endpoint

    def _decoder_options(self) -> Mapping[str, Any]:
        """Options of this provider's own for its decoder's constructor (default: none)."""
        return {}

    def _decoder(self, headers: Mapping[str, str], model: str) -> Decoder:
        """The decoder of a response, given its headers."""
        extra = {key: headers[name] for name, key in self.metadata_headers if name in headers}
        return self.decoder(
            provider=self._name,
            requested_model=model,
            extra=extra,
            max_event_bytes=self._max_event_bytes,
            **self._decoder_options(),
        )
