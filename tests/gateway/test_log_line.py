"""The one log line of each request, through the real server: refused requests and a stream
cut by a shutdown get theirs too, and no value can break the line. And a ``Retry-After``
that never sends a client back too early."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest
import trio

from eventide.providers import OpenAIChat
from eventide.routing import Router
from eventide.testing import Reply, ScriptedProvider
from tests.http_server import Reply as ServerReply
from tests.http_server import Stall, openai_chunks, serve

from .serving import gateway
from .test_bad_input import VALID

if TYPE_CHECKING:
    from eventide.providers import Provider

CHAT = "/v1/chat/completions"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The gateway's log lines so far."""
    return [r.getMessage() for r in caplog.records if r.name == "eventide.gateway"]


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="eventide.gateway")
    return caplog


@pytest.mark.parametrize(
    ("path", "body", "headers", "ending"),
    [
        (CHAT, VALID[CHAT], {"x-api-key": "wrong"}, "status=401 outcome=refused:invalid_api_key"),
        (CHAT, {**VALID[CHAT], "n": 3}, {}, "status=400 outcome=refused:invalid_request_error"),
        ("/v1/messages", {}, {}, "status=400 outcome=refused:invalid_request_error"),
        (CHAT, {**VALID[CHAT], "model": "nope"}, {}, "status=404 outcome=refused:model_not_found"),
        ("/v1/nowhere\n", {}, {}, "status=404 outcome=refused:not_found_error"),
    ],
    ids=["401", "400", "400-messages", "404-model", "404-path"],
)
async def test_a_refused_request_logs_its_line(
    log: pytest.LogCaptureFixture, path: str, body: Any, headers: Any, ending: str
) -> None:
    up = ScriptedProvider(Reply.text("fine"), name="up")
    router = Router({"up": up}, aliases={"m": ["up"]})
    keys = ["sk-gate"] if "x-api-key" in headers else []
    async with gateway(router, api_keys=keys) as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}{path.replace(chr(10), '%0A')}", json=body)
    assert response.status_code == int(ending.split()[0].removeprefix("status="))
    (line,) = lines(log)
    assert line.endswith(ending)
    assert "\n" not in line


async def test_no_model_name_breaks_the_line(log: pytest.LogCaptureFixture) -> None:
    """A server's model with a line break, and a requested one with a space, are quoted."""
    forged = "x\nchat provider=FORGED status=200"
    provider = ScriptedProvider(Reply.text("fine", model=forged), Reply.text("fine"))
    async with gateway(provider) as url, httpx.AsyncClient() as http:
        await http.post(f"{url}{CHAT}", json={**VALID[CHAT], "stream": True})
        await http.post(f"{url}{CHAT}", json={**VALID[CHAT], "model": "my model"})
    first, second = lines(log)
    assert f"model={forged!r} " in first
    assert "\n" not in first
    assert "model='my model' " in second


async def _gateway_until_cancelled(
    provider: Provider, scope: trio.CancelScope, done: trio.Event, *, task_status: Any
) -> None:
    try:
        with scope:
            async with gateway(provider) as url:
                task_status.started(url)
                await trio.sleep_forever()
    finally:
        done.set()


async def test_a_stream_cut_by_shutdown_logs_its_line(log: pytest.LogCaptureFixture) -> None:
    body: list[bytes | Stall] = [*openai_chunks(["partial"], usage=False)[:2], Stall()]
    async with serve(ServerReply(body=body)) as upstream, trio.open_nursery() as nursery:
        provider = OpenAIChat(base_url=f"{upstream.url}/v1", api_key="sk-up", model="gpt-4o-mini")
        shutdown, done = trio.CancelScope(), trio.Event()
        url = await nursery.start(_gateway_until_cancelled, provider, shutdown, done)
        question = {**VALID[CHAT], "stream": True}
        async with httpx.AsyncClient() as http, http.stream("POST", f"{url}{CHAT}", json=question):
            shutdown.cancel()  # the server shuts down mid-stream, the client still there
            with trio.fail_after(5):
                await done.wait()
    (line,) = lines(log)
    assert line.startswith("chat provider=openai model=gpt-4o-mini ")
    assert line.endswith(" outcome=cancelled")


@pytest.mark.parametrize(
    ("given", "seconds", "ms"),
    [
        ({"retry-after-ms": "2500"}, "3", "2500"),
        ({"retry-after": "7"}, "7", "7000"),
        ({"retry-after-ms": "inf"}, None, None),  # no finite wait: none is passed on
        ({"retry-after-ms": "nan"}, None, None),
        ({"retry-after": "9" * 400}, None, None),
    ],
)
async def test_retry_after_is_rounded_up_and_sent_in_ms_too(
    given: dict[str, str], seconds: str | None, ms: str | None
) -> None:
    headers = [("content-type", "application/json"), *given.items()]
    error = b'{"error": {"message": "slow down", "type": "rate_limit_error"}}'
    reply = ServerReply(status=429, headers=headers, body=[error])
    async with serve(reply) as upstream:
        provider = OpenAIChat(base_url=f"{upstream.url}/v1", api_key="sk-up", model="gpt-4o-mini")
        async with (
            gateway(provider) as url,
            openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="-", max_retries=0) as sdk,
        ):
            with pytest.raises(openai.RateLimitError) as raised:
                await sdk.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "q"}]
                )
    assert raised.value.response.headers.get("retry-after") == seconds
    assert raised.value.response.headers.get("retry-after-ms") == ms
