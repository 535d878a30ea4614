"""How a user tests their own code with `eventide.testing`: no network, no mock library.

The functions under test are the kind users write; the tests are the kind docs/testing.md
shows.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import trio
import trio.testing

from eventide import (
    AsyncClient,
    Client,
    Message,
    Metadata,
    OverloadedError,
    StreamTimeout,
    Timeouts,
    Usage,
    collect,
)
from eventide.routing import Fallback, RetryPolicy, Router
from eventide.testing import Reply, ScriptedProvider, ScriptExhausted

ANTHROPIC = (Path(__file__).resolve().parents[1] / "data" / "anthropic" / "text.sse").read_bytes()

# -- the user's code ---------------------------------------------------------------------------


async def capital_of(client: AsyncClient, country: str) -> str:
    """The user's function under test: one chat completion, OpenAI style."""
    completion = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Answer with the city only."},
            {"role": "user", "content": f"What is the capital of {country}?"},
        ],
        temperature=0,
    )
    return (completion.choices[0].message.content or "").strip()


async def shout(client: AsyncClient, prompt: str) -> list[str]:
    """The user's streaming function: the upper-cased pieces, as they come."""
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}], stream=True
    )
    return [
        chunk.choices[0].delta.content.upper()
        async for chunk in stream
        if chunk.choices and chunk.choices[0].delta.content
    ]


def summary_of(client: Client, text: str) -> str:
    """The user's sync function."""
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Summarise: {text}"}]
    )
    return completion.choices[0].message.content or ""


# -- the tests ---------------------------------------------------------------------------------


async def test_story_a_function_using_the_async_client() -> None:
    provider = ScriptedProvider("Paris ")
    async with AsyncClient(provider) as client:
        assert await capital_of(client, "France") == "Paris"
    request = provider.assert_called_once()
    assert request.model == "gpt-4o-mini"
    assert request.temperature == 0
    assert request.messages[-1] == Message.user("What is the capital of France?")
    sent = provider.last_http_request.json
    assert sent["messages"][0] == {"role": "system", "content": "Answer with the city only."}
    assert sent["temperature"] == 0


async def test_story_a_streaming_function() -> None:
    provider = ScriptedProvider(Reply.text(["Hel", "lo ", "there"], usage=Usage(5, 3)))
    async with AsyncClient(provider) as client:
        assert await shout(client, "hi") == ["HEL", "LO ", "THERE"]
    assert provider.remaining == 0


def test_story_a_function_using_the_sync_client() -> None:
    provider = ScriptedProvider("A short summary.")
    with Client(provider) as client:
        assert summary_of(client, "a long text") == "A short summary."
    assert provider.assert_called_once().messages[0] == Message.user("Summarise: a long text")


async def test_story_a_fallback_from_a_scripted_503_to_a_scripted_answer(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The primary answers 503 twice (the default policy retries once, after a backoff that
    the virtual clock skips); the backup answers; the client's answer names it."""
    busy = Reply.http_error(503, {"error": {"message": "overloaded", "type": "server_error"}})
    primary = ScriptedProvider(busy, busy, name="primary")
    backup = ScriptedProvider("Paris", name="backup")
    async with Fallback([primary, backup]) as router, AsyncClient(router) as client:
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Capital of France?"}]
        )
    assert completion.provider == "backup"
    assert completion.choices[0].message.content == "Paris"
    assert (primary.call_count, backup.call_count) == (2, 1)
    assert primary.remaining == backup.remaining == 0
    assert primary.requests[0] == primary.requests[1] == backup.last_request


async def test_story_the_router_records_the_failed_attempts(
    autojump_clock: trio.testing.MockClock,
) -> None:
    primary = ScriptedProvider(Reply.http_error(503), name="primary")
    backup = ScriptedProvider("Paris", name="backup")
    router = Fallback([primary, backup], retry=RetryPolicy(attempts=1))
    completion = await collect(router.stream("Capital of France?"))
    assert completion.text == "Paris"
    assert completion.metadata is not None
    [attempt] = completion.metadata.attempts
    assert (attempt.provider, attempt.error, attempt.status_code) == ("primary", "overloaded", 503)
    assert primary.last_request == backup.last_request


