"""litellm's ``"provider/model"`` strings: the prefixes routed, and the eventide provider
of each."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final, final

import attrs

from ..._errors import RequestError
from ...providers import Provider, provider_from_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..._timeouts import Timeouts

__all__ = ["ROUTES", "provider_for", "split_model"]


@final
@attrs.frozen
class _Route:
    """An eventide provider for a litellm prefix: its kind, and for OpenAI-compatible
    services their API root and the environment variables of their key and root."""

    kind: str
    base_url: str | None = None
    key_env: tuple[str, ...] = ()
    base_env: tuple[str, ...] = ()


def _compatible(base_url: str | None, service: str, *more_keys: str) -> _Route:
    upper = service.upper()
    return _Route("openai", base_url, (f"{upper}_API_KEY", *more_keys), (f"{upper}_API_BASE",))


ROUTES: Final[Mapping[str, _Route]] = {
    "openai": _Route("openai"),
    "anthropic": _Route("anthropic"),
    "gemini": _Route("gemini"),
    "ollama": _Route("ollama"),
    "ollama_chat": _Route("ollama"),
    "openrouter": _compatible("https://openrouter.ai/api/v1", "openrouter"),
    "groq": _compatible("https://api.groq.com/openai/v1", "groq"),
    "deepseek": _compatible("https://api.deepseek.com/beta", "deepseek"),
    "mistral": _compatible("https://api.mistral.ai/v1", "mistral"),
    "xai": _compatible("https://api.x.ai/v1", "xai"),
    "together_ai": _Route(
        "openai",
        "https://api.together.ai/v1",
        ("TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY"),
        ("TOGETHER_AI_API_BASE",),
    ),
    "hosted_vllm": _compatible(None, "hosted_vllm"),
}
"""The litellm provider prefixes this module routes, and the eventide provider of each."""

_OPENAI_MODELS: Final = ("gpt-", "o1", "o3", "o4", "chatgpt-")


def split_model(model: str, *, has_base: bool) -> tuple[str, str]:
    """litellm's ``"provider/model"``: (prefix, model). A model with no known prefix is
    litellm's inference: ``claude-*`` is Anthropic's, ``gpt-*``/``o1``... and any model sent
    to an ``api_base`` are OpenAI-compatible.

    Raises:
        RequestError: An unknown prefix, or a model no provider can be inferred for.
    """
    if not isinstance(model, str) or not model:
        raise TypeError(f"model must be a non-empty string, not {model!r}")
    prefix, slash, rest = model.partition("/")
    if slash and rest and prefix in ROUTES:
        return prefix, rest
    if model.startswith("claude"):
        return "anthropic", model
    if model.startswith(_OPENAI_MODELS) or has_base:
        return "openai", model
    if slash:
        raise RequestError(
            f"{prefix!r} is not a provider eventide.compat.litellm routes: use one of "
            f"{', '.join(ROUTES)} (as 'provider/model'), or 'openai/<model>' with api_base= "
            "for any OpenAI-compatible server"
        )
    raise RequestError(
        f"LLM provider not provided for model {model!r}: pass model='provider/model', such "
        "as 'openai/gpt-4o-mini' or 'anthropic/claude-3-5-haiku-latest'"
    )


def _environment(names: tuple[str, ...]) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def provider_for(
    prefix: str, *, api_key: str | None, api_base: str | None, timeouts: Timeouts | None
) -> Provider:
    """The eventide provider for a litellm prefix (keys and roots from the arguments, else
    litellm's environment variables, else eventide's).

    Raises:
        RequestError: A route that needs an API root and has none.
    """
    route = ROUTES[prefix]
    base = api_base or _environment(route.base_env) or route.base_url
    if route.kind == "openai" and prefix != "openai" and base is None:
        variable = route.base_env[0]
        raise RequestError(f"{prefix!r} needs its server: pass api_base= or set {variable}")
    return provider_from_name(
        route.kind,
        api_key=api_key or _environment(route.key_env),
        base_url=base,
        name=None if route.kind == prefix else prefix,
        timeouts=timeouts,
    )
