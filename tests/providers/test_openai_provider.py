"""`OpenAIChat`'s own case: which HTTP client it closes (what every provider does is in
test_http.py)."""

from __future__ import annotations

import httpx

import eventide
from eventide.providers import OpenAIChat
from tests.fakes import reply
from tests.http_server import openai_chunks


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
