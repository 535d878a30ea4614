"""Bad clients and failing upstreams: each gets its status, nobody else is held up, and
no upstream key reaches a response."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httpx
import pytest
import trio

from eventide.providers import OpenAIChat
from eventide.testing import Reply, ScriptedProvider
from tests.http_server import Reply as ServerReply
from tests.http_server import serve

from .serving import gateway

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

SECRET = "sk-upstream-secret-4242"
QUESTION = {"model": "m", "messages": [{"role": "user", "content": "q"}]}


async def test_a_slow_body_gets_408_and_others_are_served() -> None:
    provider = ScriptedProvider(Reply.text("fine"))

    async def dribble() -> AsyncIterator[bytes]:
        yield b'{"model": "m", '
        await trio.sleep(1)  # longer than the body timeout
        yield b"}"

    async with gateway(provider, body_timeout=0.3) as url, httpx.AsyncClient() as http:
        async with trio.open_nursery() as nursery:
            slow: list[httpx.Response] = []

            async def send_slowly() -> None:
                slow.append(
                    await http.post(
                        f"{url}/v1/chat/completions",
                        content=dribble(),
                        headers={"content-type": "application/json"},
                    )
                )

            nursery.start_soon(send_slowly)
            other = await http.post(f"{url}/v1/chat/completions", json=QUESTION)
        assert other.json()["choices"][0]["message"]["content"] == "fine"
    assert slow[0].status_code == 408
    assert slow[0].json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("stream", [False, True])
async def test_no_upstream_key_in_any_response_or_log(
    stream: bool, caplog: pytest.LogCaptureFixture
) -> None:
    echo = f'{{"error": {{"message": "bad key {SECRET}", "code": "invalid_api_key"}}}}'
    reply = ServerReply(
        status=401, headers=[("content-type", "application/json")], body=[echo.encode()]
    )
    caplog.set_level(logging.INFO, logger="eventide.gateway")
    async with serve(reply) as upstream:
        provider = OpenAIChat(base_url=f"{upstream.url}/v1", api_key=SECRET, model="gpt-4o-mini")
        async with gateway(provider) as url, httpx.AsyncClient() as http:
            response = await http.post(
                f"{url}/v1/chat/completions", json={**QUESTION, "stream": stream}
            )
    assert upstream.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert response.status_code == 401
    assert SECRET not in response.text
    assert SECRET not in str(response.headers)
    assert "outcome=error" in caplog.text
    assert SECRET not in caplog.text


async def test_a_provider_that_raises_gets_a_500_and_the_server_goes_on() -> None:
    def respond(request: object) -> Reply:
        raise KeyError("a bug in a provider")

    broken = ScriptedProvider(respond=respond)
    async with gateway(broken) as url, httpx.AsyncClient() as http:
        first = await http.post(f"{url}/v1/chat/completions", json={**QUESTION, "stream": True})
        second = await http.post(f"{url}/v1/chat/completions", json=QUESTION)
    assert (first.status_code, second.status_code) == (500, 500)
    assert "KeyError" in first.json()["error"]["message"]


async def test_cors_only_for_listed_origins() -> None:
    provider = ScriptedProvider(Reply.text("a"))
    page = "http://localhost:3000"
    ask = {"origin": page, "access-control-request-method": "POST"}
    async with gateway(provider, cors_origins=[page]) as url, httpx.AsyncClient() as http:
        allowed = await http.options(f"{url}/v1/chat/completions", headers=ask)
        other = await http.options(
            f"{url}/v1/chat/completions", headers={**ask, "origin": "http://evil.example"}
        )
        listed = await http.get(f"{url}/v1/models", headers={"origin": page})
    async with gateway(ScriptedProvider(Reply.text("a"))) as url, httpx.AsyncClient() as http:
        off = await http.get(f"{url}/v1/models", headers={"origin": page})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == page
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    assert other.status_code == 405
    assert "access-control-allow-origin" not in other.headers
    assert listed.headers["access-control-allow-origin"] == page
    assert "x-eventide-provider" in listed.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in off.headers
