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
    split_model,
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
    with pytest.raises(TypeError, match=r"provider 'openai'.*'colour'"):
        provider_from_name("openai", colour="blue")
    with pytest.raises(TypeError, match=r"provider 'demo'.*'base_url'"):
        provider_from_name("demo", base_url="http://127.0.0.1:9/v1")


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("llama3:8b", (None, "llama3:8b")),  # an Ollama tag, not a provider prefix
        ("qwen2.5-coder:7b-instruct-q4_K_M", (None, "qwen2.5-coder:7b-instruct-q4_K_M")),
        ("anthropic/claude-3.5-sonnet", (None, "anthropic/claude-3.5-sonnet")),
        ("meta-llama/llama-3.1-8b-instruct:free", (None, "meta-llama/llama-3.1-8b-instruct:free")),
        ("groq:llama-3.1-8b-instant", (None, "groq:llama-3.1-8b-instant")),
        ("ollama:llama3:8b", ("ollama", "llama3:8b")),
        ("anthropic:claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("openai-responses:gpt-4.1", ("openai-responses", "gpt-4.1")),
        (
            "openrouter:anthropic/claude-3.5-sonnet",
            (None, "openrouter:anthropic/claude-3.5-sonnet"),
        ),
        ("gemini:", (None, "gemini:")),
        ("Ollama:llama3", (None, "Ollama:llama3")),  # names are exact
    ],
)
def test_split_model_takes_only_known_provider_names_as_prefixes(
    text: str, expected: tuple[str | None, str]
) -> None:
    assert split_model(text) == expected


def test_split_model_takes_the_given_provider_names() -> None:
    names = {"groq", "llama3"}
    assert split_model("groq:llama-3.1-8b-instant", providers=names) == (
        "groq",
        "llama-3.1-8b-instant",
    )
    assert split_model("llama3:8b", providers=names) == ("llama3", "8b")
    assert split_model("openai:gpt-4o", providers=names) == (None, "openai:gpt-4o")
