"""Per-request headers and query parameters (`Request.headers`, `Request.query`) on the wire,
and the response's headers on the stream, over a real server on 127.0.0.1, once per API."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import eventide
from eventide import AuthenticationError, Message, Request
from eventide._transport import InMemoryTransport
from eventide.providers import OpenAIChat
from eventide.routing import Fallback
from tests.http_server import Reply, openai_chunks

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from eventide.providers import Provider
    from tests.http_server import ScriptedServer
    from tests.kits import Kit

TOKEN = "tok-per-request-0123456789"


def asking(
    *, headers: dict[str, str] | None = None, query: dict[str, str] | None = None
) -> Request:
    return Request(messages=(Message.user("hi"),), headers=headers or {}, query=query or {})


async def test_request_headers_and_query_reach_the_server(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    query = {"trace": "a b&c=d", "lang": "ünï"}
    request = asking(headers={"X-Trace-Id": "t-1", "X-Custom-Token": TOKEN}, query=query)
    assert await eventide.collect_text(provider.stream(request)) == "Hello, world"
    (received,) = server.requests
    assert received.headers["x-trace-id"] == "t-1"
    assert received.headers["x-custom-token"] == TOKEN
    assert received.headers[kit.auth[0]] == kit.auth[1]  # the provider's own stay
    path, _, _ = kit.path.partition("?")
    sent = urlsplit(received.path)
    assert sent.path == path
    assert dict(parse_qsl(sent.query)) == {**dict(parse_qsl(urlsplit(kit.path).query)), **query}
    assert request.headers == {"X-Trace-Id": "t-1", "X-Custom-Token": TOKEN}  # not mutated


async def test_request_header_replaces_the_providers_in_any_case(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    """A request's header replaces the provider's of the same name, whatever its case: it is
    sent once, with the request's value (a repeated header would reach the server joined)."""
    name = kit.auth[0].upper()
    value = f"Bearer {TOKEN}" if kit.auth[0] == "authorization" else TOKEN
    await eventide.collect(provider.stream(asking(headers={name: value, "ACCEPT": "*/*"})))
    (received,) = server.requests
    assert received.headers[kit.auth[0]] == value
    assert received.headers["accept"] == "*/*"


async def test_request_credential_echoed_in_an_error_is_redacted(
    kit: Kit, server: ScriptedServer, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echoed = f"bad token {TOKEN}, key {kit.key}, session q-secret-value-42"
    body = kit.error_body(401, "invalid_api_key", echoed)
    server.reply(Reply(status=401, headers=(("content-type", "application/json"),), body=[body]))
    request = asking(headers={"X-Custom-Token": TOKEN}, query={"session": "q-secret-value-42"})
    with pytest.raises(AuthenticationError) as info:
        await eventide.collect(provider.stream(request))
    shown = f"{info.value} {info.value.body} {info.value!r}"
    assert TOKEN not in shown
    assert kit.key not in shown
    assert "q-secret-value-42" not in shown  # a credential-like query parameter too
    assert "[redacted]" in info.value.message
    assert TOKEN not in repr(request)
    assert TOKEN not in caplog.text
    assert TOKEN in server.requests[0].headers["x-custom-token"]  # it was sent all the same


@pytest.mark.parametrize("value", [f"{TOKEN}\n", f"Bearer {TOKEN}\r\nX-Evil: 1", "ключ"])
async def test_request_credential_that_cannot_be_sent_fails_before_any_io(
    server: ScriptedServer, provider: Provider, value: str
) -> None:
    with pytest.raises(AuthenticationError) as info:
        provider.stream(asking(headers={"Authorization": value}))
    assert TOKEN not in str(info.value)
    assert server.requests == []


async def test_stream_headers_and_status_once_opened(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    server.reply(Reply(headers=(*kit.headers, ("X-Served-By", "node-42")), body=kit.body(["Hi"])))
    stream = provider.stream("hi")
    assert (stream.headers, stream.status_code) == (None, None)
    async with stream:
        await stream.open()
        headers = stream.headers
        assert headers is not None
        assert stream.status_code == 200
        assert headers["x-served-by"] == headers["X-Served-By"] == "node-42"
        assert headers.get("X-SERVED-BY") == "node-42"
        assert "X-Served-by" in headers
        assert "x-missing" not in headers
        assert not headers.__contains__(42)
        assert "x-served-by" in list(headers)
        assert dict(headers)["content-type"].startswith(kit.headers[0][1])
        with pytest.raises(TypeError):
            headers["x-new"] = "no"  # type: ignore[index]
        async for _ in stream:
            pass
    assert stream.headers == headers  # still there after close


async def test_fallback_stream_has_the_headers_of_the_attempt_that_served(
    kit: Kit, server: ScriptedServer, provider: Provider
) -> None:
    failing = Reply(status=503, headers=(("x-served-by", "failed"),), body=[b"down"])
    served = Reply(headers=(*kit.headers, ("x-served-by", "served")), body=kit.body(["Hi"]))
    server.queue(failing, served)
    async with Fallback([provider, provider]) as router:
        stream = router.stream("hi")
        before = stream.headers
        assert await eventide.collect_text(stream) == "Hi"
    assert before is None
    assert stream.headers is not None
    assert stream.headers["x-served-by"] == "served"
    assert stream.status_code == 200


async def test_request_key_satisfies_the_official_apis_key_check() -> None:
    """Without a key of its own, a provider refuses to send to its official API; a request
    carrying its own credential header is sent all the same."""

    async def body(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        for piece in openai_chunks(["Keyed"]):
            yield piece

    transport = InMemoryTransport(body)
    provider = OpenAIChat(base_url="https://api.openai.com/v1", api_key="", transport=transport)
    with pytest.raises(AuthenticationError, match="no API key"):
        await eventide.collect(provider.stream("hi"))
    keyed = asking(headers={"Authorization": f"Bearer {TOKEN}"})
    assert await eventide.collect_text(provider.stream(keyed)) == "Keyed"
