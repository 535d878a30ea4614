"""`Ollama` over a real HTTP/1.1 server on 127.0.0.1: the request it sends, the stream it reads,
early close, mid-stream errors, truncation and HTTP errors; and its configuration."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import eventide
from eventide import (
    AuthenticationError,
    BadRequestError,
    ImagePart,
    Message,
    Metadata,
    NotFoundError,
    OverloadedError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    Request,
    ServerError,
    TextDelta,
    TextPart,
    ToolSpec,
    Usage,
)
from eventide.providers._ollama import Ollama, ollama_base_url
from tests.http_server import Cut, Pause, Reply, ScriptedServer, Stall, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

NDJSON = (("content-type", "application/x-ndjson"),)
DISCONNECT_BUDGET = 0.1  # seconds from the client's close to the server noticing


def line(value: dict[str, Any]) -> bytes:
    """One NDJSON line as Ollama writes it (compact JSON, then LF)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def ollama_lines(
    texts: Sequence[str],
    *,
    model: str = "llama3.2",
    thinking: Sequence[str] = (),
    done: bool = True,
) -> list[bytes]:
    """An Ollama /api/chat body, one line per piece: thinking lines, text lines, a done line."""
    stamp = "2026-08-03T09:14:02.5112Z"

    def chunk(message: dict[str, Any]) -> bytes:
        return line(
            {
                "model": model,
                "created_at": stamp,
                "message": {"role": "assistant", **message},
                "done": False,
            }
        )

    pieces = [chunk({"content": "", "thinking": thought}) for thought in thinking]
    pieces.extend(chunk({"content": text}) for text in texts)
    if done:
        pieces.append(
            line(
                {
                    "model": model,
                    "created_at": stamp,
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "total_duration": 1337866917,
                    "load_duration": 21580459,
                    "prompt_eval_count": 26,
                    "prompt_eval_duration": 88316000,
                    "eval_count": len(texts) + len(thinking),
                    "eval_duration": 1226912000,
                }
            )
        )
    return pieces


WORDS = [f"word{i} " for i in range(200)]
LONG = ollama_lines(WORDS)  # far more than the tests read before closing


def slow(pieces: list[bytes], pause: float = 0.01) -> list[bytes | Pause]:
    """The pieces with a pause before each, as a model generating tokens would send them."""
    return [part for piece in pieces for part in (Pause(pause), piece)]


def error_reply(status: int, text: str, *headers: tuple[str, str]) -> Reply:
    return Reply(
        status=status,
        headers=(("content-type", "application/json; charset=utf-8"), *headers),
        body=[json.dumps({"error": text}).encode()],
    )


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    body = ollama_lines(["Hello", ", ", "world"], thinking=["Greet."])
    async with serve(Reply(headers=NDJSON, body=body)) as running:
        yield running


@pytest.fixture
async def provider(server: ScriptedServer) -> AsyncIterator[Ollama]:
    async with Ollama(base_url=server.url) as made:
        yield made


async def assert_disconnect_seen(server: ScriptedServer, since: float) -> None:
    seen = await server.wait_disconnect(timeout=2)
    assert seen - since < DISCONNECT_BUDGET, f"server saw the close after {seen - since:.3f} s"


# -- a full stream ---------------------------------------------------------------------------


async def test_ollama_provider_collects_a_full_stream(
    server: ScriptedServer, provider: Ollama
) -> None:
    completion = await eventide.collect(provider.stream("Say hello"))
    assert completion.metadata == Metadata(
        provider="ollama", model="llama3.2", requested_model="llama3.2"
    )
    assert completion.reasoning == "Greet."
    assert completion.text == "Hello, world"
    assert completion.usage == Usage(26, 4, 30)
    assert completion.finish_reason == "stop"
    assert completion.raw_finish_reason == "stop"
    assert completion.complete
    assert server.completed == 1
    assert server.disconnects == []


async def test_ollama_provider_sends_the_request_ollama_expects(
    server: ScriptedServer, provider: Ollama
) -> None:
    request: Any = Request(
        messages=[
            Message.system("Be brief."),
            Message.user([TextPart("What is this?"), ImagePart(data="iVBORw0K", media_type="x")]),
        ],
        tools=[ToolSpec("look", "Look closer.", {"type": "object", "properties": {}})],
        max_tokens=64,
        temperature=0.2,
    )
    await eventide.collect(provider.stream(request, model="llava"))
    (received,) = server.requests
    assert received.method == "POST"
    assert received.path == "/api/chat"
    assert received.headers["accept"] == "application/x-ndjson"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"].startswith("eventide/")
    assert "authorization" not in received.headers
    assert received.json() == {
        "model": "llava",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is this?", "images": ["iVBORw0K"]},
        ],
        "stream": True,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "look",
                    "description": "Look closer.",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
        "options": {"temperature": 0.2, "num_predict": 64},
    }


async def test_ollama_provider_sends_a_bearer_token_only_when_given_a_key(
    server: ScriptedServer,
) -> None:
    async with Ollama(base_url=server.url, api_key="ok-secret-123") as provider:
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert server.requests[0].headers["authorization"] == "Bearer ok-secret-123"


