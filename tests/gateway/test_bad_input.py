"""Bad input on every endpoint: the right status in that API's own error shape, no upstream
request, and the server goes on serving the next client."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import trio

from eventide.routing import Router
from eventide.testing import Reply, ScriptedProvider

from .serving import gateway

QUESTION = [{"role": "user", "content": "q"}]
VALID: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"model": "m", "messages": QUESTION},
    "/v1/responses": {"model": "m", "input": "q"},
    "/v1/messages": {"model": "m", "max_tokens": 5, "messages": QUESTION},
}
JSON = {"content-type": "application/json"}


def error_of(path: str, response: httpx.Response) -> dict[str, Any]:
    """The error object of `response`, checked to be in `path`'s API shape: OpenAI's
    ``{"error": {"message", "type", "param", "code"}}`` or Anthropic's
    ``{"type": "error", "error": {"type", "message"}}``."""
    body = response.json()
    error: dict[str, Any] = body["error"]
    assert isinstance(error["message"], str)
    assert isinstance(error["type"], str)
    if path == "/v1/messages":
        assert body["type"] == "error"
        assert set(error) == {"type", "message"}
    else:
        assert set(body) == {"error"}
        assert set(error) == {"message", "type", "param", "code"}
    return error


def answered(path: str, response: httpx.Response) -> str:
    """The text of a whole answer in `path`'s API shape."""
    assert response.status_code == 200, response.text
    body = response.json()
    if path == "/v1/messages":
        return "".join(block["text"] for block in body["content"])
    if path == "/v1/responses":
        items = body["output"]
        return "".join(part["text"] for item in items for part in item["content"])
    return str(body["choices"][0]["message"]["content"])


@pytest.mark.parametrize("path", list(VALID))
@pytest.mark.parametrize(
    ("body", "headers", "status", "needle"),
    [
        (b"{not json", JSON, 400, "not valid JSON"),
        (b"[1, 2]", JSON, 400, "JSON object"),
        (b"hi", {"content-type": "text/plain"}, 415, "JSON"),
        (b"{}", {}, 415, "JSON"),  # no content type at all
        (None, JSON, 400, "frobnicate"),  # the valid body plus an unknown field
        (b"x" * 2000, JSON, 413, "larger than"),  # Content-Length over the limit
    ],
    ids=["malformed-json", "not-an-object", "wrong-type", "no-type", "unknown-field", "oversize"],
)
async def test_bad_body_gets_its_status_in_the_api_shape(
    path: str, body: bytes | None, headers: dict[str, str], status: int, needle: str
) -> None:
    """Unknown fields are refused, as OpenAI's and Anthropic's APIs refuse them."""
    provider = ScriptedProvider(Reply.text("fine"))
    content = body if body is not None else json.dumps({**VALID[path], "frobnicate": 1}).encode()
    async with gateway(provider, max_body_bytes=1000) as url, httpx.AsyncClient() as http:
        bad = await http.post(f"{url}{path}", content=content, headers=headers)
        assert provider.requests == ()  # no upstream request for an invalid one
        good = await http.post(f"{url}{path}", json=VALID[path])
    assert bad.status_code == status
    assert needle in error_of(path, bad)["message"]
    assert answered(path, good) == "fine"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
async def test_a_body_without_its_messages_gets_400_naming_them(path: str) -> None:
    provider = ScriptedProvider(Reply.text("fine"))
    body = {key: value for key, value in VALID[path].items() if key != "messages"}
    async with gateway(provider) as url, httpx.AsyncClient() as http:
        bad = await http.post(f"{url}{path}", json=body)
    assert bad.status_code == 400
    assert "messages" in error_of(path, bad)["message"]
    assert provider.requests == ()


async def exchange(url: str, path: str, framing: str, body: bytes = b"") -> httpx.Response:
    """Send a JSON request to `path` with `framing` headers and `body` in one write, over a
    connection of its own, and read the whole reply (the server closes the connection)."""
    host, port = url.removeprefix("http://").split(":")
    head = f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
    async with await trio.open_tcp_stream(host, int(port)) as stream:
        await stream.send_all(f"{head}{framing}connection: close\r\n\r\n".encode() + body)
        reply = b""
        while chunk := await stream.receive_some():
            reply += chunk
    status, _, rest = reply.partition(b"\r\n")
    return httpx.Response(int(status.split()[1]), content=rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize("path", list(VALID))
async def test_an_oversize_body_without_a_length_gets_413(path: str) -> None:
    """A chunked body is counted as it arrives: past the limit, 413."""
    provider = ScriptedProvider(Reply.text("fine"))
    data = b'{"model": "m", "messages": [' + b" " * 2000
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)
    async with gateway(provider, max_body_bytes=1000) as url, httpx.AsyncClient() as http:
        bad = await exchange(url, path, "transfer-encoding: chunked\r\n", chunked)
        good = await http.post(f"{url}{path}", json=VALID[path])
    assert bad.status_code == 413
    assert "larger than 1000 bytes" in error_of(path, bad)["message"]
    assert len(provider.requests) == 1  # only the good request went upstream
    assert answered(path, good) == "fine"


