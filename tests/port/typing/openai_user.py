"""A user program written against the OpenAI SDK, ported by changing the import: checked by
``mypy --strict`` (tests/port/test_openai_typing.py), never run.

A ``# revealed: <regex>`` comment pins the type that the ``reveal_type`` on the next line
shows, where precision matters; the test matches the revealed type against the regex.
"""

from __future__ import annotations

import asyncio
from typing import reveal_type

import eventide.compat.openai as openai
from eventide import ChatCompletion, ChatCompletionChunk
from eventide.compat.openai import AsyncOpenAI, OpenAI


def complete(client: OpenAI, question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": question}]
    )
    # revealed: ^eventide\..*\.ChatCompletion$
    reveal_type(completion)
    return completion.choices[0].message.content or ""


def stream(client: OpenAI, question: str) -> str:
    chunks = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": question}], stream=True
    )
    # revealed: \[eventide\..*\.ChatCompletionChunk\]$
    reveal_type(chunks)
    text = ""
    for chunk in chunks:
        # revealed: ^eventide\..*\.ChatCompletionChunk$
        reveal_type(chunk)
        text += chunk.choices[0].delta.content or ""
    return text


def either(client: OpenAI, question: str, streaming: bool) -> str:
    result = client.chat.completions.create(model="gpt-4o", messages=question, stream=streaming)
    # revealed: ^eventide\..*\.ChatCompletion \| .*\[eventide\..*\.ChatCompletionChunk\]$
    reveal_type(result)
    if isinstance(result, ChatCompletion):
        return result.choices[0].message.content or ""
    return "".join(chunk.choices[0].delta.content or "" for chunk in result if chunk.choices)


def guarded(client: OpenAI) -> int | None:
    try:
        complete(client, "Hi")
    except openai.APIConnectionError as e:
        print("The server could not be reached", e.__cause__)
    except openai.RateLimitError as e:
        print("A 429 status code was received; we should back off a bit.", e.retry_after)
    except openai.APITimeoutError as e:
        print("timed out", e.message)
    except openai.APIStatusError as e:
        print(e.status_code, e.message, e.body, e.code, e.type, e.param, e.request_id)
        if e.response is not None:
            print(e.response.status_code, e.response.headers.get("x-request-id"), e.response.text)
        if e.request is not None:
            print(e.request.method, e.request.url)
        return e.status_code
    except openai.OpenAIError as e:
        print(e.message)
    return None


async def acomplete(client: AsyncOpenAI, question: str) -> str:
    completion = await client.chat.completions.create(model="gpt-4o", messages=question)
    # revealed: ^eventide\..*\.ChatCompletion$
    reveal_type(completion)
    return completion.choices[0].message.content or ""


async def astream(client: AsyncOpenAI, question: str) -> list[ChatCompletionChunk]:
    chunks = await client.chat.completions.create(model="gpt-4o", messages=question, stream=True)
    # revealed: ChunkStream$
    reveal_type(chunks)
    return [chunk async for chunk in chunks]


async def aeither(client: AsyncOpenAI, question: str, streaming: bool) -> str:
    result = await client.chat.completions.create(
        model="gpt-4o", messages=question, stream=streaming
    )
    if isinstance(result, ChatCompletion):
        return result.choices[0].message.content or ""
    return "".join([chunk.choices[0].delta.content or "" async for chunk in result])


async def amain() -> None:
    async with AsyncOpenAI(max_retries=0, timeout=20.0) as client:
        faster: AsyncOpenAI = client.with_options(timeout=5.0)
        print(await acomplete(faster, "Hi"), await astream(client, "Hi"))
        print(await aeither(client, "Hi", True))
        try:
            await acomplete(client, "Hi")
        except openai.InternalServerError as e:
            print(e.status_code, e.retryable)


def main() -> None:
    client: OpenAI = OpenAI(organization="org-1", default_headers={"X-Trace": "1"})
    assert isinstance(client, OpenAI)
    with client:
        print(complete(client, "Hi"), stream(client, "Hi"), either(client, "Hi", False))
        print(guarded(client.with_options(max_retries=5)))
    asyncio.run(amain())