async def test_ollama_provider_reuses_the_connection_after_a_complete_stream(
    server: ScriptedServer, provider: Ollama
) -> None:
    for _ in range(3):
        assert await eventide.collect_text(provider.stream("hi")) == "Hello, world"
    assert server.connections_accepted == 1
    assert server.disconnects == []


async def test_ollama_provider_stops_at_the_done_line_without_waiting_for_eof(
    server: ScriptedServer, provider: Ollama
) -> None:
    """The done line ends the response (DESIGN rule 2), even if the server keeps the body open."""
    server.reply(Reply(headers=NDJSON, body=[*ollama_lines(["Hi"]), Stall()]))
    start = time.monotonic()
    completion = await eventide.collect(provider.stream("hi"))
    assert completion.text == "Hi"
    assert completion.finish_reason == "stop"
    assert time.monotonic() - start < 1.0


async def test_ollama_provider_reads_a_200_json_body_as_one_line(
    server: ScriptedServer, provider: Ollama
) -> None:
    """A proxy that answers with one whole JSON object (application/json) is still read."""
    whole = {
        "model": "llama3.2",
        "created_at": "2026-08-03T09:14:02.5112Z",
        "message": {"role": "assistant", "content": "All at once."},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 5,
        "eval_count": 4,
    }
    server.reply(
        Reply(headers=(("content-type", "application/json"),), body=[json.dumps(whole).encode()])
    )
    completion = await eventide.collect(provider.stream("hi"))
    assert completion.text == "All at once."
    assert completion.usage == Usage(5, 4, 9)


async def test_ollama_provider_rejects_an_html_page(
    server: ScriptedServer, provider: Ollama
) -> None:
    server.reply(
        Reply(headers=(("content-type", "text/html"),), body=[b"<html><title>Login</title></html>"])
    )
    with pytest.raises(ProtocolError, match="got text/html") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "ollama"


# -- early close -----------------------------------------------------------------------------


async def test_ollama_provider_first_metadata_closes_the_connection_at_once(
    server: ScriptedServer, provider: Ollama
) -> None:
    server.reply(Reply(headers=NDJSON, body=slow(LONG)))
    metadata = await eventide.first_metadata(provider.stream("hi"))
    closed_at = time.monotonic()
    assert metadata == Metadata(provider="ollama", model="llama3.2", requested_model="llama3.2")
    await assert_disconnect_seen(server, closed_at)
    assert server.completed == 0


async def test_ollama_provider_async_with_break_closes_the_connection(
    server: ScriptedServer, provider: Ollama
) -> None:
    server.reply(Reply(headers=NDJSON, body=slow(LONG)))
    async with provider.stream("hi") as events:
        async for event in events:
            if isinstance(event, TextDelta):
                break
    closed_at = time.monotonic()
    await assert_disconnect_seen(server, closed_at)


# -- failures mid-stream ---------------------------------------------------------------------


async def test_ollama_provider_mid_stream_error_keeps_the_partial_result(
    server: ScriptedServer, provider: Ollama
) -> None:
    error = b'{"error":"an error was encountered while running the model"}\n'
    server.reply(Reply(headers=NDJSON, body=[*LONG[:3], error]))
    with pytest.raises(ServerError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "ollama"
    assert info.value.message == "an error was encountered while running the model"
    assert info.value.retryable
    assert info.value.content_emitted
    partial = info.value.partial
    assert partial is not None
    assert partial.text == "word0 word1 word2 "
    assert partial.metadata is not None
    assert partial.metadata.provider == "ollama"
    assert partial.finish_reason is None
    assert not partial.complete


async def test_ollama_provider_truncated_body_is_a_protocol_error_with_the_partial(
    server: ScriptedServer, provider: Ollama
) -> None:
    server.reply(Reply(headers=NDJSON, body=[*LONG[:4], LONG[4][:25], Cut()]))
    with pytest.raises(ProtocolError, match="broken HTTP response") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "ollama"
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 word2 word3 "
    assert info.value.content_emitted


async def test_ollama_provider_body_ending_mid_line_is_truncated(
    server: ScriptedServer, provider: Ollama
) -> None:
    """A body whose framing is complete (Content-Length) but whose last line is cut."""
    server.reply(Reply(headers=NDJSON, body=[*LONG[:2], LONG[2][:40]], content_length=True))
    with pytest.raises(ProtocolError, match="middle of a line: the response is truncated") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "ollama"
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 "


async def test_ollama_provider_body_closed_before_the_done_line_is_truncated(
    server: ScriptedServer, provider: Ollama
) -> None:
    """A complete chunked body that never sent the done line is still a cut response."""
    server.reply(Reply(headers=NDJSON, body=ollama_lines(["Half"], done=False)))
    with pytest.raises(ProtocolError, match="before the done line") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "Half"


# -- HTTP errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (error_reply(404, 'model "llama9" not found, try pulling it first'), NotFoundError),
        (error_reply(400, "invalid character 'x' looking for beginning of value"), BadRequestError),
        (error_reply(401, "unauthorized"), AuthenticationError),
        (error_reply(500, "llama runner process has terminated: exit status 2"), ServerError),
        (
            error_reply(503, "server busy, please try again.  maximum pending requests exceeded"),
            OverloadedError,
        ),
    ],
    ids=["404", "400", "401", "500", "503"],
)
async def test_ollama_provider_maps_http_error_status_to_typed_error(
    server: ScriptedServer, provider: Ollama, reply: Reply, cls: type[ProviderError]
) -> None:
    server.reply(reply)
    with pytest.raises(ProviderError) as info:
        await eventide.collect(provider.stream("hi", model="llama9"))
    assert type(info.value) is cls
    assert info.value.status_code == reply.status
    assert info.value.provider == "ollama"
    expected = json.loads(b"".join(p for p in reply.body if isinstance(p, bytes)))["error"]
    assert info.value.message == f"HTTP {reply.status}: {expected}"
    assert not info.value.content_emitted


