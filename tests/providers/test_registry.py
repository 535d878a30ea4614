"""Providers by name, and which one the environment configures."""

from __future__ import annotations

import pytest

from eventide.providers import (
    PROVIDER_NAMES,
    Anthropic,
    Gemini,
    Ollama,
    OpenAIChat,
    OpenAIResponses,
    configured_provider_name,
    provider_from_name,
)


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("openai", OpenAIChat),
        ("openai-responses", OpenAIResponses),
        ("anthropic", Anthropic),
        ("gemini", Gemini),
        ("ollama", Ollama),
    ],
)
def test_provider_from_name_makes_each_kind(kind: str, cls: type) -> None:
    provider = provider_from_name(kind, base_url="http://127.0.0.1:9/x", api_key="k", model="m")
    assert type(provider) is cls
    assert provider.name == kind
    named = provider_from_name(kind, name="mine", api_key=None)
    assert named.name == "mine"


def test_provider_names_cover_every_kind() -> None:
    assert set(PROVIDER_NAMES) == {
        "openai",
        "openai-responses",
        "anthropic",
        "gemini",
        "ollama",
        "demo",
    }
    assert provider_from_name("demo").name == "demo"


def test_provider_from_name_rejects_unknown_kinds_and_settings() -> None:
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        provider_from_name("nope")
    with pytest.raises(ValueError, match="provider 'openai'"):
        provider_from_name("openai", colour="blue")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, None),
        ({"OPENAI_API_KEY": "k"}, "openai"),
        ({"OPENAI_BASE_URL": "http://local/v1"}, "openai"),
        ({"ANTHROPIC_API_KEY": "k"}, "anthropic"),
        ({"GOOGLE_API_KEY": "k"}, "gemini"),
        ({"OLLAMA_HOST": "127.0.0.1:11434"}, "ollama"),
        ({"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}, "openai"),
        ({"EVENTIDE_PROVIDER": "gemini", "OPENAI_API_KEY": "k"}, "gemini"),
    ],
)
def test_configured_provider_name_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str | None
) -> None:
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert configured_provider_name() == expected
