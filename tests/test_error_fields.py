"""An error inside the stream keeps the ``type`` and ``param`` of its error object, as a
refused response's error does, and as the openai SDK's error does for the same stream; a key
the server echoes in them is redacted, as everywhere in an error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openai as sdk
import pytest

import eventide
import eventide.compat.openai as compat
from eventide import AsyncClient
from eventide._secrets import REDACTED
from tests.http_server import Reply, openai_chunks, serve, serve_in_thread, sse
from tests.kits import ANTHROPIC

if TYPE_CHECKING:
    from collections.abc import Mapping

KEY = "sk-proj-echoed-0123456789abcdef"
ERROR = {"error": {"message": "boom", "type": "server_error", "param": "messages", "code": "x"}}
MESSAGES = [{"role": "user", "content": "hi"}]


def in_stream(payload: Mapping[str, object]) -> Reply:
    """Content, then the error payload, on a 200 stream."""
    return Reply(body=[*openai_chunks(["Hel"])[:2], sse(payload)])


async def test_an_in_stream_error_keeps_type_and_param() -> None:
    async with serve(in_stream(ERROR)) as server:
        client = AsyncClient(api_key="sk-test", base_url=f"{server.url}/v1")
        async with client:
            with pytest.raises(eventide.ProviderError) as caught:
                await client.complete("hi")
    error = caught.value
    assert error.response is None  # nothing to read them from but the payload
    assert (error.code, error.type, error.param) == ("x", "server_error", "messages")
    assert error.partial is not None
    assert error.partial.text == "Hel"


def test_an_in_stream_error_says_what_the_sdk_says() -> None:
    with serve_in_thread(in_stream(ERROR)) as server:
        url = f"{server.url}/v1"
        reference = sdk.OpenAI(api_key="k", base_url=url, max_retries=0)
        with reference, pytest.raises(sdk.APIError) as expected:
            list(reference.chat.completions.create(model="m", messages=MESSAGES, stream=True))  # type: ignore[arg-type]
        client = compat.OpenAI(api_key="k", base_url=url, max_retries=0)
        with client, pytest.raises(compat.APIError) as raised:
            list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    for name in ("code", "type", "param", "message"):
        assert getattr(raised.value, name) == getattr(expected.value, name), name


async def test_an_anthropic_in_stream_error_keeps_its_type() -> None:
    reply = Reply(
        body=[*ANTHROPIC.body(["Hel"])[: ANTHROPIC.lead + 1], ANTHROPIC.mid_stream_error[0]]
    )
    async with serve(reply) as server, ANTHROPIC.provider(server.url) as provider:
        with pytest.raises(eventide.OverloadedError) as caught:
            await eventide.collect(provider.stream("hi"))
    assert (caught.value.type, caught.value.param) == ("overloaded_error", None)


async def test_a_key_echoed_in_an_in_stream_error_object_is_redacted() -> None:
    echo = {"error": {"message": "no", "type": f"bad {KEY}", "param": KEY, "code": "x"}}
    async with serve(in_stream(echo)) as server:
        client = AsyncClient(api_key=KEY, base_url=f"{server.url}/v1")
        async with client:
            with pytest.raises(eventide.ProviderError) as caught:
                await client.complete("hi")
    error = caught.value
    assert (error.type, error.param) == (f"bad {REDACTED}", REDACTED)
    kept = [value for value in vars(error).values() if isinstance(value, str)]
    assert all(KEY not in text for text in kept)


def test_a_field_that_is_not_text_is_none() -> None:
    error = eventide.ProviderError("x", error_object={"type": "t", "param": 3})
    assert (error.type, error.param) == ("t", None)
