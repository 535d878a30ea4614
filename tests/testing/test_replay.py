"""A scripted reply gives what the real provider gives for the same bytes over a real socket:
the same events, the same typed errors, and the same HTTP request, for each of the five APIs.

Each test serves bytes from the loopback server (tests/http_server.py) to the real provider
of an API, replays the same bytes through `ScriptedProvider`, and compares the two.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import pytest

from eventide import (
    Error,
    Event,
    Finish,
    Message,
    Metadata,
    ProtocolError,
    Request,
    TextDelta,
    TransportError,
    Usage,
)
from eventide.testing import Cut, Disconnect, Reply, ScriptedProvider
from eventide.wire import encode_chat_stream
from tests.http_server import Cut as CutConnection
from tests.http_server import Reply as Served
from tests.http_server import serve
from tests.kits import KITS

if TYPE_CHECKING:
    from eventide import EventStream
    from eventide.testing import Api
    from tests.http_server import ScriptedServer
    from tests.kits import Kit

DATA = Path(__file__).resolve().parents[1] / "data"
REQUEST = Request(
    [Message.system("Answer in one word."), Message.user("Say hello")], temperature=0.5
)
RECORDED: list[tuple[Api, str]] = [
    ("openai", "openai_chat/include_usage.sse"),
    ("openai", "openai_chat/tool_calls_parallel.sse"),
    ("openai-responses", "openai_responses/text.sse"),
    ("openai-responses", "openai_responses/reasoning_encrypted.sse"),
    ("anthropic", "anthropic/text.sse"),
    ("anthropic", "anthropic/reasoning_tool_use.sse"),
    ("gemini", "gemini/text.sse"),
    ("gemini", "gemini/tool_calls_parallel.sse"),
    ("ollama", "ollama/text.ndjson"),
    ("ollama", "ollama/tool_calls_parallel.ndjson"),
]
KIT = {kit.name: kit for kit in KITS}


async def run(stream: EventStream) -> tuple[list[Event], Error | None]:
    """Every event of `stream`, and the error that ended it (None: it completed)."""
    events: list[Event] = []
    try:
        async with stream:
            async for event in stream:
                events.append(event)  # noqa: PERF401 - keeps those before an error
    except Error as exc:
        return events, exc
    return events, None


def scripted(kit: Kit, *replies: Reply) -> ScriptedProvider:
    """A scripted provider set up as the kit's real one is (name, model, key)."""
    return ScriptedProvider(*replies, name=kit.name, model=kit.options["model"], api_key=kit.key)


def transcript(kit: Kit, body: list[bytes], **options: Any) -> Reply:
    """`body` as a transcript of the kit's API, with the kit's response headers."""
    return Reply.transcript(body, api=cast("Api", kit.name), headers=dict(kit.headers), **options)


def same_error(replayed: Error | None, served: Error | None) -> None:
    assert type(replayed) is type(served)
    assert str(replayed) == str(served)
    for name in ("status_code", "code", "retry_after", "content_emitted", "kind", "retryable"):
        assert getattr(replayed, name, None) == getattr(served, name, None), name


async def compare(
    kit: Kit, server: ScriptedServer, served: Served, reply: Reply
) -> tuple[list[Event], Error | None]:
    """The events and error of `served` from the real provider and of `reply` from the
    scripted one, checked equal; returns them."""
    server.reply(served)
    async with kit.provider(server.url) as provider:
        real_events, real_error = await run(provider.stream(REQUEST))
    replayed_events, replayed_error = await run(scripted(kit, reply).stream(REQUEST))
    assert replayed_events == real_events
    same_error(replayed_error, real_error)
    return real_events, real_error


async def test_replay_gives_the_real_providers_events(kit: Kit, server: ScriptedServer) -> None:
    pieces = kit.body(["Hello", ", ", "world"])
    reply = transcript(kit, pieces)
    events, error = await compare(kit, server, Served(headers=kit.headers, body=pieces), reply)
    assert error is None
    assert events[0] == kit.metadata
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello, world"


@pytest.mark.parametrize(("api", "path"), RECORDED, ids=[path for _, path in RECORDED])
async def test_replay_of_a_recorded_transcript(api: Api, path: str) -> None:
    """A recorded body, replayed in 7-byte reads, gives the events the real provider reads
    from a server sending it whole."""
    kit = KIT[api]
    body = (DATA / path).read_bytes()
    reply = Reply.transcript(body, api=api, headers=dict(kit.headers), chunk_size=7)
    async with serve() as server:
        events, error = await compare(kit, server, Served(headers=kit.headers, body=[body]), reply)
    assert error is None
    assert len(events) > 2


