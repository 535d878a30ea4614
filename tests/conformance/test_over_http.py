"""The same table over a real HTTP/1.1 server on 127.0.0.1, through each provider class.

Each transcript is served as the provider would receive it, one SSE event or NDJSON line per
write (each its own HTTP chunk), to `OpenAIChat`, `OpenAIResponses`, `Anthropic`, `Gemini`
and `Ollama` pointed at the server. `eventide.collect` must reach the row's outcome (on a
failure: raise the row's error with `partial` holding what came before it), the stream read
by hand must deliver exactly the decoder's events and keep the contract, and
`eventide.first_metadata` must hang up at once on a stream that is still going.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import httpx
import pytest
import trio

import eventide
from eventide import (
    Error,
    Metadata,
    ProtocolError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
)
from eventide.providers import OpenAIChat
from tests.conformance.cases import APIS, CASES, OPENAI_CHAT, Api, Case, case_id
from tests.conformance.contract import (
    contract_params,
    decode,
    expected_metadata,
    metadata_fields,
    outcome_of_completion,
    outcome_of_events,
    pieces,
)
from tests.contract import violations
from tests.http_server import Cut, Reply, ScriptedServer, Stall, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from eventide import Event
    from eventide.providers import Provider
    from tests.http_server import Piece

DISCONNECT_BUDGET: Final = 0.1  # seconds from first_metadata's return to the server seeing it
CONTENT: Final = (TextDelta, ReasoningDelta, ToolCallDelta, ToolCall)
PROMPT: Final = "Why is the sky blue?"


@asynccontextmanager
async def served(
    case: Case, body: Sequence[Piece] | None = None
) -> AsyncIterator[tuple[ScriptedServer, Provider]]:
    """A server that answers with `body` (default: the case's transcript, one event per
    piece), and the case's provider pointed at it."""
    api = case.api
    if body is None:
        body = pieces(case.wire, api.framing)
    reply = Reply(headers=(("content-type", api.content_type),), body=body)
    async with (
        serve(reply) as server,
        api.provider_class(
            base_url=server.url, api_key="test-key", model=case.requested_model
        ) as provider,
    ):
        yield server, provider


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_provider_collects_the_outcome_over_http(case: Case) -> None:
    async with served(case) as (server, provider):
        assert provider.name == case.api.provider
        if case.fails:
            with pytest.raises(Error) as info:
                await eventide.collect(provider.stream(PROMPT))
            error = info.value
            assert type(error) is case.expected.error, repr(error)
            assert error.provider == case.api.provider
            completion = error.partial
            assert completion is not None, "collect did not attach the partial result"
            assert not completion.complete
            assert outcome_of_completion(completion, error) == case.expected
        else:
            completion = await eventide.collect(provider.stream(PROMPT))
            assert completion.complete
            assert outcome_of_completion(completion) == case.expected
    assert completion.metadata is not None
    assert metadata_fields(completion.metadata) == expected_metadata(case)
    assert len(server.requests) == 1


@pytest.mark.parametrize("case", contract_params(CASES))
async def test_provider_stream_keeps_the_contract_over_http(case: Case) -> None:
    events: list[Event] = []
    error: Error | None = None
    async with served(case) as (_, provider):
        stream = provider.stream(PROMPT)
        try:
            async with stream:
                async for event in stream:
                    events.append(event)  # noqa: PERF401 - keeps what came before a failure
        except Error as exc:
            error = exc
        assert stream.closed
    assert violations(events, complete=not case.fails) == [], events
    assert outcome_of_events(events, error) == case.expected
    if error is not None:
        assert error.provider == case.api.provider
        assert error.content_emitted == any(isinstance(event, CONTENT) for event in events)
    sans_io = decode(case, [case.wire])
    assert events == sans_io.events


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
async def test_first_metadata_hangs_up_on_a_long_stream_at_once(api: Api) -> None:
    """The text transcript without its last event (the terminal one, or Gemini's finishing
    chunk), then a server that stalls: the response is not over, so only an early close
    ends it, and the server must see that close within the budget."""
    case = next(case for case in CASES if case.api is api and case.kind == "text")
    body: list[Piece] = [*pieces(case.wire, api.framing)[:-1], Stall()]
    async with served(case, body) as (server, provider):
        with trio.fail_after(5):  # reading on into the stall would hang: fail instead
            metadata = await eventide.first_metadata(provider.stream(PROMPT))
        returned_at = time.monotonic()
        seen = await server.wait_disconnect(timeout=2)
        assert server.completed == 0
    assert isinstance(metadata, Metadata)
    assert metadata_fields(metadata) == expected_metadata(case)
    assert metadata == decode(case, [case.wire]).events[0]
    assert seen - returned_at < DISCONNECT_BUDGET, (
        f"server saw the close after {seen - returned_at:.3f} s"
    )


