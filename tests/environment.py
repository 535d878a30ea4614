"""The environment variables that configure a provider: tests clear them, so that what the
developer's shell has set never decides what a test sees."""

from __future__ import annotations

import os

PROVIDER_VARIABLES = (
    "EVENTIDE_PROVIDER",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_BASE_URL",
    "GEMINI_MODEL",
    "OLLAMA_HOST",
    "OLLAMA_MODEL",
)


def without_provider_configuration(*also: str) -> dict[str, str]:
    """This process's environment less every provider variable (and `also`)."""
    dropped = set(PROVIDER_VARIABLES) | set(also)
    return {key: value for key, value in os.environ.items() if key not in dropped}
