"""The offline demo provider: real OpenAI-format bytes through the whole pipeline."""

from __future__ import annotations

import eventide
from eventide import Message, Metadata, ReasoningDelta, Request, TextDelta
from eventide.providers import demo


async def test_demo_streams_a_prompt_aware_answer() -> None:
    request = Request([Message.user("Why is the sky blue?")])
    async with demo() as provider, provider.stream(request) as events:
        seen = [event async for event in events]
    assert seen[0] == Metadata(
        provider="demo",
        model="eventide-demo-1",
        requested_model="eventide-demo-1",
        response_id="chatcmpl-demo",
    )
    text = "".join(e.text for e in seen if isinstance(e, TextDelta))
    reasoning = "".join(e.text for e in seen if isinstance(e, ReasoningDelta))
    assert "You asked: “Why is the sky blue?”" in text
    assert "OPENAI_API_KEY" in text
    assert reasoning.startswith("The prompt was “Why is the sky blue?”")


async def test_demo_collects_usage_and_finish() -> None:
    async with demo(name="offline") as provider:
        completion = await eventide.collect(provider.stream("hi"))
    assert completion.provider == "offline"
    assert completion.usage is not None
    assert completion.usage.input_tokens == 1
    assert completion.finish_reason == "stop"


async def test_demo_delay_streams_over_time(autojump_clock: object) -> None:
    import trio

    async with demo(delay=0.5) as provider:
        start = trio.current_time()
        await eventide.first_metadata(provider.stream("hi"))
        first = trio.current_time() - start
        await eventide.collect(provider.stream("hi"))
        whole = trio.current_time() - start - first
    assert first < 1
    assert whole > 10  # dozens of chunks, half a second apart