async def test_replay_sends_the_request_the_real_provider_sends(
    kit: Kit, server: ScriptedServer
) -> None:
    """Method, path, headers and JSON body as the real provider sends them to a server, the
    key redacted."""
    provider = scripted(kit, transcript(kit, kit.body(["Hi"])))
    await run(provider.stream(REQUEST))
    async with kit.provider(server.url) as real:
        await run(real.stream(REQUEST))
    received, sent = server.requests[-1], provider.last_http_request
    assert sent.method == received.method == "POST"
    url = urlsplit(sent.url)
    assert url.path + (f"?{url.query}" if url.query else "") == received.path == kit.path
    assert sent.json == received.json()
    auth, value = kit.auth
    assert received.headers[auth] == value
    assert sent.headers[auth] == "[redacted]"
    assert kit.key not in repr(provider.http_requests) + repr(provider.requests)
    for name, shown in sent.headers.items():
        if name != auth:
            assert received.headers[name] == shown


async def test_replay_of_an_http_error_raises_the_real_typed_error(
    kit: Kit, server: ScriptedServer
) -> None:
    body = kit.error_body(503, "overloaded", f"busy, key {kit.key}")
    headers = (("content-type", "application/json"), ("retry-after", "7"))
    served = Served(status=503, headers=headers, body=[body])
    reply = Reply.http_error(503, body, api=cast("Api", kit.name), headers={"retry-after": "7"})
    _, error = await compare(kit, server, served, reply)
    assert error is not None
    assert error.retryable
    assert getattr(error, "retry_after", None) == 7.0
    assert kit.key not in str(error)
    assert kit.key not in getattr(error, "body", "")


async def test_replay_of_a_truncated_body_raises_the_real_protocol_error(
    kit: Kit, server: ScriptedServer
) -> None:
    pieces = kit.body(["Hello", ", ", "world"])
    kept = kit.lead + 2  # "Hello", ", "
    served = Served(headers=kit.headers, body=pieces[:kept])
    for reply in (
        transcript(kit, pieces[:kept]),
        transcript(kit, pieces, fail=Cut(after=kept)),
    ):
        events, error = await compare(kit, server, served, reply)
        assert isinstance(error, ProtocolError)
        assert error.content_emitted
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello, "


async def test_replay_of_a_mid_stream_error_raises_the_real_typed_error(
    kit: Kit, server: ScriptedServer
) -> None:
    pieces = kit.body(["Hello", ", ", "world"])
    wire, cls, _ = kit.mid_stream_error
    body = [*pieces[: kit.lead + 1], wire]
    reply = transcript(kit, body)
    events, error = await compare(kit, server, Served(headers=kit.headers, body=body), reply)
    assert type(error) is cls
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello"]


async def test_replay_of_a_lost_connection_raises_a_transport_error(
    kit: Kit, server: ScriptedServer
) -> None:
    pieces = kit.body(["Hello", ", ", "world"])
    kept = kit.lead + 1
    server.reply(Served(headers=kit.headers, body=[*pieces[:kept], CutConnection(reset=True)]))
    async with kit.provider(server.url) as provider:
        real_events, real_error = await run(provider.stream(REQUEST))
    reply = transcript(kit, pieces, fail=Disconnect(after=kept))
    events, error = await run(scripted(kit, reply).stream(REQUEST))
    assert events == real_events
    assert type(error) is type(real_error) is TransportError
    assert error is not None
    assert error.content_emitted
    assert error.retryable


async def test_an_event_script_gives_what_a_real_chat_server_sending_it_gives() -> None:
    """A text script is the Chat Completions stream a server would send for its events."""
    kit = KIT["openai"]
    reply = Reply.text(
        "Bonjour tout le monde",
        reasoning="French, then.",
        tool_calls=[("log", {"n": 1})],
        usage=Usage(12, 7),
        model="gpt-4o-mini-2024-07-18",
        response_id="chatcmpl-9",
    )
    assert reply.script is not None
    body = encode_chat_stream(reply.script)
    async with serve() as server:
        events, error = await compare(kit, server, Served(body=[body]), reply)
    assert error is None
    assert isinstance(events[0], Metadata)
    assert events[0].model == "gpt-4o-mini-2024-07-18"
    assert events[-2:] == [Usage(12, 7), Finish("tool_calls", "tool_calls")]


@pytest.mark.parametrize(("api", "path"), RECORDED[::2], ids=[path for _, path in RECORDED[::2]])
async def test_replay_cuts_a_recorded_transcript_between_its_events(api: Api, path: str) -> None:
    """A transcript given as bytes counts its frames (server-sent events, NDJSON lines) for
    `Cut`: cut after two, it gives what a server sending only those two gives."""
    kit = KIT[api]
    body = (DATA / path).read_bytes()
    reply = Reply.transcript(body, api=api, headers=dict(kit.headers), fail=Cut(after=2))
    assert b"".join(reply.frames) == body
    if api == "ollama":
        assert len(reply.frames) == body.count(b"\n")
    else:
        assert len(reply.frames) == body.count(b"data:")  # one data line per event here
        assert all(frame.endswith((b"\n\n", b"\r\n\r\n")) for frame in reply.frames)
    served = Served(headers=kit.headers, body=list(reply.frames[:2]))
    async with serve() as server:
        _, error = await compare(kit, server, served, reply)
    assert isinstance(error, ProtocolError)
