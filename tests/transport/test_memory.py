"""InMemoryTransport: a body made in process, through the same interface as a socket's; and
`HTTPSource` over it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from eventide import ProtocolError, ProviderError, TextDelta, Timeouts
from eventide._http_source import HTTPSource
from eventide._secrets import Redactor
from eventide._transport import HTTPRequest, InMemoryTransport, Refusal, TransportClosed

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from eventide import Event


async def empty_body(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
    """A source that answers with an empty body."""
    pieces: tuple[bytes, ...] = ()
    for piece in pieces:
        yield piece


async def test_in_memory_transport_streams_what_its_source_makes() -> None:
    seen: list[Mapping[str, Any]] = []

    async def source(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        seen.append(payload)
        for piece in (b"a", b"b"):
            yield piece

    async with InMemoryTransport(source, headers={"x-served-by": "test"}) as transport:
        response = await transport.open(
            HTTPRequest("POST", "http://t/x", {}, b'{"q":1}'), Timeouts()
        )
        assert b"".join([chunk async for chunk in response.chunks]) == b"ab"
        assert response.complete
        await response.aclose()
    assert response.status == 200
    assert response.headers["x-served-by"] == "test"
    assert response.headers["content-type"] == "text/event-stream"
    assert seen == [{"q": 1}]
    with pytest.raises(TransportClosed):
        await transport.open(HTTPRequest("POST", "http://t/x"), Timeouts())


async def test_in_memory_response_closes_its_body_early() -> None:
    closed: list[bool] = []

    async def source(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    response = await InMemoryTransport(source).open(HTTPRequest("GET", "http://t/"), Timeouts())
    assert await response.chunks.__anext__() == b"a"
    await response.aclose()
    assert closed == [True]
    assert not response.complete


class HoldingDecoder:
    """Decodes one chunk, then holds a fault, as a decoder under h11's rule does."""

    done = False

    def __init__(self) -> None:
        self.failed = False

    def feed(self, data: bytes) -> list[Event]:
        self.failed = True
        return [TextDelta(data.decode())]

    def end(self) -> list[Event]:
        raise ProtocolError("held")


async def test_http_source_raises_a_held_fault_before_reading_again() -> None:
    async def source(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        yield b"a"
        raise AssertionError("read after a held fault")  # pragma: no cover

    http = HTTPSource(
        InMemoryTransport(source),
        HTTPRequest("POST", "http://t/x"),
        lambda headers, model: HoldingDecoder(),
        Refusal("memory", ProviderError),
        Redactor(()),
        model="m",
        timeouts=Timeouts(),
    )
    assert await http.receive() == [TextDelta("a")]
    with pytest.raises(ProtocolError, match="held") as info:
        await http.receive()
    assert info.value.provider == "memory"
    await http.aclose()
