"""g4f's options on eventide, each over a real server on 127.0.0.1: what maps is mapped
(``proxy``, ``image``/``media``, provider names, ``base_url``/``api_key``), and what has no
meaning here is a clear `TypeError` naming the replacement, raised before any I/O."""

from __future__ import annotations

import base64
import gc
import io
from typing import TYPE_CHECKING, Any

import pytest

import eventide
from eventide.compat import g4f
from eventide.compat.g4f.client import AsyncClient, Client
from eventide.providers import OpenAIChat
from tests.environment import PROVIDER_VARIABLES
from tests.http_server import Reply, ScriptedServer, openai_chunks, serve, serve_in_thread, slow

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
HELLO = [{"role": "user", "content": "Hello"}]


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ScriptedServer]:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    async with serve(Reply(body=openai_chunks(["Hi", "!"]))) as made:
        yield made


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient("openai", base_url=f"{server.url}/v1", api_key="sk-g4f") as made:
        yield made


async def test_positional_order_is_messages_then_model(
    client: AsyncClient, server: ScriptedServer
) -> None:
    response = await client.chat.completions.create(HELLO, "gpt-4o-mini")

    assert response.choices[0].message.content == "Hi!"
    sent = server.requests[0].json()
    assert (sent["messages"], sent["model"]) == (HELLO, "gpt-4o-mini")
    assert server.requests[0].headers["authorization"] == "Bearer sk-g4f"


async def test_base_url_alone_is_an_openai_compatible_server(server: ScriptedServer) -> None:
    async with AsyncClient(base_url=f"{server.url}/v1", api_key="sk-custom") as client:
        response = await client.chat.completions.create("Hello", "local-model")

    assert response.provider == "openai"
    assert server.requests[0].path == "/v1/chat/completions"


async def test_provider_per_call_is_a_provider_object_or_a_name(
    client: AsyncClient, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="mine") as mine:
        response = await client.chat.completions.create("Hello", provider=mine)
    assert response.provider == "mine"

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    with pytest.raises(ValueError, match="unknown provider 'PollinationsAI'"):
        client.chat.completions.create("Hello", provider="PollinationsAI")
    assert len(server.requests) == 1


async def test_proxy_sends_the_request_through_that_proxy(server: ScriptedServer) -> None:
    """The loopback server plays the proxy: it receives the request for the far host."""
    async with AsyncClient(
        "openai", base_url="http://api.example.invalid/v1", api_key="sk-proxied"
    ) as client:
        response = await client.chat.completions.create(HELLO, "gpt-4o-mini", proxy=server.url)

    assert response.choices[0].message.content == "Hi!"
    received = server.requests[0]
    assert received.path == "http://api.example.invalid/v1/chat/completions"
    assert received.headers["authorization"] == "Bearer sk-proxied"


async def test_proxies_on_the_client_map_like_g4f(server: ScriptedServer) -> None:
    async with AsyncClient(
        "openai", base_url="http://api.example.invalid/v1", proxies={"https": server.url}
    ) as client:
        await client.chat.completions.create(HELLO)

    assert server.requests[0].path.startswith("http://api.example.invalid/")


@pytest.mark.parametrize(
    ("image", "url"),
    [
        (PNG, "data:image/png;base64," + base64.b64encode(PNG).decode()),
        (io.BytesIO(PNG), "data:image/png;base64," + base64.b64encode(PNG).decode()),
        ("https://example.com/cat.jpeg", "https://example.com/cat.jpeg"),
    ],
    ids=["bytes", "file", "url"],
)
async def test_image_becomes_an_image_part_of_the_last_user_message(
    client: AsyncClient, server: ScriptedServer, image: Any, url: str
) -> None:
    messages = [{"role": "user", "content": "What are on this image?"}]
    await client.chat.completions.create(messages, "gpt-4o", image=image, image_name="cat")

    sent = server.requests[0].json()["messages"]
    assert sent == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What are on this image?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]
    assert messages == [{"role": "user", "content": "What are on this image?"}]  # not mutated


