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

import pytest
import trio

import eventide
from eventide import Error, Metadata, ReasoningDelta, TextDelta, ToolCall, ToolCallDelta
from tests.conformance.cases import APIS, CASES, Api, Case, case_id
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
from tests.http_server import Reply, ScriptedServer, Stall, serve

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
