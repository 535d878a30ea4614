"""`OpenAIChat`'s own case: which HTTP client it closes (what every provider does is in
test_http.py)."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

import eventide
from eventide import ProtocolError
from eventide.providers import OpenAIChat
from eventide.providers._http import HTTPProvider, ProviderOptions
from tests.fakes import reply
from tests.http_server import Reply, openai_chunks, serve, sse


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


def _tool_chunk(index: int, fragment: str, first: bool) -> dict[str, Any]:
    call: dict[str, Any] = {"index": index, "function": {"arguments": fragment}}
    if first:
        call |= {"id": f"call_{index}", "type": "function"}
        call["function"]["name"] = "get_weather"
    delta = {"tool_calls": [call]}
    return {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": delta}]}


# Two parallel calls whose fragments a server interleaves: 0, 1, 0, 1.
INTERLEAVED = [
    sse(_tool_chunk(0, '{"city":', True)),
    sse(_tool_chunk(1, '{"city":', True)),
    sse(_tool_chunk(0, '"Paris"}', False)),
    sse(_tool_chunk(1, '"Tokyo"}', False)),
    sse(
        {
            "id": "c1",
            "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
        }
    ),
    sse("[DONE]"),
]


async def test_openai_chat_holds_interleaved_tool_calls_when_made_to() -> None:
    """``OpenAIChat(interleaved_tool_calls=True)`` reaches its decoder: over a socket, the
    interleaved calls come whole at the finish; by default they are a `ProtocolError`."""
    async with serve(Reply(body=INTERLEAVED)) as server:
        async with OpenAIChat(base_url=server.url, model="m") as provider:
            assert not provider.interleaved_tool_calls
            with pytest.raises(ProtocolError, match="interleaves parallel tool calls"):
                await eventide.collect(provider.stream("weather?"))
        held = OpenAIChat(base_url=server.url, model="m", interleaved_tool_calls=True)
        async with held as provider:
            completion = await eventide.collect(provider.stream("weather?"))
    assert [(call.id, call.parsed) for call in completion.tool_calls] == [
        ("call_0", {"city": "Paris"}),
        ("call_1", {"city": "Tokyo"}),
    ]
    assert completion.finish_reason == "tool_calls"


def test_provider_options_are_the_constructor_options() -> None:
    """`ProviderOptions`, which `OpenAIChat` passes on, names exactly the keyword options of
    the shared constructor."""
    parameters = inspect.signature(HTTPProvider.__init__).parameters.values()
    keywords = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert set(ProviderOptions.__annotations__) == keywords