# -- when a stream is complete (docs/providers.md): the HTTP framing decides what "ended" means --

# Hugging Face `transformers serve`: the finish chunk, the usage chunk, and no [DONE].
NO_DONE: Final = next(
    case
    for case in CASES
    if case.api is OPENAI_CHAT and case.scenario == "finish_without_done_transformers_serve"
)
NO_DONE_TEXT: Final = "\n\nHello, world! The sky is blue. \u2728"


@asynccontextmanager
async def chat_over(reply: Reply, client: str) -> AsyncIterator[OpenAIChat]:
    """`OpenAIChat` on the built-in transport or on a plain httpx client, against `reply`."""
    async with serve(reply) as server, httpx.AsyncClient() as given:
        http_client = given if client == "httpx" else None
        async with OpenAIChat(
            base_url=server.url, api_key="k", model="tiny-hf", http_client=http_client
        ) as provider:
            yield provider


def _close_delimited(body: Sequence[bytes]) -> Reply:
    """An HTTP/1.1 response with neither Content-Length nor chunked encoding: its body ends
    when the server closes the connection."""
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
    return Reply.raw(head, *body)


@pytest.mark.parametrize("client", ["built-in", "httpx"])
@pytest.mark.parametrize("framing", ["chunked", "content-length", "close-delimited"])
async def test_openai_chat_body_ending_cleanly_after_finish_without_done_is_complete(
    framing: str, client: str
) -> None:
    body = pieces(NO_DONE.wire, "sse")
    reply = (
        _close_delimited(body)
        if framing == "close-delimited"
        else Reply(body=body, content_length=framing == "content-length")
    )
    async with chat_over(reply, client) as provider:
        completion = await eventide.collect(provider.stream(PROMPT))
    assert completion.complete
    assert completion.text == NO_DONE_TEXT
    assert completion.reasoning == "Let me think briefly"
    assert completion.finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (21, 21)


@pytest.mark.parametrize("client", ["built-in", "httpx"])
@pytest.mark.parametrize("framing", ["chunked", "content-length"])
@pytest.mark.parametrize("where", ["between-events", "mid-event"])
async def test_openai_chat_body_cut_after_finish_is_still_an_error(
    framing: str, client: str, where: str
) -> None:
    """The connection drops after the finish chunk, before the body's end as its framing
    declares it (no terminating chunk; fewer bytes than Content-Length): the body was cut,
    so the answer is not complete, whatever the chunks said."""
    body = pieces(NO_DONE.wire, "sse")
    finish = next(i for i, piece in enumerate(body) if b'"finish_reason":"stop"' in piece)
    sent: list[bytes | Cut] = list(body[: finish + 1])
    if where == "mid-event":
        sent.append(body[finish + 1][:40])  # the usage chunk, cut short
    reply = Reply(body=[*sent, Cut(), *body[finish + 1 :]], content_length=framing != "chunked")
    async with chat_over(reply, client) as provider:
        with pytest.raises(ProtocolError, match="broken HTTP response") as info:
            await eventide.collect(provider.stream(PROMPT))
    assert info.value.provider == "openai"
    assert info.value.retryable
    partial = info.value.partial
    assert partial is not None
    assert not partial.complete
    assert partial.text == NO_DONE_TEXT
    assert partial.finish_reason is None
