"""Which eventide provider a g4f-style call goes to: a provider, a provider name, or the
environment's; with g4f's ``api_key``, ``base_url`` and ``proxy``/``proxies`` settings."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, final
from urllib.parse import urlsplit

from ..._transport._httpx import proxied_client
from ...providers._registry import PROVIDER_NAMES, configured_provider_name, provider_from_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..._timeouts import Timeouts
    from ...providers import Provider

__all__ = ["ClientPool", "ProviderChoice", "choose_proxy", "make_provider"]

ProviderChoice: TypeAlias = "Provider | str | None"
"""What g4f's ``provider=`` takes here: an eventide provider, a provider name, or None."""

InnerT = TypeVar("InnerT")

_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def choose_proxy(proxies: str | Mapping[str, str] | None) -> str | None:
    """g4f's ``proxies=``: a proxy URL, or a mapping read as g4f reads it (``"all"``, then
    ``"https"``, then ``"http"``).

    Raises:
        TypeError: Neither a string nor a mapping.
        ValueError: Not an http, https or socks5 URL.
    """
    if proxies is None:
        return None
    if isinstance(proxies, Mapping):
        proxies = next((proxies[key] for key in ("all", "https", "http") if key in proxies), None)
        if proxies is None:
            return None
    if not isinstance(proxies, str):
        raise TypeError(f"proxy must be a URL string, not {type(proxies).__name__}")
    parts = urlsplit(proxies)
    if parts.scheme not in _PROXY_SCHEMES or not parts.hostname:
        raise ValueError(
            f"proxy must be an {', '.join(_PROXY_SCHEMES)} URL such as http://host:3128"
        )
    return proxies


def make_provider(
    kind: str | None, *, api_key: str | None, base_url: str | None, proxy: str | None
) -> Provider | None:
    """The provider a name (and the settings) asks for; None: eventide's own default.

    No name with a ``base_url`` is an OpenAI-compatible server, as in g4f; no name with only
    a key or a proxy is the provider the environment configures.

    Raises:
        ValueError: An unknown name; a key or proxy with no provider to give it to.
    """
    if kind is None:
        if base_url is not None:
            kind = "openai"
        elif api_key is None and proxy is None:
            return None
        else:
            kind = configured_provider_name()
            if kind is None:
                raise ValueError(
                    "no provider to give api_key= or proxy= to: pass provider= (a name such "
                    "as 'openai') or base_url=, or set OPENAI_API_KEY / OPENAI_BASE_URL"
                )
    name = kind.lower()
    if name not in PROVIDER_NAMES:
        raise ValueError(
            f"unknown provider {kind!r}: eventide's are {', '.join(PROVIDER_NAMES)}; g4f's "
            "own providers (web scrapers) are out of scope, pass an eventide provider"
        )
    settings: dict[str, Any] = {"api_key": api_key, "base_url": base_url}
    if proxy is not None:
        settings["http_client"] = proxied_client(proxy)
    return provider_from_name(name, **settings)


@final
class ClientPool(Generic[InnerT]):
    """The eventide clients behind one g4f client: one per (provider, proxy) that calls ask
    for, made on first use. Providers made here are listed in `owned`, for closing.

    Args:
        make: eventide's `AsyncClient` or `Client` (called with a provider, or None for
            eventide's default, and ``model=``, ``timeouts=``).
        provider: The g4f client's ``provider=``.
        media_provider: g4f's images provider: out of scope, must be None.
        api_key, base_url: The g4f client's settings, given to providers made by name.
        proxies: g4f's ``proxies=`` (see `choose_proxy`).
        model, timeouts: Options of every eventide client.

    Raises:
        TypeError, ValueError: As `make_provider`, for the client's own provider; a
            ``media_provider``.
    """

    __slots__ = ("_api_key", "_base_url", "_make", "_provider", "_proxy", "clients", "owned")

    def __init__(
        self,
        make: Callable[..., InnerT],
        provider: ProviderChoice,
        *,
        media_provider: object,
        api_key: str | None,
        base_url: str | None,
        proxies: str | Mapping[str, str] | None,
        model: str | None,
        timeouts: Timeouts | None,
    ) -> None:
        if media_provider is not None:
            raise TypeError(
                "media_provider= is for g4f's images and media APIs, which are out of scope "
                "(eventide streams chat); drop it"
            )
        self._make: Callable[[Provider | None], InnerT] = partial(
            make, model=model, timeouts=timeouts
        )
        self._provider = provider
        self._api_key = api_key
        self._base_url = base_url
        self._proxy = choose_proxy(proxies)
        self.clients: dict[tuple[object, str | None], InnerT] = {}
        self.owned: list[Provider] = []
        self.get(None, None)  # a misconfigured client fails here, not at its first call

    def get(self, provider: ProviderChoice, proxy: str | None) -> InnerT:
        """The eventide client for a call's ``provider=`` and ``proxy=`` (None: the client's).

        Raises:
            TypeError: ``proxy=`` with a provider object (give that provider an
                ``http_client=`` instead).
            ValueError: As `make_provider`.
        """
        chosen = self._provider if provider is None else provider
        proxy = self._proxy if proxy is None else choose_proxy(proxy)
        key = (chosen if chosen is None or isinstance(chosen, str) else id(chosen), proxy)
        inner = self.clients.get(key)
        if inner is not None:
            return inner
        made: Provider | None
        if chosen is None or isinstance(chosen, str):
            made = make_provider(
                chosen, api_key=self._api_key, base_url=self._base_url, proxy=proxy
            )
            if made is not None:
                self.owned.append(made)
        elif proxy is not None:
            raise TypeError(
                "proxy= needs a provider eventide makes (a name such as 'openai'); give your "
                "provider object an http_client= with the proxy instead"
            )
        else:
            made = chosen
        inner = self.clients[key] = self._make(made)
        return inner