@pytest.mark.parametrize("path", list(VALID))
async def test_a_body_that_never_comes_gets_408_and_others_are_served(path: str) -> None:
    """The request head promises 100 bytes of body, and none comes."""
    provider = ScriptedProvider(Reply.text("fine"))
    async with gateway(provider, body_timeout=0.3) as url, httpx.AsyncClient() as http:
        replies: list[httpx.Response] = []
        async with trio.open_nursery() as nursery:

            async def wait() -> None:
                replies.append(await exchange(url, path, "content-length: 100\r\n"))

            nursery.start_soon(wait)
            good = await http.post(f"{url}{path}", json=VALID[path])
            assert not replies  # served while the silent client still waits
    assert answered(path, good) == "fine"
    assert replies[0].status_code == 408
    assert "did not arrive" in error_of(path, replies[0])["message"]
    assert len(provider.requests) == 1  # the good one only


@pytest.mark.parametrize("path", list(VALID))
@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer sk-wrong"}, {"x-api-key": "sk-wrong"}, {"x-api-key": ""}],
    ids=["missing", "wrong-bearer", "wrong-x-api-key", "empty"],
)
async def test_missing_or_wrong_key_gets_401_in_the_api_shape(
    path: str, headers: dict[str, str]
) -> None:
    provider = ScriptedProvider(Reply.text("fine"))
    async with gateway(provider, api_keys=["sk-gate"]) as url, httpx.AsyncClient() as http:
        bad = await http.post(f"{url}{path}", json=VALID[path], headers=headers)
        assert provider.requests == ()
        good = await http.post(f"{url}{path}", json=VALID[path], headers={"x-api-key": "sk-gate"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"
    error = error_of(path, bad)
    assert "API key" in error["message"]
    assert "sk-gate" not in bad.text
    if path == "/v1/messages":
        assert error["type"] == "authentication_error"
    else:
        assert error["code"] == "invalid_api_key"
    assert answered(path, good) == "fine"


@pytest.mark.parametrize("path", list(VALID))
async def test_an_unknown_model_gets_404_and_no_upstream_request(path: str) -> None:
    provider = ScriptedProvider(Reply.text("fine"), name="up")
    router = Router({"up": provider}, aliases={"m": ["up"]})
    async with gateway(router) as url, httpx.AsyncClient() as http:
        bad = await http.post(f"{url}{path}", json={**VALID[path], "model": "no-such-model"})
        assert provider.requests == ()
        good = await http.post(f"{url}{path}", json=VALID[path])
    assert bad.status_code == 404
    error = error_of(path, bad)
    assert "no-such-model" in error["message"]
    if path == "/v1/messages":
        assert error["type"] == "not_found_error"
    else:
        assert error["code"] == "model_not_found"
    assert answered(path, good) == "fine"


@pytest.mark.parametrize("tool", ["web_search", "file_search", "code_interpreter"])
async def test_a_responses_built_in_tool_gets_400_and_no_upstream_request(tool: str) -> None:
    """Only OpenAI's own servers run the Responses API's built-in tools: naming one is refused
    in the Responses error shape, before any upstream request; function tools are served."""
    provider = ScriptedProvider(Reply.text("fine"))
    function = {"type": "function", "name": "f", "parameters": {"type": "object"}}
    async with gateway(provider) as url, httpx.AsyncClient() as http:
        bad = await http.post(
            f"{url}/v1/responses", json={**VALID["/v1/responses"], "tools": [{"type": tool}]}
        )
        assert provider.requests == ()
        good = await http.post(
            f"{url}/v1/responses", json={**VALID["/v1/responses"], "tools": [function]}
        )
    assert bad.status_code == 400
    assert repr(tool) in error_of("/v1/responses", bad)["message"]
    assert answered("/v1/responses", good) == "fine"
