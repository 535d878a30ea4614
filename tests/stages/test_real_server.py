"""Stages over a real socket: an `OpenAIChat` provider on a 127.0.0.1 server, wrapped."""

from __future__ import annotations

import attrs
import pytest

import eventide
from eventide import Event, Message, ReasoningDelta, StageError, TextDelta, collect
from eventide.stages import StageBase, Staged, extract_reasoning, redact, smooth, tap, tee
from tests.http_server import Cut, Pause, Reply, openai_chunks, serve
from tests.kits import OPENAI

PIECES = ["<th", "ink>The key is sk-ab", "c123.</thi", "nk>Blue, ", "because of sk-", "xyz789."]


class System(StageBase):
    """Adds a system message to the request on its way out."""

    def start(self, request: eventide.Request) -> eventide.Request:
        return attrs.evolve(request, messages=(Message.system("Be brief."), *request.messages))


async def test_stages_over_a_real_server() -> None:
    seen: list[Event] = []
    async with serve(Reply(body=openai_chunks(PIECES))) as server:
        async with OPENAI.provider(server.url, api_key="sk-test") as provider:
            staged = tap(
                smooth(redact(extract_reasoning(Staged(provider, System)), r"sk-[a-z0-9]{6}")),
                seen.append,
            )
            completion = await collect(staged.stream("Why is the sky blue?"))
        [received] = server.requests
    assert completion.text == "Blue, because of [redacted]."
    assert completion.reasoning == "The key is [redacted]."
    assert completion.finish_reason == "stop"
    assert completion.usage is not None
    assert received.json()["messages"][0] == {"role": "system", "content": "Be brief."}
    assert type(seen[0]) is eventide.Metadata
    assert type(seen[-1]) is eventide.Finish
    assert any(type(event) is ReasoningDelta for event in seen)


async def test_stage_error_and_a_cut_connection_over_a_real_server() -> None:
    def explode(event: Event) -> None:
        if event == TextDelta("Blue, "):
            raise ValueError("bad event")

    body: list[bytes | Pause] = [*openai_chunks(["Sky ", "Blue, ", "ok"])]
    body.insert(2, Pause(0.05))  # "Sky " in a network read of its own
    async with (
        serve(Reply(body=body)) as server,
        OPENAI.provider(server.url, api_key="sk-test") as provider,
    ):
        with pytest.raises(StageError) as caught:
            await collect(tap(provider, explode).stream("hi"))
        assert caught.value.partial is not None
        assert caught.value.partial.text == "Sky "

        server.reply(Reply(body=[*openai_chunks(["one ", "two "])[:3], Cut()]))
        first, second = tee(redact(provider, "two", max_match=3).stream("hi"))
        with pytest.raises(eventide.Error) as one:
            await collect(first)
        with pytest.raises(eventide.Error) as two:
            await collect(second)
    assert type(one.value) is type(two.value)
    assert one.value.partial is not None
    assert two.value.partial is not None
    # the held tail (at most max_match - 1 characters: " ") is not handed on after a failure
    assert one.value.partial.text == two.value.partial.text == "one [redacted]"
