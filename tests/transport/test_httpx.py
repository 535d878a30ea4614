"""The httpx adapter: a caller's client as a `Transport`, httpx's errors as eventide's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from eventide import ProtocolError, StreamTimeout, Timeouts, TransportError
from eventide._transport import HTTPRequest, HTTPXTransport, TransportClosed, transport_slot
from eventide._transport._httpx import _parsed

if TYPE_CHECKING:
    from eventide._transport import HTTPClientOption

REQUEST = HTTPRequest("POST", "http://t/x", {"x-mine": "yes"}, b"{}")


def client_raising(exc: type[httpx.HTTPError], message: str = "boom") -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc(message, request=request)  # type: ignore[call-arg]

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("raised", "expected", "phase", "message"),
    [
        (httpx.ConnectTimeout, StreamTimeout, "connect", "connect timeout"),
        (httpx.ReadTimeout, StreamTimeout, "read", "read timeout"),
        (httpx.WriteTimeout, StreamTimeout, "write", "write timeout"),
        (httpx.PoolTimeout, StreamTimeout, "pool", "pool timeout"),
        (httpx.RemoteProtocolError, ProtocolError, None, "broken HTTP response"),
        (httpx.DecodingError, ProtocolError, None, "undecodable response body"),
        (httpx.ConnectError, TransportError, None, "cannot connect"),
        (httpx.ReadError, TransportError, None, "ReadError: boom"),
    ],
)
async def test_httpx_errors_become_eventide_errors(
    raised: type[httpx.HTTPError], expected: type[Exception], phase: str | None, message: str
) -> None:
    async with client_raising(raised) as client:
        with pytest.raises(expected, match=message) as info:
            await HTTPXTransport(client).open(REQUEST, Timeouts())
    assert isinstance(info.value.__cause__, raised)
    assert getattr(info.value, "phase", None) == phase


async def test_httpx_server_disconnected_before_responding_is_a_transport_error() -> None:
    silent = "Server disconnected without sending a response."
    async with client_raising(httpx.RemoteProtocolError, silent) as client:
        with pytest.raises(TransportError, match="closed the connection before responding") as info:
            await HTTPXTransport(client).open(REQUEST, Timeouts())
    assert type(info.value) is TransportError
    assert info.value.retryable


async def test_httpx_transport_sends_the_request_with_its_timeouts() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"X-Up": "1"}, content=b"body")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        transport = HTTPXTransport(client)
        response = await transport.open(REQUEST, Timeouts(connect=1, read=2, write=3, pool=4))
        assert b"".join([chunk async for chunk in response.chunks]) == b"body"
        assert response.complete
        await response.aclose()
        await transport.aclose()
        assert not client.is_closed  # the caller's client stays open
        with pytest.raises(TransportClosed):
            await transport.open(REQUEST, Timeouts())
    assert response.status == 200
    assert response.headers["x-up"] == "1"
    assert sent[0].headers["x-mine"] == "yes"
    assert sent[0].content == b"{}"
    assert sent[0].extensions["timeout"] == {"connect": 1, "read": 2, "write": 3, "pool": 4}


@pytest.mark.parametrize("http_client", [httpx.AsyncClient(), lambda: httpx.AsyncClient()])
def test_a_provider_takes_an_http_client_or_a_transport_not_both(
    http_client: HTTPClientOption,
) -> None:
    with pytest.raises(TypeError, match="not both"):
        transport_slot(http_client, HTTPXTransport(httpx.AsyncClient()))


def test_httpx_transport_keeps_a_parsed_url_only_without_a_query_string() -> None:
    """A provider's URL is parsed once; one with a query string (which may carry a
    credential) is parsed every time and kept nowhere."""
    plain = "http://t/v1/chat/completions"
    assert _parsed(plain) is _parsed(plain)
    keyed = "http://t/v1/models/m:stream?key=sk-query-secret"
    assert _parsed(keyed) is not _parsed(keyed)
    assert str(_parsed(keyed)) == keyed


async def test_httpx_transport_sends_each_request_its_own_headers() -> None:
    """The headers are built into httpx's form once while they stay the same: a request
    with other headers sends its own, and a hook that changes one request's headers changes
    no later request's."""
    sent: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        if not sent:
            request.headers["x-mine"] = "hooked"

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=b"")

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), event_hooks={"request": [hook]}
    ) as client:
        transport = HTTPXTransport(client)
        for value in ("a", "a", "b", "a"):
            request = HTTPRequest("POST", "http://t/x", {"x-mine": value}, b"{}")
            response = await transport.open(request, Timeouts())
            await response.aclose()
    assert [request.headers["x-mine"] for request in sent] == ["hooked", "a", "b", "a"]
