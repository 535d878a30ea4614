"""How a client finds what serves it: OpenAI's constructor arguments, provider names, the
environment, ``max_retries`` and ``provider:model`` model strings, each checked before any
I/O.

`client_provider` turns the constructor's arguments into the provider the client talks to
(nothing configured is a `ConfigurationError`: there is no silent demo in the library); the
`Routes` it sits in are what every call streams through: the model string's provider prefix
picks (and, once, builds) a provider, and each provider of one's own is retried as
``max_retries`` says.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, final

from .._errors import ConfigurationError
from .._resource import AsyncResource
from .._timeouts import Timeouts, as_timeouts
from ..providers._http import HTTPProvider
from ..providers._registry import (
    PROVIDER_NAMES,
    configured_provider_name,
    provider_from_name,
    split_model,
)
from ..routing import Fallback, Retrying, RetryPolicy, Router

if TYPE_CHECKING:
    from .._request import Request
    from .._stream import EventStream
    from .._transport import HTTPClientOption
    from ..providers import Provider

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "Connection",
    "Routes",
    "client_provider",
    "client_timeouts",
    "openai_retry_policy",
]

DEFAULT_MAX_RETRIES: Final = 2
"""Retries of a failed request when ``max_retries`` is not given, as in the OpenAI SDK."""

_OPENAI_KINDS: Final = ("openai", "openai-responses")
_NAMES = ", ".join(name for name in PROVIDER_NAMES if name != "demo")
NOT_CONFIGURED: Final = (
    "no provider configured: pass provider= (a provider, or a name: "
    f"{_NAMES}; 'demo' for the offline demo), or api_key=/base_url= for OpenAI or any "
    "OpenAI-compatible server; or set EVENTIDE_PROVIDER, OPENAI_API_KEY (and OPENAI_BASE_URL "
    "for an OpenAI-compatible server), ANTHROPIC_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY, "
    "or OLLAMA_HOST"
)


@final
class Connection:
    """The OpenAI constructor's connection arguments: what a provider the client makes is
    made with (None: not given)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        http_client: HTTPClientOption = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.organization = organization
        self.project = project
        self.default_headers = default_headers
        self.default_query = default_query
        self.http_client = http_client

    def given(self) -> list[str]:
        """The names of the arguments given."""
        return [name for name, value in vars(self).items() if value is not None]

    def headers(self, kind: str) -> dict[str, str] | None:
        """The request headers of a provider of `kind`: OpenAI's organization and project
        headers (also from ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID``), then
        ``default_headers``."""
        made: dict[str, str] = {}
        if kind in _OPENAI_KINDS:
            organization = self.organization or os.environ.get("OPENAI_ORG_ID")
            project = self.project or os.environ.get("OPENAI_PROJECT_ID")
            if organization:
                made["OpenAI-Organization"] = organization
            if project:
                made["OpenAI-Project"] = project
        made.update(self.default_headers or {})
        return made or None


def client_provider(
    provider: Provider | Sequence[Any] | str | None, connection: Connection, **fallback: Any
) -> tuple[Provider, str | None]:
    """The provider a client talks to, and the provider kind when the client made it (None:
    the caller's, which the client leaves open).

    Raises:
        ConfigurationError: Nothing configured; an unknown provider name; connection
            arguments beside a provider object (they would be ignored); an organization or
            project for a provider that is not OpenAI; a key for another provider's API.
        TypeError: Fallback options without a list of providers.
    """
    if isinstance(provider, Sequence) and not isinstance(provider, str):
        _refuse_connection(connection)
        return Fallback(provider, **fallback), None
    if fallback:
        raise TypeError(f"fallback options need a list of providers: {', '.join(fallback)}")
    if provider is None or isinstance(provider, str):
        kind = provider or _configured_kind(connection)
        return _made(kind, connection), kind
    _refuse_connection(connection)
    return provider, None


def _arguments(names: list[str]) -> str:
    return ", ".join(f"{name}=" for name in names)


def _refuse_connection(connection: Connection) -> None:
    given = connection.given()
    if given:
        raise ConfigurationError(
            f"{_arguments(given)} would be ignored beside a provider object: pass them to the "
            "provider you make (OpenAIChat(api_key=..., base_url=...)), or name the provider "
            "(provider='openai') and let the client make it"
        )


def _configured_kind(connection: Connection) -> str:
    named = os.environ.get("EVENTIDE_PROVIDER")
    if named:
        return named
    if any(value is not None for value in (connection.api_key, connection.base_url)):
        return "openai"  # OpenAI's constructor: these configure OpenAI or a compatible server
    configured = configured_provider_name()
    if configured is None:
        raise ConfigurationError(NOT_CONFIGURED)
    return configured


