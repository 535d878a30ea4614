"""Router: aliases and ``provider:model`` strings resolved to candidates, from code or TOML."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

import eventide
from eventide.providers import OpenAIChat, split_model
from eventide.routing import RetryPolicy, Router
from tests.fakes import mock_provider, reply
from tests.http_server import openai_chunks

if TYPE_CHECKING:
    from pathlib import Path

TABLE = """
default = "fast"

[providers.groq]
kind = "openai"
base_url = "http://groq.test/openai/v1"
api_key_env = "GROQ_API_KEY"

[providers.local]
kind = "openai"
base_url = "http://localhost:11434/v1"

[aliases]
fast = ["groq:llama-3.1-8b-instant", "local:llama3.2:3b"]
"""


def echo_model(name: str, *, fail: bool = False) -> tuple[OpenAIChat, list[httpx.Request]]:
    """A provider that answers with the model it was asked for (or fails with a 503)."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if fail:
            return httpx.Response(503, json={"error": {"message": "down"}})
        model = httpx.Response(200, content=request.content).json()["model"]
        handle, _, _ = reply(openai_chunks([f"{name}:{model}"], model=model))
        return handle(request)

    return mock_provider(handler, name=name), requests


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4o", ("openai", "gpt-4o")),
        (  # not a known provider name: a model name, verbatim
            "openrouter:meta-llama/llama-3.1-8b-instruct",
            (None, "openrouter:meta-llama/llama-3.1-8b-instruct"),
        ),
        ("ollama:llama3.2:3b", ("ollama", "llama3.2:3b")),
        ("gpt-4o-mini", (None, "gpt-4o-mini")),
        ("meta-llama/llama-3.1:free", (None, "meta-llama/llama-3.1:free")),
        (":x", (None, ":x")),
        ("openai:", (None, "openai:")),
    ],
)
def test_split_model_is_unambiguous(text: str, expected: tuple[str | None, str]) -> None:
    assert split_model(text) == expected


async def test_router_alias_falls_back_in_order_with_each_candidates_model() -> None:
    groq, groq_requests = echo_model("groq", fail=True)
    local, _ = echo_model("local")
    router = Router(
        {"groq": groq, "local": local},
        {"fast": ["groq:llama-3.1-8b-instant", "local:llama3.2:3b"]},
        retry=RetryPolicy(attempts=1),
    )
    completion = await eventide.collect(router.stream("hi", model="fast"))
    assert completion.text == "local:llama3.2:3b"
    assert completion.metadata is not None
    assert completion.metadata.requested_model == "llama3.2:3b"
    assert [(a.provider, a.model) for a in completion.metadata.attempts] == [
        ("groq", "llama-3.1-8b-instant")
    ]
    assert httpx.Response(200, content=groq_requests[0].content).json()["model"] == (
        "llama-3.1-8b-instant"
    )


async def test_router_provider_prefixed_model_goes_straight_there() -> None:
    groq, _ = echo_model("groq")
    local, local_requests = echo_model("local")
    router = Router({"groq": groq, "local": local})
    text = await eventide.collect_text(router.stream("hi", model="groq:mixtral/8x7b"))
    assert text == "groq:mixtral/8x7b"
    assert local_requests == []


async def test_router_uses_its_default_when_the_request_names_no_model() -> None:
    local, _ = echo_model("local")
    router = Router({"local": local}, {"chat": ["local:qwen3"]}, default="chat")
    assert await eventide.collect_text(router.stream("hi")) == "local:qwen3"


def test_router_rejects_unknown_names_at_construction() -> None:
    local, _ = echo_model("local")
    with pytest.raises(ValueError, match="alias 'fast' names unknown provider 'groq:llama'"):
        Router({"local": local}, {"fast": ["groq:llama"]})
    with pytest.raises(ValueError, match="needs a list"):
        Router({"local": local}, {"fast": []})
    with pytest.raises(ValueError, match="unknown provider 'nope:model'"):
        Router({"local": local}, default="nope:model")
    router = Router({"local": local})
    with pytest.raises(ValueError, match="unknown provider 'gpt-4o'"):
        router.stream("hi", model="gpt-4o")
    with pytest.raises(ValueError, match="no default"):
        router.stream("hi")


def test_router_from_toml_builds_providers_with_keys_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "routes.toml"
    path.write_text(TABLE, encoding="utf-8")
    router = Router.from_toml(path, environ={"GROQ_API_KEY": "gsk-secret"})
    assert router.aliases == ("fast",)
    assert router.default == "fast"
    assert "gsk-secret" not in repr(router)
    with pytest.raises(ValueError, match=r"\$GROQ_API_KEY is not set"):
        Router.from_toml(TABLE, environ={})
    with pytest.raises(ValueError, match="invalid routing table"):
        Router.from_toml("[aliases", environ={})
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        Router.from_toml('[providers.x]\nkind = "nope"\n', environ={})
    with pytest.raises(ValueError, match=r"provider 'x'.*'colour'"):
        Router.from_toml('[providers.x]\nkind = "openai"\ncolour = "blue"\n', environ={})


async def test_router_from_toml_streams_through_its_providers() -> None:
    table = TABLE.replace("http://groq.test/openai/v1", "http://127.0.0.1:1/v1").replace(
        "http://localhost:11434/v1", "http://127.0.0.1:1/v1"
    )  # both refused: port 1 has no listener
    async with Router.from_toml(
        table, environ={"GROQ_API_KEY": "k"}, retry=RetryPolicy(attempts=1)
    ) as router:
        with pytest.raises(eventide.NoProviderLeft) as info:
            await eventide.collect(router.stream("hi"))
    assert [(a.provider, a.model, a.error) for a in info.value.attempts] == [
        ("groq", "llama-3.1-8b-instant", "transport"),
        ("local", "llama3.2:3b", "transport"),
    ]


def test_router_refuses_an_unknown_fallback_option_at_once() -> None:
    with pytest.raises(TypeError, match="colour"):
        Router({}, colour="blue")
