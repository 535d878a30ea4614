"""Providers by name, configured from keyword options and the environment, and the
``provider:model`` model-string convention."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from ._anthropic import Anthropic
from ._demo import demo
from ._gemini import Gemini
from ._ollama import Ollama
from ._openai import OpenAIChat
from ._openai_responses import OpenAIResponses

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from ._base import Provider

__all__ = [
    "PROVIDER_NAMES",
    "configured_provider_name",
    "default_provider",
    "provider_from_name",
    "split_model",
]


def _demo(*, name: str = "demo", delay: float = 0.0) -> Provider:
    return demo(name=name, delay=delay)


_FACTORIES: dict[str, Callable[..., Provider]] = {
    "openai": OpenAIChat,
    "openai-responses": OpenAIResponses,
    "anthropic": Anthropic,
    "gemini": Gemini,
    "ollama": Ollama,
    "demo": _demo,
}

PROVIDER_NAMES = tuple(_FACTORIES)
"""The provider kinds `provider_from_name` knows."""


def provider_from_name(kind: str, /, **settings: Any) -> Provider:
    """A provider of `kind` (one of `PROVIDER_NAMES`); settings the caller leaves out
    (base URL, key, default model) come from that provider's environment variables.

    Args:
        kind: The provider kind.
        **settings: Constructor keywords: ``base_url``, ``api_key``, ``model``, ``name``, ...;
            None values are left out.

    Raises:
        ConfigurationError: An unknown kind (also a ValueError), or a key for another
            provider's API.
        TypeError: A setting that kind does not take.
    """
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise ConfigurationError(
            f"unknown provider {kind!r}: choose one of {', '.join(PROVIDER_NAMES)}"
        )
    given = {key: value for key, value in settings.items() if value is not None}
    try:
        return factory(**given)
    except TypeError as exc:
        raise TypeError(f"provider {kind!r}: {exc}") from None


def split_model(
    model: str, *, providers: Collection[str] = PROVIDER_NAMES
) -> tuple[str | None, str]:
    """Split ``"provider:model"`` at the first ``:`` into (provider, model) when the part
    before it is one of `providers`; any other string is a model name, kept verbatim: (None,
    model).

    Only known names are prefixes, because model names contain ``:`` themselves: Ollama's
    tags (``llama3:8b`` is model ``llama3:8b``, not model ``8b`` of a provider ``llama3``) and
    OpenRouter's variants (``meta-llama/llama-3.1-8b-instruct:free``). A known name before
    further ``:`` keeps the rest whole (``ollama:llama3.2:3b`` is provider ``ollama``, model
    ``llama3.2:3b``); a name with nothing after its ``:`` is no prefix.

    Args:
        model: The model string.
        providers: The names that count as prefixes: `PROVIDER_NAMES` by default; a `Router`
            passes the names of its own providers.
    """
    prefix, sep, rest = model.partition(":")
    if sep and rest and prefix in providers:
        return prefix, rest
    return None, model


_CONFIGURED_BY = (
    ("openai", ("OPENAI_API_KEY", "OPENAI_BASE_URL")),
    ("anthropic", ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")),
    ("gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    ("ollama", ("OLLAMA_HOST",)),
)


def configured_provider_name() -> str | None:
    """The provider the environment configures: ``EVENTIDE_PROVIDER``, else the first of
    openai, anthropic, gemini and ollama whose variables are set (``OPENAI_API_KEY`` or
    ``OPENAI_BASE_URL``; ``ANTHROPIC_API_KEY`` or ``ANTHROPIC_BASE_URL``; ``GEMINI_API_KEY``
    or ``GOOGLE_API_KEY``; ``OLLAMA_HOST``), else None: nothing is configured."""
    named = os.environ.get("EVENTIDE_PROVIDER")
    if named:
        return named
    for name, variables in _CONFIGURED_BY:
        if any(os.environ.get(variable) for variable in variables):
            return name
    return None


def default_provider(
    kind: str | None = None, /, *, demo_delay: float = 0.0, **settings: Any
) -> tuple[Provider, bool]:
    """The provider `kind` names (with `settings`; the demo with `demo_delay`), else the one
    the environment configures, else the offline demo; and whether it is that last fallback,
    which the caller may want to say. The one place the default provider is chosen.

    Raises:
        ValueError: As `provider_from_name`.
    """
    name = kind or configured_provider_name()
    if name is None or name == "demo":
        return demo(delay=demo_delay), name is None
    return provider_from_name(name, **settings), False
