"""The wire cassette: raw body bytes with their chunk boundaries, replayed as a transport."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import trio

from eventide import TransportError
from eventide._transport import FastTransport, InMemoryTransport
from eventide.providers import OpenAIChat
from eventide.record import RecordFormatError, WireCassette, WireRecorder, read_wire
from tests.record.helpers import REQUEST, events_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping
    from pathlib import Path

    from tests.http_server import ScriptedServer
    from tests.kits import Kit

KEY = "sk-wire-secret-0123456789"
CHUNKS = [
    b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","con',
    b'tent":"Hel"}}]}\n',
    b'\ndata: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"lo"}}]}\n\nda',
    b'ta: {"id":"c1","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
    b"data: [DONE]\n\n",
]


def _source(chunks: list[bytes], fail: bool = False) -> Any:
    async def body(_: Mapping[str, Any]) -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk
        if fail:
            raise TransportError("connection reset by peer")

    return body


def _provider(transport: Any) -> OpenAIChat:
    return OpenAIChat(
        base_url="http://wire.invalid/v1", api_key=KEY, model="m", transport=transport
    )


async def test_wire_cassette_keeps_chunk_boundaries_and_replays_them(tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    memory = InMemoryTransport(_source(CHUNKS), headers={"x-api-key": KEY, "x-request-id": "r1"})
    recorder = WireRecorder(memory, path)
    live = await events_of(_provider(recorder), REQUEST)
    await recorder.aclose()
    [exchange] = read_wire(path)
    assert exchange.chunks == CHUNKS
    assert exchange.status == 200
    assert exchange.end == "complete"
    assert exchange.headers["x-request-id"] == "r1"
    assert "x-api-key" not in exchange.headers
    assert KEY not in path.read_text()
    replayed = await events_of(_provider(WireCassette(path)), REQUEST)
    assert replayed == live
    assert live.error is None


async def test_wire_cassette_replays_a_transport_failure(tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    recorder = WireRecorder(InMemoryTransport(_source(CHUNKS[:2], fail=True)), path)
    live = await events_of(_provider(recorder), REQUEST)
    await recorder.aclose()
    assert live.error_type is TransportError
    assert read_wire(path)[0].error is not None
    assert await events_of(_provider(WireCassette(path)), REQUEST) == live


async def test_wire_cassette_over_a_real_socket(
    kit: Kit, server: ScriptedServer, tmp_path: Path
) -> None:
    path = tmp_path / "wire.jsonl"
    transport = FastTransport()
    recorder = WireRecorder(transport, path)
    async with kit.provider(server.url, transport=recorder) as provider:
        live = await events_of(provider, REQUEST)
    await recorder.aclose()
    await transport.aclose()
    assert live.error is None
    cassette = WireCassette(path)
    async with kit.provider("http://replay.invalid", transport=cassette) as provider:
        assert await events_of(provider, REQUEST) == live
    assert cassette.remaining == 0
    assert len(server.requests) == 1
    assert kit.options["api_key"] not in path.read_text()


async def test_wire_cassette_with_no_exchange_left(tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    recorder = WireRecorder(InMemoryTransport(_source(CHUNKS)), path)
    await events_of(_provider(recorder), REQUEST)
    await recorder.aclose()
    cassette = WireCassette(path)
    await events_of(_provider(cassette), REQUEST)
    outcome = await events_of(_provider(cassette), REQUEST)
    assert outcome.error is not None
    assert "no exchange left" in outcome.error["message"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"chunk": "AAAA"}\n', 1),
        (
            '{"eventide_wire": 1, "method": "POST", "url": "u", "status": 200, "headers": {}}\n'
            '{"chunk": "not base64!"}\n',
            2,
        ),
        (
            '{"eventide_wire": 1, "method": "POST", "url": "u", "status": 200, "headers": {}}\n'
            '{"chunk": "AAAA"',
            2,
        ),
    ],
)
def test_wire_cassette_bad_lines_are_named(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "wire.jsonl"
    path.write_text(text)
    with pytest.raises(RecordFormatError, match=rf"wire\.jsonl:{line}: corrupted line") as info:
        WireCassette(path)
    assert info.value.line == line


async def test_wire_cassette_replays_a_refused_connection(tmp_path: Path) -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nobody listens there now: the connection is refused
    path = tmp_path / "wire.jsonl"
    transport = FastTransport()
    recorder = WireRecorder(transport, path)
    provider = OpenAIChat(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, transport=recorder)
    live = await events_of(provider, REQUEST)
    await recorder.aclose()
    await transport.aclose()
    assert live.error_type is TransportError
    [exchange] = read_wire(path)
    assert exchange.status is None
    assert await events_of(_provider(WireCassette(path)), REQUEST) == live