def _made(kind: str, connection: Connection) -> Provider:
    if kind not in PROVIDER_NAMES:
        raise ConfigurationError(f"unknown provider {kind!r}: choose one of {_NAMES} or 'demo'")
    if kind == "demo" and connection.given():
        raise ConfigurationError(
            f"the offline demo provider takes no {_arguments(connection.given())}"
        )
    if kind not in _OPENAI_KINDS:
        openai_only = [n for n in ("organization", "project") if getattr(connection, n) is not None]
        if openai_only:
            names = " and ".join(f"{name}=" for name in openai_only)
            raise ConfigurationError(
                f"{names} are OpenAI's; provider {kind!r} takes none (set its own headers "
                "with default_headers=)"
            )
    return provider_from_name(
        kind,
        api_key=connection.api_key,
        base_url=connection.base_url,
        headers=connection.headers(kind),
        query=connection.default_query,
        http_client=connection.http_client,
    )


def client_timeouts(timeout: float | Timeouts | None, timeouts: Timeouts | None) -> Timeouts | None:
    """The client's time budgets from OpenAI's ``timeout`` (see `as_timeouts`: seconds mean
    what ``httpx.Timeout(seconds)`` means to the OpenAI SDK) or eventide's ``timeouts``.

    Raises:
        TypeError: Both given, or a timeout that is neither a number nor `Timeouts`.
        ValueError: A number that is not positive.
    """
    if timeout is not None and timeouts is not None:
        raise TypeError("give timeout= (OpenAI's) or timeouts= (eventide's), not both")
    return as_timeouts(timeout) if timeout is not None else timeouts


def openai_retry_policy(max_retries: int) -> RetryPolicy:
    """The OpenAI SDK's retries: `max_retries` more tries, waiting 0.5 s doubling to at
    most 8 s (with jitter), or the server's ``Retry-After``/``retry-after-ms`` when it
    asks for at most 2 minutes (a longer one gives up)."""
    return RetryPolicy(
        attempts=max_retries + 1,
        base_delay=0.5,
        multiplier=2.0,
        max_delay=8.0,
        jitter=0.25,
        max_retry_after=120.0,
    )


def check_max_retries(max_retries: int | None, provider: Provider) -> int:
    """The retries a client adds around `provider` (0 for a router, which has its own).

    Raises:
        TypeError: Not an int, or given with a router (whose ``retry=`` governs).
        ValueError: Negative.
    """
    if max_retries is None:
        return 0 if _is_router(provider) else DEFAULT_MAX_RETRIES
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
    if _is_router(provider):
        raise TypeError(
            "max_retries= is for one provider; a router or a list of providers retries as "
            "its own retry= says (retry=RetryPolicy(attempts=...))"
        )
    return max_retries


def _is_router(provider: Provider) -> bool:
    return isinstance(provider, Fallback | Router | Retrying)


@final
class Routes(AsyncResource):
    """What a client's calls stream through: its provider, retried, and the providers that
    ``provider:model`` model strings name, made on first use and kept.

    Args:
        provider: The client's provider.
        kind: The provider kind, when the client made it from a name or the environment.
        max_retries: Retries of each provider of one's own (0: none).
        owned: Close `provider` in `aclose()` (the ones made here are always closed).
        http_client: The HTTP client the providers made here send through, if given.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        kind: str | None,
        max_retries: int,
        owned: bool,
        http_client: HTTPClientOption = None,
    ) -> None:
        self.provider = provider
        self.owned = owned
        self._own_names = {provider.name, *([kind] if kind else [])}
        self._max_retries = max_retries
        self._http_client = http_client
        self._sender = self._retried(provider)
        self._made: dict[str, tuple[Provider, Provider]] = {}  # kind -> (made, retried)

    @property
    def name(self) -> str:
        """The client's provider's name."""
        return self.provider.name

    def __repr__(self) -> str:
        return repr(self.provider)

    async def aclose(self) -> None:
        """Close the providers made for model strings, and the client's own if it made it."""
        made, self._made = list(self._made.values()), {}
        try:
            for provider, _ in made:
                await provider.aclose()
        finally:
            if self.owned:
                await self.provider.aclose()

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events from the provider `model` names (``anthropic:claude-...``), else the
        client's provider. Does no I/O.

        Raises:
            ConfigurationError: The model names a provider that has no key for its API.
        """
        sender, model = self._route(model)
        return sender.stream(request, model=model, timeouts=timeouts)

    def _route(self, model: str | None) -> tuple[Provider, str | None]:
        if model is None or isinstance(self.provider, Router):  # a router reads its own
            return self._sender, model
        kind, bare = split_model(model)
        if kind is None:
            return self._sender, model
        if kind in self._own_names:
            return self._sender, bare
        made = self._made.get(kind)
        if made is None:  # two threads of a sync client may race here: one is kept (a
            # provider holds nothing until it is read, so the other needs no closing)
            made = self._made.setdefault(kind, self._make(kind, model))
        return made[1], bare

    def _make(self, kind: str, model: str) -> tuple[Provider, Provider]:
        provider = provider_from_name(kind, http_client=self._http_client)
        missing = provider._preflight() if isinstance(provider, HTTPProvider) else None
        if missing is not None:
            raise ConfigurationError(
                f"model {model!r} names provider {kind!r}, which is not configured: "
                f"{missing.message.removeprefix('no API key: ')}"
            )
        return provider, self._retried(provider)

    def _retried(self, provider: Provider) -> Provider:
        if self._max_retries == 0 or _is_router(provider):
            return provider
        return Retrying(provider, retry=openai_retry_policy(self._max_retries))
