"""`Ollama`'s own cases over a real HTTP/1.1 server on 127.0.0.1 (what every provider does is
in test_http.py): thinking, the request body, a whole JSON answer, a body cut mid-line; and how
it reads ``OLLAMA_HOST``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

import eventide
from eventide import ImagePart, Message, ProtocolError, Request, TextPart, ToolSpec, Usage
from eventide.providers._ollama import Ollama, ollama_base_url
from tests.http_server import Reply
from tests.kits import OLLAMA, kit_fixture, ollama_stream

if TYPE_CHECKING:
    from eventide.providers import Provider
    from tests.http_server import ScriptedServer


kit = kit_fixture(OLLAMA)


async def test_ollama_provider_collects_thinking_and_counts_it(
    server: ScriptedServer, provider: Provider
) -> None:
    body = ollama_stream(["Hello", ", ", "world"], thinking=["Greet."])
    server.reply(Reply(headers=OLLAMA.headers, body=body))
    completion = await eventide.collect(provider.stream("Say hello"))
    assert completion.reasoning == "Greet."
    assert completion.text == "Hello, world"
    assert completion.usage == Usage(26, 4, 30)


async def test_ollama_provider_sends_the_request_ollama_expects(
    server: ScriptedServer, provider: Provider
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


async def test_ollama_provider_reads_a_200_json_body_as_one_line(
    server: ScriptedServer, provider: Provider
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


async def test_ollama_provider_body_ending_mid_line_is_truncated(
    server: ScriptedServer, provider: Provider
) -> None:
    """A body whose framing is complete (Content-Length) but whose last line is cut."""
    long = OLLAMA.long()
    server.reply(Reply(headers=OLLAMA.headers, body=[*long[:2], long[2][:40]], content_length=True))
    with pytest.raises(ProtocolError, match="middle of a line: the response is truncated") as info:
        await eventide.collect(provider.stream("hi"))
    assert info.value.provider == "ollama"
    assert info.value.partial is not None
    assert info.value.partial.text == "word0 word1 "


async def test_ollama_provider_sends_no_key_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only api_key= is sent: a key in the environment is not sent to whatever host is set."""
    monkeypatch.setenv("OLLAMA_API_KEY", "ok-from-env")
    async with Ollama(base_url=server.url) as provider:
        await eventide.collect(provider.stream("hi"))
    assert "authorization" not in server.requests[0].headers


def test_ollama_provider_rejects_an_image_url_before_sending() -> None:
    provider = Ollama(base_url="http://gpu-box:11434")
    request = Request(messages=[Message.user([ImagePart(url="https://x.test/cat.png")])])
    with pytest.raises(ValueError, match="not by URL"):
        provider.stream(request)


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