async def test_story_a_router_alias_falls_back_across_apis() -> None:
    """An alias over two providers of different APIs: the OpenAI one answers 503 (not
    retried here), the Anthropic one from a recorded stream; each is asked for its model."""
    openai = ScriptedProvider(Reply.http_error(503), name="openai")
    anthropic = ScriptedProvider(
        Reply.transcript(ANTHROPIC, api="anthropic"), name="anthropic", api_key="sk-ant-x"
    )
    router = Router(
        {"openai": openai, "anthropic": anthropic},
        {"smart": ["openai:gpt-4o", "anthropic:claude-sonnet-4-5"]},
        retry=RetryPolicy(attempts=1),
    )
    async with AsyncClient(router) as client:
        completion = await client.chat.completions.create(model="smart", messages="Salut !")
    assert completion.provider == "anthropic"
    assert (completion.choices[0].message.content or "").startswith("Bonjour à tous")
    assert (openai.last_request.model, anthropic.last_request.model) == (
        "gpt-4o",
        "claude-sonnet-4-5",
    )
    assert anthropic.last_http_request.url.endswith("/v1/messages")
    assert anthropic.last_http_request.json["model"] == "claude-sonnet-4-5"


async def test_story_a_batch_with_a_function_of_the_request() -> None:
    def echo(request: object) -> str:
        return f"echo: {provider.call_count}"

    provider = ScriptedProvider(respond=echo)
    async with (
        AsyncClient(provider) as client,
        client.batch(["a", "b", "c"], max_concurrency=2, ordered=True) as results,
    ):
        texts = [result.completion.text async for result in results if result.completion]
    assert sorted(texts) == ["echo: 1", "echo: 2", "echo: 3"]
    assert [r.messages[0].content for r in provider.requests] == ["a", "b", "c"]


async def test_story_an_error_the_users_code_must_handle(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A reply per try: a client that retries 5xx asks again (the virtual clock skips the
    waits), and gives up with the last typed error."""
    busy = Reply.http_error(503, headers={"retry-after": "3"})
    provider = ScriptedProvider(busy, busy, busy)
    async with AsyncClient(provider) as client:
        with pytest.raises(OverloadedError) as caught:
            await capital_of(client, "France")
    assert caught.value.retry_after == 3.0
    assert caught.value.provider == "scripted"


async def test_story_time_budgets_with_a_virtual_clock(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """`delay` and `latency` sleep with the runtime's clock: trio's autojump clock skips
    them, so a test of timeouts takes no real time."""
    slow = ScriptedProvider(Reply.text("one two three", delay=2.0), timeouts=Timeouts(idle=1.0))
    with pytest.raises(StreamTimeout) as caught:
        await collect(slow.stream("count"))
    assert caught.value.phase == "idle"
    assert not caught.value.content_emitted  # Metadata came, then nothing for 2 s
    assert caught.value.partial is not None
    assert caught.value.partial.provider == "scripted"
    patient = ScriptedProvider(Reply.text("one two three", delay=2.0), timeouts=Timeouts(idle=3))
    assert (await collect(patient.stream("count"))).text == "one two three"
    start = trio.current_time()
    late = ScriptedProvider(Reply.text("hi", latency=30.0), timeouts=Timeouts(first_event=60))
    assert (await collect(late.stream("hi"))).text == "hi"
    assert trio.current_time() - start == pytest.approx(30.0)


async def test_story_too_many_requests_fail_the_test_loudly() -> None:
    provider = ScriptedProvider("only once")
    assert (await collect(provider.stream("one"))).text == "only once"
    with pytest.raises(ScriptExhausted, match="request 2"):
        provider.stream("two")


def test_story_it_runs_under_asyncio_too() -> None:
    async def main() -> Metadata | None:
        provider = ScriptedProvider(Reply.text("hi", delay=0.001))
        return (await collect(provider.stream("hi"))).metadata

    metadata = asyncio.run(main())
    assert metadata is not None
    assert metadata.provider == "scripted"
