"""OpenAIChat configuration: environment, client ownership, secrets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

import eventide
from eventide.providers import OpenAIChat
from tests.fakes import reply
from tests.http_server import openai_chunks

if TYPE_CHECKING:
    import pytest


def test_openai_reads_its_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://local.test/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_MODEL", "qwen-3")
    provider = OpenAIChat()
    assert provider.base_url == "http://local.test/v1"
    assert provider.model == "qwen-3"
    assert "sk-env" not in repr(provider)
    assert OpenAIChat(base_url="http://x/v1", model="m").model == "m"


async def test_openai_closes_a_client_it_made_but_not_one_it_was_given() -> None:
    handler, _, _ = reply(openai_chunks(["ok"]))
    made: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        made.append(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        return made[-1]

    async with OpenAIChat(base_url="http://x/v1", http_client=factory) as provider:
        assert made == []  # made on first use, not at construction
        assert await eventide.collect_text(provider.stream("hi")) == "ok"
    assert made[0].is_closed

    given = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with OpenAIChat(base_url="http://x/v1", http_client=given) as provider:
        assert await eventide.collect_text(provider.stream("hi")) == "ok"
    assert not given.is_closed
    await given.aclose()


async def test_openai_without_key_sends_no_authorization_header() -> None:
    handler, _, requests = reply(openai_chunks(["ok"]))
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    provider = OpenAIChat(base_url="http://localhost:8080/v1", api_key="", http_client=client)
    await eventide.collect(provider.stream("hi"))
    assert "authorization" not in requests[0].headers
    assert requests[0].headers["user-agent"].startswith("eventide/")
