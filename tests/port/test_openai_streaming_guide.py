"""OpenAI's streaming guide (Chat Completions), with only the import changed: the chunk
loop, read to its end and left early, and the usage chunk that ``stream_options`` asks for."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tests.http_server import Pause, Reply, openai_chunks

if TYPE_CHECKING:
    import pytest

    from tests.http_server import ScriptedServer
from tests.port.conftest import openai_reply

WORDS = ["double ", "bubble ", "bath, "] * 10


def test_openai_streaming_guide_chunk_loop(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(openai_reply(WORDS))

    # -- the streaming guide, "Streaming chat completions" -----------------------------------
    from eventide.compat.openai import OpenAI

    client = OpenAI()

    stream = client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "user", "content": "Say 'double bubble bath' ten times fast."}],
        stream=True,
    )

    for chunk in stream:
        if chunk.choices[0].delta.content is not None:
            print(chunk.choices[0].delta.content, end="")
    # ----------------------------------------------------------------------------------------

    assert capsys.readouterr().out == "".join(WORDS)


def test_openai_streaming_guide_usage_chunk(openai_server: ScriptedServer) -> None:
    openai_server.reply(openai_reply(["Hi", "!"]))

    # -- the streaming guide / API reference: stream_options={"include_usage": True} ---------
    from eventide.compat.openai import OpenAI

    client = OpenAI()

    stream = client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )

    text = ""
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        else:
            usage = chunk.usage
    # ----------------------------------------------------------------------------------------

    assert text == "Hi!"
    assert not chunk.choices  # the usage chunk comes last
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 2, 14)


def test_openai_streaming_guide_closing_the_stream_closes_the_connection(
    openai_server: ScriptedServer,
) -> None:
    """A stream left early and closed hangs up at once: the server stops generating."""
    slow = [p for piece in openai_chunks(WORDS * 10, usage=False) for p in (Pause(0.01), piece)]
    openai_server.reply(Reply(body=slow))
    from eventide.compat.openai import OpenAI

    client = OpenAI()
    stream = client.chat.completions.create(model="gpt-4.1", messages="Hi", stream=True)
    for chunk in stream:
        if chunk.choices[0].delta.content:
            break
    # The SDK's Stream.close(): "Close the response and release the connection". (The
    # ignore goes when eventide's sync stream type has close(); a generator has it already.)
    stream.close()  # type: ignore[attr-defined,unused-ignore]
    closed_at = time.monotonic()

    assert openai_server.wait_disconnect_sync(timeout=2) - closed_at < 0.1
    assert openai_server.completed == 0
