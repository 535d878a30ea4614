"""`Router`: model names that mean a list of (provider, model) candidates.

``model="fast"`` can mean "Groq, then OpenRouter, then the local Ollama": each alias is a
`Fallback` over its candidates, built once, so its circuit breakers and limits persist
across requests. A model string may also name its provider directly, as
``"provider:model"``: the provider name is everything before the first ``:``, so model names
with ``/`` (``openrouter:meta-llama/llama-3.1-8b-instruct``) or further ``:``
(``ollama:llama3.2:3b``) stay unambiguous.

A TOML file describes the whole table:

```toml
default = "fast"                     # the alias used when a request names no model

[providers.groq]                     # a provider, by kind (openai, anthropic, ...)
kind = "openai"
base_url = "https://api.groq.com/openai/v1"
api_key_env = "GROQ_API_KEY"         # the key is read from the environment, never the file

[aliases]
fast = ["groq:llama-3.1-8b-instant", "ollama:llama3.2"]
```
"""

from __future__ import annotations

import inspect
import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

import attrs

from .._request import Request, as_request
from .._resource import AsyncResource
from ..providers._registry import provider_from_name, split_model
from ._fallback import Candidate, Fallback

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .._stream import EventStream
    from .._timeouts import Timeouts
    from ..providers import Provider

__all__ = ["Router"]


@final
class Router(AsyncResource):
    """Resolve model names (aliases, or ``provider:model``) to providers, with fallback.

    Args:
        providers: Providers by the name used in model strings.
        aliases: Alias -> ordered ``"provider:model"`` strings (or bare provider names).
        default: The alias, or ``provider:model``, used when a request names no model.
        owned: Close these providers in `aclose()` (the ones the router made).
        **fallback: Options of every alias's `Fallback` (retry, commit, hedge_after, ...).

    Raises:
        ValueError: An alias with no candidates, or naming an unknown provider; an unknown
            default.
        TypeError: An option `Fallback` does not take.
    """

    def __init__(
        self,
        providers: Mapping[str, Provider],
        aliases: Mapping[str, Sequence[str]] | None = None,
        *,
        default: str | None = None,
        owned: Sequence[Provider] = (),
        name: str = "router",
        **fallback: Any,
    ) -> None:
        inspect.signature(Fallback).bind((), **fallback)  # an unknown option: TypeError now
        self._providers = dict(providers)
        self._owned = tuple(owned)
        self._name = name
        self._routes: dict[str, Fallback] = {}
        for alias, entries in (aliases or {}).items():
            if isinstance(entries, str) or not entries:
                raise ValueError(f"alias {alias!r} needs a list of 'provider:model' candidates")
            candidates = [self._candidate(entry, f"alias {alias!r}") for entry in entries]
            self._routes[alias] = Fallback(candidates, name=alias, **fallback)
        self._fallback = fallback
        self.default = default
        if default is not None:
            self._route(default)  # fails now if it names nothing known

    @classmethod
    def from_toml(
        cls, source: str | Path, *, environ: Mapping[str, str] | None = None, **fallback: Any
    ) -> Router:
        """A router from a TOML file (a `Path`) or TOML text (a `str`); see the module doc.

        Raises:
            ValueError: Invalid TOML, an unknown provider kind, a missing key variable, or
                an alias naming an unknown provider.
        """
        text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"invalid routing table: {exc}") from None
        env = os.environ if environ is None else environ
        providers: dict[str, Provider] = {}
        for name, settings in table.get("providers", {}).items():
            settings = dict(settings)
            kind = settings.pop("kind", name)
            key_variable = settings.pop("api_key_env", None)
            if key_variable is not None:
                if key_variable not in env:
                    raise ValueError(f"provider {name!r}: ${key_variable} is not set")
                settings["api_key"] = env[key_variable]
            try:
                providers[name] = provider_from_name(kind, name=name, **settings)
            except TypeError as exc:  # a setting in the file that the kind does not take
                raise ValueError(f"provider {name!r}: {exc}") from None
        return cls(
            providers,
            table.get("aliases", {}),
            default=table.get("default"),
            owned=list(providers.values()),
            **fallback,
        )

    @property
    def name(self) -> str:
        """The router's name."""
        return self._name

    @property
    def aliases(self) -> tuple[str, ...]:
        """The alias names."""
        return tuple(self._routes)

    def __repr__(self) -> str:
        return f"Router(providers={sorted(self._providers)}, aliases={sorted(self._routes)})"

    async def aclose(self) -> None:
        """Close the providers this router made."""
        for provider in self._owned:
            await provider.aclose()

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events of the response, from the candidates the model name resolves to.

        Raises:
            ValueError: The model names no alias and no known provider (before any I/O).
        """
        request = as_request(request, model=model)
        wanted = request.model or self.default
        if wanted is None:
            raise ValueError("the request names no model and the router has no default")
        route = self._route(wanted)
        return route.stream(
            request if request.model is None else _without_model(request), timeouts=timeouts
        )

    def _route(self, wanted: str) -> Fallback:
        route = self._routes.get(wanted)
        if route is None:
            candidate = self._candidate(wanted, "model")
            route = self._routes[wanted] = Fallback([candidate], name=wanted, **self._fallback)
        return route

    def _candidate(self, entry: str, where: str) -> Candidate:
        provider_name, named_model = split_model(entry, providers=self._providers)
        model: str | None = named_model
        if provider_name is None:
            provider_name, model = entry, None
        provider = self._providers.get(provider_name)
        if provider is None:
            known = ", ".join(sorted(self._providers)) or "none"
            raise ValueError(
                f"{where} names unknown provider {provider_name!r} (known: {known}; "
                f"aliases: {', '.join(sorted(self._routes)) or 'none'})"
            )
        return Candidate(provider, model)


def _without_model(request: Request) -> Request:
    return attrs.evolve(request, model=None)