async def test_ollama_provider_http_429_carries_retry_after(
    server: ScriptedServer, provider: Ollama
) -> None:
    server.reply(error_reply(429, "too many requests", ("retry-after", "17")))
    with pytest.raises(RateLimitError) as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.status_code == 429
    assert info.value.retry_after == 17.0
    assert info.value.retryable


async def test_ollama_provider_never_puts_the_key_in_an_error(server: ScriptedServer) -> None:
    server.reply(error_reply(401, "unauthorized: key ok-secret-123 was revoked"))
    async with Ollama(base_url=server.url, api_key="ok-secret-123") as provider:
        with pytest.raises(AuthenticationError) as info:
            await eventide.collect(provider.stream("hi"))
    assert "ok-secret-123" not in str(info.value)
    assert "ok-secret-123" not in info.value.body
    assert "[redacted]" in info.value.message


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1:11434", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[::]", "http://[::1]:11434"),
        ("::1", "http://[::1]:11434"),
        ("[::1]:1337", "http://[::1]:1337"),
        ("gpu-box", "http://gpu-box:11434"),
        ("gpu-box:9000", "http://gpu-box:9000"),
        (":9000", "http://localhost:9000"),
        ("gpu-box:99999", "http://gpu-box:11434"),
        (' "10.0.0.5" ', "http://10.0.0.5:11434"),
        ("http://10.0.0.5", "http://10.0.0.5"),
        ("https://10.0.0.5:4321/", "https://10.0.0.5:4321"),
        ("https://0.0.0.0:4321", "https://127.0.0.1:4321"),
        ("https://proxy.example/ollama", "https://proxy.example/ollama"),
        ("proxy.example:8443/ollama", "http://proxy.example:8443/ollama"),
        ("ollama.com", "https://ollama.com"),
        ("https://ollama.com/api", "https://ollama.com"),
        ("", "http://localhost:11434"),
    ],
)
def test_ollama_base_url_reads_ollama_host_as_ollama_does(host: str, url: str) -> None:
    assert ollama_base_url(host) == url


def test_ollama_provider_reads_its_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:11500")
    monkeypatch.setenv("OLLAMA_MODEL", "qwen3:8b")
    provider = Ollama()
    assert provider.name == "ollama"
    assert provider.base_url == "http://127.0.0.1:11500"
    assert provider.model == "qwen3:8b"
    explicit = Ollama(base_url="http://gpu-box:11434/", model="gemma3", name="gpu")
    assert (explicit.base_url, explicit.model, explicit.name) == (
        "http://gpu-box:11434",
        "gemma3",
        "gpu",
    )


def test_ollama_provider_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("OLLAMA_MODEL", raising=False)
    provider = Ollama()
    assert provider.base_url == "http://localhost:11434"
    assert provider.model == "llama3.2"


async def test_ollama_provider_sends_no_key_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only api_key= is sent: a key in the environment is not sent to whatever host is set."""
    monkeypatch.setenv("OLLAMA_API_KEY", "ok-from-env")
    async with Ollama(base_url=server.url) as provider:
        await eventide.collect(provider.stream("hi"))
    assert "authorization" not in server.requests[0].headers


def test_ollama_provider_keeps_the_key_out_of_its_repr() -> None:
    provider = Ollama(base_url="http://gpu-box:11434", api_key="ok-secret-123")
    assert "ok-secret-123" not in repr(provider)
    assert "api_key=set" in repr(provider)
    assert "api_key=unset" in repr(Ollama(base_url="http://gpu-box:11434"))


def test_ollama_provider_rejects_an_image_url_before_sending() -> None:
    provider = Ollama(base_url="http://gpu-box:11434")
    request = Request(messages=[Message.user([ImagePart(url="https://x.test/cat.png")])])
    with pytest.raises(ValueError, match="not by URL"):
        provider.stream(request)


async def test_ollama_provider_needs_a_key_for_ollama_com() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        provider = Ollama(base_url="https://ollama.com/api", http_client=client)
        with pytest.raises(AuthenticationError, match=r"ollama\.com needs one") as info:
            await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "ollama"
    assert sent == []
