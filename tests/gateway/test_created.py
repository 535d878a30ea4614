"""The gateway's chat chunks carry the upstream server's ``created``, ``service_tier`` and
``system_fingerprint`` when the upstream is OpenAI-shaped, and the time of the request when
it is not: read by the official openai SDK, over real sockets on both sides."""

from __future__ import annotations

import time

import openai
import pytest

from eventide.providers import OpenAIChat
from eventide.testing import Reply, ScriptedProvider
from tests.http_server import Reply as UpstreamReply
from tests.http_server import openai_chunks, serve

from .serving import gateway

# As in test_chat: the SDK's stream leaves its inner generators to the finaliser after [DONE].
pytestmark = pytest.mark.filterwarnings(
    "ignore:Async generator '(openai\\._streaming|httpx2|httpcore2)\\.:ResourceWarning"
)

UPSTREAM_CREATED = 1750000000  # what tests.http_server.openai_chunks sends
HI: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def _sdk(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="sk-client", max_retries=0)


async def test_chunks_carry_an_openai_upstreams_created_tier_and_fingerprint() -> None:
    async with serve(UpstreamReply(body=openai_chunks(["Blue ", "sky."]))) as upstream:
        provider = OpenAIChat(base_url=f"{upstream.url}/v1", api_key="sk-up", model="gpt-4o-mini")
        async with gateway(provider) as url, _sdk(url) as sdk:
            stream = await sdk.chat.completions.create(
                model="gpt-4o-mini", messages=HI, stream=True
            )
            chunks = [chunk async for chunk in stream]
            whole = await sdk.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Blue sky."
    assert {chunk.created for chunk in chunks} == {UPSTREAM_CREATED}
    assert {chunk.service_tier for chunk in chunks} == {"default"}
    assert {chunk.system_fingerprint for chunk in chunks} == {"fp_34a54ae93c"}
    assert {chunk.id for chunk in chunks} == {"chatcmpl-BkRv7hQy3uTnZpXa2LcE9sWmD4fGj"}
    assert (whole.created, whole.service_tier) == (UPSTREAM_CREATED, "default")


async def test_chunks_from_an_upstream_with_no_created_carry_the_time_of_the_request() -> None:
    provider = ScriptedProvider(Reply.text(["Hel", "lo"]), name="upstream")
    async with gateway(provider) as url, _sdk(url) as sdk:
        before = int(time.time())
        stream = await sdk.chat.completions.create(model="m1", messages=HI, stream=True)
        chunks = [chunk async for chunk in stream]
        after = int(time.time())
    created = {chunk.created for chunk in chunks}
    assert len(created) == 1
    assert before <= created.pop() <= after
    assert {chunk.service_tier for chunk in chunks} == {None}
