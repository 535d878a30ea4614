"""Parity: every call style reports the same answer, because each reads the same stream.

For scripted provider outputs (text, reasoning, tool calls, usage present or absent, a
failure mid-stream or none), served by a real server on 127.0.0.1: events + collect,
`AsyncClient.complete`, ``chat.completions.create`` without and with streaming (both ways of
writing it), the sync `Client` (complete, create, streaming create) and the CLI's ``--json``
output all give the same text, reasoning, tool calls, usage, finish reason, provider and
model — or the same error with the same partial answer.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from typing import TYPE_CHECKING, Any

import attrs
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventide
from eventide import AsyncClient, ChatCompletion, ChatCompletionChunk, Client, CompletionCollector
from eventide._serde import structure
from eventide.cli import main
from eventide.providers import OpenAIChat
from tests.http_server import Reply, ScriptedServer, serve_in_thread
from tests.wire.openai_encoder import CallSpec, Framing, Reasoning, Script, Text, ToolPiece, encode

if TYPE_CHECKING:
    from collections.abc import Iterator

MODEL = "gpt-parity-1"
ERROR_EVENT = b'data: {"error":{"message":"upstream broke","type":"server_error","code":null}}\n\n'


@attrs.frozen
class Record:
    """What a call style reports: the answer, or the failure and what came before it."""

    text: str
    reasoning: str
    tool_calls: tuple[tuple[str, str, str], ...]
    usage: tuple[int | None, int | None] | None
    finish_reason: str | None
    provider: str | None
    model: str | None
    error: str | None = None


@st.composite
def scripts(draw: st.DrawFn) -> tuple[Script, str]:
    pieces = st.text(min_size=1, max_size=8)
    steps: list[Any] = draw(
        st.lists(st.one_of(pieces.map(Text), pieces.map(Reasoning)), max_size=6)
    )
    calls = draw(st.integers(0, 2))
    fragments = st.lists(st.text('{}ab:,"1', min_size=1, max_size=4), min_size=1, max_size=3)
    for index in range(calls):
        steps.extend(ToolPiece(index, fragment) for fragment in draw(fragments))
    usage = draw(st.none() | st.builds(eventide.Usage, st.integers(0, 99), st.integers(0, 99)))
    if usage is not None:
        usage = attrs.evolve(usage, total_tokens=usage.input_tokens + usage.output_tokens)  # type: ignore[operator]
    finish = "tool_calls" if calls else draw(st.sampled_from(["stop", "length"]))
    script = Script(
        steps=tuple(steps),
        calls=tuple(CallSpec(f"call_{i}", f"tool_{i}") for i in range(calls)),
        usage=usage,
        finish_reason=finish,
    )
    return script, draw(st.sampled_from(["complete", "error", "truncated"]))


def body(script: Script, failure: str) -> list[bytes]:
    wire = encode(script, framing=Framing(), response_id="chatcmpl-parity", model=MODEL)
    events = [event + b"\n\n" for event in wire.split(b"\n\n") if event]
    if failure == "complete":
        return events
    before_finish = events[: 1 + len(script.steps)]  # the role chunk and one chunk a step
    return [*before_finish, ERROR_EVENT] if failure == "error" else before_finish


def from_completion(completion: eventide.Completion, error: str | None = None) -> Record:
    return Record(
        text=completion.text,
        reasoning=completion.reasoning,
        tool_calls=tuple((c.id, c.name, c.arguments) for c in completion.tool_calls),
        usage=(completion.usage.input_tokens, completion.usage.output_tokens)
        if completion.usage
        else None,
        finish_reason=completion.finish_reason,
        provider=completion.provider,
        model=completion.model,
        error=error,
    )


def from_chat(response: ChatCompletion) -> Record:
    message = response.choices[0].message
    return Record(
        text=message.content or "",
        reasoning=message.reasoning or "",
        tool_calls=tuple(
            (c.id or "", c.function.name or "", c.function.arguments)
            for c in message.tool_calls or ()
        ),
        usage=(response.usage.prompt_tokens, response.usage.completion_tokens)
        if response.usage
        else None,
        finish_reason=response.choices[0].finish_reason,
        provider=response.provider,
        model=response.model,
    )


def from_chunks(chunks: list[ChatCompletionChunk], error: str | None) -> Record:
    text, reasoning, finish, usage = [], [], None, None
    calls: dict[int, list[str]] = {}
    for chunk in chunks:
        if chunk.usage is not None:
            usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        for choice in chunk.choices:
            delta = choice.delta
            text.append(delta.content or "")
            reasoning.append(delta.reasoning or "")
            for call in delta.tool_calls or ():
                assert call.index is not None
                entry = calls.setdefault(call.index, ["", "", ""])
                entry[0] = entry[0] or call.id or ""
                entry[1] = entry[1] or call.function.name or ""
                entry[2] += call.function.arguments
            finish = choice.finish_reason or finish
    return Record(
        text="".join(text),
        reasoning="".join(reasoning),
        tool_calls=tuple(tuple(calls[i]) for i in sorted(calls)),  # type: ignore[misc]
        usage=usage,
        finish_reason=finish,
        provider=chunks[0].provider if chunks else None,
        model=chunks[0].model if chunks else None,
        error=error,
    )


def failed(exc: eventide.Error) -> Record:
    assert exc.partial is not None
    return from_completion(exc.partial, type(exc).__name__)


async def async_styles(url: str) -> list[Record]:
    records = []
    provider = OpenAIChat(base_url=url, api_key="k", name="parity")
    async with provider, AsyncClient(provider) as client:
        collector = CompletionCollector()
        try:
            async with client.stream("hi") as events:
                async for event in events:
                    collector.feed(event)
            records.append(from_completion(collector.result()))
        except eventide.Error as exc:
            records.append(from_completion(collector.result(), type(exc).__name__))
        try:
            records.append(from_completion(await client.complete("hi")))
        except eventide.Error as exc:
            records.append(failed(exc))
        try:
            records.append(from_chat(await client.chat.completions.create(messages="hi")))
        except eventide.Error as exc:
            records.append(failed(exc))
        for awaited in (False, True):
            chunks: list[ChatCompletionChunk] = []
            try:
                made = client.chat.completions.create(messages="hi", stream=True)
                stream = await made if awaited else made
                async for chunk in stream:
                    chunks.append(chunk)  # noqa: PERF401 - may fail midway
                records.append(from_chunks(chunks, None))
            except eventide.Error as exc:
                records.append(from_chunks(chunks, type(exc).__name__))
    return records


def sync_styles(url: str) -> list[Record]:
    records = []
    with Client(OpenAIChat(base_url=url, api_key="k", name="parity")) as client:
        try:
            records.append(from_completion(client.complete("hi")))
        except eventide.Error as exc:
            records.append(failed(exc))
        try:
            records.append(from_chat(client.chat.completions.create(messages="hi")))
        except eventide.Error as exc:
            records.append(failed(exc))
        chunks: list[ChatCompletionChunk] = []
        try:
            chunks.extend(client.chat.completions.create(messages="hi", stream=True))
            records.append(from_chunks(chunks, None))
        except eventide.Error as exc:
            records.append(from_chunks(chunks, type(exc).__name__))
    return records


def cli_style(url: str) -> Record:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["chat", "hi", "--base-url", url, "--json"])
    collector = CompletionCollector()
    error = None
    for line in filter(None, out.getvalue().split("\n")):  # not splitlines(): U+0085 is text
        data = json.loads(line)
        if data["kind"] == "error":  # --json's last record after a failure
            error = data["error"]["class"]
            continue
        collector.feed(structure(data, eventide.Event))  # type: ignore[arg-type]
    assert (error is None) == (status == 0), err.getvalue()
    return from_completion(collector.result(), error)


CHUNK_STYLES = (3, 4, 7)  # the positions of the chunk streams' records: async (twice), sync


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture(scope="module", autouse=True)
def cli_environment() -> Iterator[None]:
    saved = {
        k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("OPENAI_", "EVENTIDE_"))
    }
    os.environ["OPENAI_API_KEY"] = "k"
    os.environ["OPENAI_MODEL"] = MODEL
    yield
    os.environ.pop("OPENAI_API_KEY")
    os.environ.pop("OPENAI_MODEL")
    os.environ.update(saved)


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scripts())
def test_every_call_style_reports_the_same(
    server: ScriptedServer, drawn: tuple[Script, str]
) -> None:
    script, failure = drawn
    server.reply(Reply(body=body(script, failure)))
    url = f"{server.url}/v1"
    records = [*trio.run(async_styles, url), *sync_styles(url)]
    cli = cli_style(url)
    reference = records[0]
    for position, record in enumerate(records):
        if position in CHUNK_STYLES:  # no usage chunk without stream_options.include_usage
            assert record.usage is None
            record = attrs.evolve(record, usage=reference.usage)
        assert record == reference
    assert attrs.evolve(cli, provider="parity") == reference  # the CLI names its provider openai
    assert reference.provider == "parity"
    assert reference.model == MODEL
    assert (reference.error is None) == (failure == "complete")
    expected_text = "".join(step.text for step in script.steps if isinstance(step, Text))
    assert reference.text == expected_text
