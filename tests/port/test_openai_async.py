"""The openai-python README's async examples, with only the import changed, run as the
README runs them: ``asyncio.run(main())``, against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    import pytest

    from tests.http_server import ScriptedServer
from tests.port.conftest import openai_reply


def test_openai_readme_async_usage(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(openai_reply(["Disestablishmentarianism is ", "a big word."]))

    # -- README, "Async usage" (Chat Completions) --------------------------------------------
    import os

    from eventide.compat.openai import AsyncOpenAI

    client = AsyncOpenAI(
        # This is the default and can be omitted
        api_key=os.environ.get("OPENAI_API_KEY"),
    )

    async def main() -> None:
        chat_completion = await client.chat.completions.create(
            messages=[
                {
                    "role": "user",
                    "content": "Explain disestablishmentarianism to a smart five year old.",
                }
            ],
            model="gpt-5.5",
        )
        print(chat_completion.choices[0].message.content)
        await client.close()

    asyncio.run(main())
    # ----------------------------------------------------------------------------------------

    assert capsys.readouterr().out == "Disestablishmentarianism is a big word.\n"
    assert openai_server.requests[0].json()["model"] == "gpt-5.5"


def test_openai_readme_async_streaming(
    openai_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(openai_reply(["Once ", "upon ", "a ", "time."]))

    # -- README, "Streaming responses", the async client -------------------------------------
    from eventide.compat.openai import AsyncOpenAI

    client = AsyncOpenAI()

    async def main() -> None:
        stream = await client.chat.completions.create(
            model="gpt-5.5",
            messages=[{"role": "user", "content": "Write a one-sentence bedtime story."}],
            stream=True,
        )
        async for chunk in stream:
            print(chunk.choices[0].delta.content or "", end="")
        await client.close()

    asyncio.run(main())
    # ----------------------------------------------------------------------------------------

    assert capsys.readouterr().out == "Once upon a time."


def test_openai_async_client_under_trio_with_async_with(openai_server: ScriptedServer) -> None:
    """The same client in ``async with``, under trio (eventide's reference runtime)."""
    from eventide.compat.openai import AsyncOpenAI

    async def main() -> str | None:
        async with AsyncOpenAI() as client:
            completion = await client.chat.completions.create(model="gpt-5.5", messages="Hi")
            return completion.choices[0].message.content

    assert trio.run(main) == "Hello, world"
