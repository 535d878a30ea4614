"""A conversation's developer message and an assistant's refusal reach each API in its form.

openai-python sends both as given: ``{"role": "developer"}``, and the assistant's refusal as
``{"content": null, "refusal": ...}`` or as a ``{"type": "refusal"}`` content part. OpenAI's
own API keeps the developer role; any other server of its wires (LM Studio, llama.cpp,
vLLM...: a 400 for ``developer``) is sent a system message, and the other APIs make it the
system prompt and take the refusal as the assistant's text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from eventide import AsyncClient
from eventide._transport import InMemoryTransport
from tests.http_server import Reply, ScriptedServer, serve, sse
from tests.kits import KITS, OPENAI, OPENAI_RESPONSES, Kit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from eventide.providers import Provider

REFUSAL = "I can't help with that."
REFUSED: dict[str, dict[str, Any]] = {
    "field": {"role": "assistant", "content": None, "refusal": REFUSAL},
    "part": {"role": "assistant", "content": [{"type": "refusal", "refusal": REFUSAL}]},
}

# kit: (where its body puts the system prompt and the assistant turn, what they are there)
SENT: dict[str, tuple[Callable[[dict[str, Any]], Any], Any]] = {
    "openai": (
        lambda body: (body["messages"][0], body["messages"][2]),
        ({"role": "system", "content": "Be brief."}, REFUSED["field"]),
    ),
    "openai-responses": (
        lambda body: (body["input"][0], body["input"][2]["content"]),
        (
            {"type": "message", "role": "system", "content": "Be brief."},
            [{"type": "output_text", "text": REFUSAL}],
        ),
    ),
    "anthropic": (
        lambda body: (body["system"], body["messages"][1]),
        ("Be brief.", {"role": "assistant", "content": REFUSAL}),
    ),
    "gemini": (
        lambda body: (body["systemInstruction"], body["contents"][1]),
        ({"parts": [{"text": "Be brief."}]}, {"role": "model", "parts": [{"text": REFUSAL}]}),
    ),
    "ollama": (
        lambda body: (body["messages"][0], body["messages"][2]),
        ({"role": "system", "content": "Be brief."}, {"role": "assistant", "content": REFUSAL}),
    ),
}


@pytest.fixture
async def client(provider: Provider) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(provider) as made:
        yield made


@pytest.mark.parametrize("form", sorted(REFUSED))
async def test_developer_message_and_refusal_reach_each_api_in_its_form(
    kit: Kit, server: ScriptedServer, client: AsyncClient, form: str
) -> None:
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": "q"},
        REFUSED[form],
        {"role": "user", "content": "why?"},
    ]
    await client.chat.completions.create(messages=messages)
    where, sent = SENT[kit.name]
    assert where(server.requests[0].json()) == sent


@pytest.mark.parametrize("kit", [OPENAI, OPENAI_RESPONSES], ids=str)
@pytest.mark.parametrize(
    ("base_url", "role"),
    [
        ("https://api.openai.com", "developer"),
        ("https://API.openai.com:443/v1/", "developer"),
        ("https://eu.api.openai.com/v1", "developer"),  # data residency: OpenAI's own API
        ("https://api.openai.com./v1", "developer"),
        ("https://api.openai.com.example.net/v1", "system"),
        ("https://notapi.openai.com/v1", "system"),
    ],
)
async def test_the_openai_api_itself_is_sent_the_developer_role(
    kit: Kit, base_url: str, role: str
) -> None:
    """api.openai.com (and its regional hosts) knows ``developer``: only they are sent the
    role."""
    sent: list[Mapping[str, Any]] = []

    async def answer(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        sent.append(payload)
        for piece in kit.body(["ok"]):
            yield piece

    official = kit.provider(base_url, transport=InMemoryTransport(answer))
    async with AsyncClient(official) as client:
        await client.chat.completions.create(
            messages=[
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": "q"},
            ]
        )
    first = (sent[0].get("messages") or sent[0]["input"])[0]
    assert first["role"] == role


def _refusing_body() -> list[bytes]:
    """An OpenAI chat stream whose answer is a refusal."""
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    deltas: list[tuple[dict[str, Any], str | None]] = [
        ({"role": "assistant", "content": None}, None),
        ({"refusal": REFUSAL}, None),
        ({}, "stop"),
    ]
    pieces = [
        sse({**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        for delta, finish in deltas
    ]
    return [*pieces, sse("[DONE]")]


@pytest.mark.parametrize("kit", [KITS[0]], ids=str)
async def test_a_refused_answer_appended_to_the_messages_continues_the_conversation(
    kit: Kit,
) -> None:
    """``messages.append(completion.choices[0].message)``: the refusal goes back as it came."""
    async with (
        serve(Reply(body=_refusing_body())) as server,
        kit.provider(server.url) as provider,
        AsyncClient(provider) as client,
    ):
        messages: list[Any] = [{"role": "user", "content": "q"}]
        completion = await client.chat.completions.create(messages=messages)
        assert completion.choices[0].message.refusal == REFUSAL
        messages += [completion.choices[0].message, {"role": "user", "content": "why?"}]
        await client.chat.completions.create(messages=messages)
    assert server.requests[1].json()["messages"][1] == REFUSED["field"]