async def test_media_adds_every_image(client: AsyncClient, server: ScriptedServer) -> None:
    await client.chat.completions.create(
        "Compare them", media=[(PNG, "a.png"), ("https://example.com/b.png", "b.png")]
    )

    content = server.requests[0].json()["messages"][0]["content"]
    assert [part["type"] for part in content] == ["text", "image_url", "image_url"]


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"web_search": True}, "web_search_options"),
        ({"ignore_working": True}, "drop it"),
        ({"ignore_stream": True}, "every eventide provider streams"),
        ({"raw": True}, r"AsyncClient\.stream\(\)"),
        ({"conversation": object()}, "messages="),
        ({"response_format": "b64_json"}, "images API"),
        ({"image": b"not an image"}, "PNG, JPEG, GIF or WebP"),
        ({"image": 42}, "bytes or a URL"),
        ({"proxy": "ftp://proxy"}, "http, https, socks5"),
        ({"temperature": "hot"}, "temperature"),
        ({"frobnicate": 1}, "frobnicate"),
    ],
)
async def test_options_without_meaning_raise_before_any_io(
    client: AsyncClient, server: ScriptedServer, options: dict[str, Any], names: str
) -> None:
    with pytest.raises((TypeError, ValueError), match=names):
        client.chat.completions.create(HELLO, "gpt-4o-mini", **options)
    with pytest.raises((TypeError, ValueError), match=names):
        g4f.ChatCompletion.create_async("gpt-4o-mini", HELLO, provider="openai", **options)
    assert server.requests == []


async def test_false_g4f_options_are_accepted(client: AsyncClient) -> None:
    response = await client.chat.completions.create(
        HELLO, web_search=False, ignore_working=False, ignore_stream=False, raw=False
    )

    assert response.choices[0].message.content == "Hi!"


async def test_proxy_with_a_provider_object_names_http_client(server: ScriptedServer) -> None:
    async with OpenAIChat(base_url=f"{server.url}/v1", api_key="k") as mine:
        client = AsyncClient(mine)
        with pytest.raises(TypeError, match="http_client="):
            client.chat.completions.create(HELLO, proxy=server.url)
        await client.aclose()


def test_client_arguments_of_g4f_that_are_out_of_scope_are_refused() -> None:
    with pytest.raises(TypeError, match="out of scope"):
        AsyncClient("openai", media_provider="PollinationsImage")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AsyncClient("openai", image_provider="x")  # type: ignore[call-arg]


def test_leaving_a_sync_stream_closes_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    body = slow(openai_chunks([f"w{i} " for i in range(100)]))
    with serve_in_thread(Reply(body=body)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        with Client() as client:
            for chunk in client.chat.completions.create("Hello", stream=True):
                assert chunk.provider == "openai"
                break
            server.wait_disconnect_sync(timeout=2)

        assert server.completed == 0


def test_sync_client_works_without_a_reference_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """g4f's clients are never closed: ``Client().chat.completions.create(...)`` works, and a
    client's ``chat`` keeps working after the client object is gone; once nothing can use its
    eventide clients they close quietly (a ResourceWarning would fail this test)."""
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    with serve_in_thread(Reply(body=openai_chunks(["Hi", "!"]))) as server:
        url = f"{server.url}/v1"
        response = Client("openai", base_url=url, api_key="sk-g4f").chat.completions.create(HELLO)
        assert response.choices[0].message.content == "Hi!"
        chat = Client("openai", base_url=url, api_key="sk-g4f").chat
        gc.collect()
        assert chat.completions.create(HELLO).choices[0].message.content == "Hi!"
        del chat
        gc.collect()


def test_sync_stream_raises_a_refusal_as_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """g4f's ``create(stream=True)`` is a generator: a refusal comes as it is iterated, never
    at the call (openai-python's raises at the call; so does eventide's own client)."""
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    refusal = Reply(
        status=429,
        headers=(("content-type", "application/json"), ("retry-after-ms", "0")),
        body=[b'{"error": {"message": "slow down", "type": "rate_limit_error"}}'],
    )
    with serve_in_thread(refusal) as server:
        client = Client("openai", base_url=f"{server.url}/v1", api_key="sk-g4f")
        with client:
            chunks = client.chat.completions.create(HELLO, stream=True)  # no error yet
            with pytest.raises(eventide.RateLimitError):
                next(iter(chunks))
            legacy = g4f.ChatCompletion.create(
                "gpt-4o-mini",
                HELLO,
                provider=OpenAIChat(base_url=f"{server.url}/v1", api_key="k"),
                stream=True,
            )
            with pytest.raises(eventide.RateLimitError):
                next(iter(legacy))
