"""Providers by name, configured from keyword options and the environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._demo import demo
from ._openai import OpenAIChat

if TYPE_CHECKING:
    from ._base import Provider

__all__ = ["PROVIDER_NAMES", "configured_provider_name", "provider_from_name"]

PROVIDER_NAMES = ("openai", "demo")


def provider_from_name(
    name: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    model: str | None = None,
) -> Provider:
    """A provider by its name (one of `PROVIDER_NAMES`), its other settings from the environment.

    Raises:
        ValueError: An unknown name.
    """
    if name == "openai":
        return OpenAIChat(base_url=base_url, api_key=api_key, model=model)
    if name == "demo":
        return demo()
    raise ValueError(f"unknown provider {name!r}: choose one of {', '.join(PROVIDER_NAMES)}")


def configured_provider_name() -> str | None:
    """The provider the environment configures: ``EVENTIDE_PROVIDER``, else ``openai`` when
    ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set, else None (nothing configured)."""
    named = os.environ.get("EVENTIDE_PROVIDER")
    if named:
        return named
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        return "openai"
    return None
