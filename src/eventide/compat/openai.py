"""The OpenAI Python SDK's names, on eventide: change the import, keep the code.

    from eventide.compat.openai import OpenAI      # was: from openai import OpenAI
    import eventide.compat.openai as openai         # was: import openai

`OpenAI` and `AsyncOpenAI` take the SDK's constructor arguments and read the same
environment variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``,
``OPENAI_PROJECT_ID``); ``client.chat.completions.create(...)`` is eventide's, over the
provider ``"openai"`` (any OpenAI-compatible Chat Completions server). The exception names
code catches are eventide's own classes under the SDK's names, so ``except
RateLimitError`` catches what eventide raises for a 429, and ``except eventide.Error``
still catches everything. Resources eventide does not offer (embeddings, images, files,
audio, responses, ...) are absent: mypy reports their use, and at run time the attribute
error names the scope. docs/porting.md has the table of every name.

Why wrapper classes rather than subclasses of `eventide.Client` or factory functions: the
eventide clients are final, a factory function cannot be an annotation (``client: OpenAI``)
nor an ``isinstance`` target, and a class of its own can mirror the SDK's constructor,
attributes and ``with_options`` exactly while its ``chat`` is the eventide client's, with
the same precise types (``stream=True`` gives a stream of chunks, ``stream=False`` a
`ChatCompletion`). The eventide client is ``client.eventide`` (``stream()``,
``complete()``, ``first_metadata()``, ``batch()``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol, Self, TypedDict, Unpack, final

from .._errors import AuthenticationError as AuthenticationError
from .._errors import BadRequestError as BadRequestError
from .._errors import ConflictError as ConflictError
from .._errors import Error, ProviderError, ServerSideError, StreamTimeout, TransportError
from .._errors import NotFoundError as NotFoundError
from .._errors import PermissionDeniedError as PermissionDeniedError
from .._errors import RateLimitError as RateLimitError
from .._errors import UnprocessableEntityError as UnprocessableEntityError
from .._resource import AsyncResource
from .._timeouts import Timeouts
from ..client import AsyncClient, Client
from ..client._sync import close_when_collected

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

    from .._transport import HTTPClientOption

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncOpenAI",
    "AuthenticationError",
    "BadRequestError",
    "ClientOptions",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "OpenAI",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "TimeoutLike",
    "UnprocessableEntityError",
]

OpenAIError = Error
"""Every error eventide raises (the SDK's base class)."""
APIError = Error
"""Every error of a request: the provider's refusals, connection failures, timeouts,
unparsable or cut responses (the SDK's ``APIError`` and its ``APIResponseValidationError``)."""
APIStatusError = ProviderError
"""The provider said no: an HTTP error status (``status_code``), or an error payload in the
stream (``status_code`` None unless the payload names one). As in the SDK: ``request_id``,
``code``, ``param``, ``type``, ``request`` and ``response`` (read-only records with the SDK's
attribute names, secrets redacted; ``response`` is None for an error inside the stream);
``body`` is eventide's short text excerpt, the decoded body is ``response.json()``."""
APIConnectionError = TransportError
"""The connection failed (``e.__cause__`` is the underlying error); timeouts included.
``request`` is the request that failed (secrets redacted)."""
APITimeoutError = StreamTimeout
"""A time budget ran out (``phase`` says which); a kind of `APIConnectionError`."""
InternalServerError = ServerSideError
"""The provider failed on its side: 5xx (503 and 529 are its `OverloadedError`), 408, and
409 (`ConflictError`, retried as a server error)."""

_BASE_URL = "https://api.openai.com/v1"

_ABSENT = frozenset(
    {
        "admin",
        "audio",
        "batches",
        "beta",
        "completions",
        "containers",
        "content_provenance_checks",
        "conversations",
        "embeddings",
        "evals",
        "files",
        "fine_tuning",
        "images",
        "models",
        "moderations",
        "realtime",
        "responses",
        "skills",
        "uploads",
        "vector_stores",
        "videos",
        "webhooks",
    }
)
"""The SDK's resources other than ``chat``: eventide streams chat completions only."""


class TimeoutLike(Protocol):
    """What ``timeout=`` takes besides seconds and `eventide.Timeouts`: an object with the
    four HTTP budgets, such as ``httpx.Timeout(60.0, read=5.0, write=10.0, connect=2.0)``."""

    @property
    def connect(self) -> float | None: ...
    @property
    def read(self) -> float | None: ...
    @property
    def write(self) -> float | None: ...
    @property
    def pool(self) -> float | None: ...


class ClientOptions(TypedDict, total=False):
    """The SDK's constructor options, as `OpenAI.with_options` takes them (see `OpenAI`)."""

    api_key: str | None
    organization: str | None
    project: str | None
    base_url: str | None
    websocket_base_url: str | None
    timeout: float | Timeouts | TimeoutLike | None
    max_retries: int
    default_headers: Mapping[str, str] | None
    default_query: Mapping[str, object] | None
    http_client: HTTPClientOption


def _settings(options: ClientOptions) -> dict[str, Any]:
    """The eventide client's arguments for the SDK's `options`, the environment filling in
    what they leave out, as the SDK does.

    Raises:
        Error: No API key: neither ``api_key=`` nor ``OPENAI_API_KEY`` (as the SDK).
        TypeError: An argument the SDK's client does not take, or that eventide does not
            (``webhook_secret``, ...); a ``timeout`` that is neither seconds, `Timeouts` nor
            `TimeoutLike`.
    """
    unknown = sorted(set(options) - ClientOptions.__optional_keys__)
    if unknown:
        raise TypeError(
            f"unexpected keyword arguments: {', '.join(unknown)} (eventide.compat.openai "
            "takes the SDK's chat client options only: docs/porting.md)"
        )
    api_key = options.get("api_key") or os.environ.get("OPENAI_API_KEY")
    if not api_key:
        raise Error(
            "Missing credentials. Please pass an `api_key`, or set the `OPENAI_API_KEY` "
            "environment variable."
        )
    base_url = options.get("base_url") or os.environ.get("OPENAI_BASE_URL") or _BASE_URL
    timeout = options.get("timeout")
    if timeout is not None and not isinstance(timeout, int | float | Timeouts):
        if not all(hasattr(timeout, name) for name in ("connect", "read", "write", "pool")):
            raise TypeError(
                f"timeout must be seconds, an eventide.Timeouts or an httpx.Timeout, not "
                f"{type(timeout).__name__}"
            )
        timeout = Timeouts(
            connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
        )
    return {
        "api_key": api_key,
        "base_url": base_url,
        "organization": options.get("organization") or os.environ.get("OPENAI_ORG_ID"),
        "project": options.get("project") or os.environ.get("OPENAI_PROJECT_ID"),
        "timeout": timeout,
        "max_retries": options.get("max_retries", 2),
        "default_headers": options.get("default_headers"),
        "default_query": options.get("default_query"),
        "http_client": options.get("http_client"),
    }


def _freeze(value: object) -> object:
    """A hashable stand-in for an option's value (its identity, if nothing else)."""
    if isinstance(value, dict):
        return tuple(sorted((str(key), _freeze(item)) for key, item in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


class _Base:
    """What both clients share: the SDK's options and attributes, and the absent resources."""

    def __init__(self, options: ClientOptions) -> None:
        settings = _settings(options)
        self._options = options
        self._copies: dict[object, Self] = {}
        self.api_key: str = settings["api_key"]
        self.base_url: str = settings["base_url"]
        self.organization: str | None = settings["organization"]
        self.project: str | None = settings["project"]
        self.websocket_base_url = options.get("websocket_base_url")
        self.timeout: float | Timeouts | None = settings["timeout"]
        self.max_retries: int = settings["max_retries"]
        self._settings = settings

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"  # never the key

    def _copy(self, changes: ClientOptions, make: Callable[[ClientOptions], Self]) -> Self:
        """The client `make` makes with `changes`, made once per set of changes (and closed
        with this one)."""
        key = tuple(sorted((name, _freeze(value)) for name, value in changes.items()))
        made = self._copies.get(key)
        if made is None:
            made = self._copies[key] = make(ClientOptions(**{**self._options, **changes}))
        return made

    if not TYPE_CHECKING:  # mypy reports these as absent; at run time, say why

        def __getattr__(self, name: str) -> Any:
            if name in _ABSENT:
                raise AttributeError(
                    f"{type(self).__name__} has no {name!r}: eventide implements the Chat "
                    "Completions API only (client.chat.completions); for the Responses API "
                    'use eventide.AsyncClient(provider="openai-responses"). See '
                    "docs/porting.md"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@final
class OpenAI(_Base):
    """The SDK's ``openai.OpenAI``: a synchronous client of the OpenAI Chat Completions API
    (or any compatible server), on `eventide.Client`.

    Args:
        api_key: The key. Default: ``OPENAI_API_KEY``; with neither, `OpenAIError`.
        organization: Sent as ``OpenAI-Organization``. Default: ``OPENAI_ORG_ID``.
        project: Sent as ``OpenAI-Project``. Default: ``OPENAI_PROJECT_ID``.
        base_url: The API root. Default: ``OPENAI_BASE_URL``, else the OpenAI API.
        websocket_base_url: Kept as an attribute; eventide opens no WebSocket (no Realtime).
        timeout: Seconds, an `eventide.Timeouts`, or an ``httpx.Timeout``-like object
            (`TimeoutLike`). Default: eventide's `Timeouts`.
        max_retries: Retries of a failed request (429, 5xx, connection errors), as the SDK.
        default_headers: Headers sent with every request.
        default_query: Query parameters added to every request URL.
        http_client: An ``httpx.AsyncClient`` (or a function that makes one) to send
            through; eventide drives it on the client's own event loop.

    ``client.chat.completions.create(...)`` is `eventide.Client`'s. Use it in ``with``, or
    call `close()`; like the SDK's client, one that is garbage-collected closes itself,
    quietly, once nothing can use it any more (``OpenAI().chat.completions.create(...)``
    works; a stream keeps it open until it is read or dropped).

    Raises:
        OpenAIError: No API key (``api_key=`` or ``OPENAI_API_KEY``).
    """

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        super().__init__(options)
        # as the SDK's, closed quietly once collected: once nothing can use it (this client,
        # its `chat`, a stream of it), not when this object alone goes
        client = close_when_collected(Client("openai", **self._settings))
        self.eventide = client
        """The `eventide.Client` behind this one."""
        self.chat = client.chat
        """``client.chat.completions.create(...)``: see `eventide.Client`."""

    def with_options(self, **changes: Unpack[ClientOptions]) -> OpenAI:
        """This client with some options changed (the SDK's ``with_options``/``copy``):
        ``client.with_options(max_retries=5).chat.completions.create(...)``. The copy is
        made once per set of changes and closed with this client."""
        return self._copy(changes, lambda options: OpenAI(**options))

    copy = with_options

    def close(self) -> None:
        """Close the connections (and those of the copies made by `with_options`)."""
        for made in self._copies.values():
            made.close()
        self.eventide.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@final
class AsyncOpenAI(_Base, AsyncResource):
    """The SDK's ``openai.AsyncOpenAI``: `OpenAI`'s arguments, on `eventide.AsyncClient`.

    ``await client.chat.completions.create(...)`` is `eventide.AsyncClient`'s. Use it in
    ``async with``, or ``await client.close()``.

    Raises:
        OpenAIError: No API key (``api_key=`` or ``OPENAI_API_KEY``).
    """

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        super().__init__(options)
        client = AsyncClient("openai", **self._settings)
        self.eventide = client
        """The `eventide.AsyncClient` behind this one."""
        self.chat = client.chat
        """``await client.chat.completions.create(...)``: see `eventide.AsyncClient`."""

    def with_options(self, **changes: Unpack[ClientOptions]) -> AsyncOpenAI:
        """This client with some options changed (see `OpenAI.with_options`)."""
        return self._copy(changes, lambda options: AsyncOpenAI(**options))

    copy = with_options

    async def aclose(self) -> None:
        """Close the connections (and those of the copies made by `with_options`)."""
        for made in self._copies.values():
            await made.aclose()
        await self.eventide.aclose()

    async def close(self) -> None:
        """`aclose`, under the SDK's name."""
        await self.aclose()
