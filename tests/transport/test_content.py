"""Compressed responses: what the transports ask for, and every body (SSE, NDJSON, error
bodies) decoded as it streams, over real sockets, on the built-in and the httpx path alike."""

from __future__ import annotations

import gzip
import zlib
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

import eventide
from eventide import ProtocolError, Timeouts
from eventide._transport import FastHTTPXTransport, FastTransport, HTTPRequest
from eventide._transport._content import ContentDecoder, accept_encoding
from tests.http_server import Cut, Pause, Reply, ScriptedServer, Stall, serve
from tests.strategies import chunked

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from eventide.providers import Provider
    from tests.kits import Kit

TEXTS = ["Hello", ", ", "world"]


def gzip_pieces(pieces: list[bytes], *, wbits: int = 31) -> list[bytes]:
    """Each piece compressed and flushed on its own (as a streaming server does), then the
    end of the compressed data: one network chunk per piece."""
    compressor = zlib.compressobj(wbits=wbits)
    out = [compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH) for piece in pieces]
    out.append(compressor.flush())
    return out


ENCODERS: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "gzip": gzip_pieces,
    "deflate": lambda pieces: gzip_pieces(pieces, wbits=15),  # zlib-wrapped, as RFC 9110 says
    "raw-deflate": lambda pieces: gzip_pieces(pieces, wbits=-15),  # what some servers send
}


def brotli_pieces(pieces: list[bytes]) -> list[bytes]:
    brotli: Any = pytest.importorskip("brotli")
    compressor = brotli.Compressor()
    return [
        *(compressor.process(piece) + compressor.flush() for piece in pieces),
        compressor.finish(),
    ]


def zstd_pieces(pieces: list[bytes]) -> list[bytes]:
    zstandard: Any = pytest.importorskip("zstandard")
    compressor = zstandard.ZstdCompressor().compressobj()
    block = zstandard.COMPRESSOBJ_FLUSH_BLOCK
    return [
        *(compressor.compress(piece) + compressor.flush(block) for piece in pieces),
        compressor.flush(),
    ]


# Where brotli or zstandard is installed, eventide asks for and decodes br and zstd too.
OPTIONAL_ENCODERS: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "br": brotli_pieces,
    "zstd": zstd_pieces,
}


def header_name(encoding: str) -> str:
    return "deflate" if encoding == "raw-deflate" else encoding


@pytest.fixture(params=["fast", "httpx"])
def path(request: pytest.FixtureRequest) -> str:
    """The built-in transport, or the adapter over a caller's httpx client."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def any_provider(kit: Kit, server: ScriptedServer, path: str) -> AsyncIterator[Provider]:
    options: dict[str, Any] = {}
    if path == "httpx":
        options["http_client"] = lambda: httpx.AsyncClient()
    async with kit.provider(server.url, **options) as made:
        yield made


# -- the decoder alone ----------------------------------------------------------------------


def test_accept_encoding_names_what_can_be_decoded() -> None:
    names = accept_encoding().split(", ")
    assert names[:2] == ["gzip", "deflate"]
    decoders = {"br": ("brotli", "brotlicffi"), "zstd": ("zstandard", "compression.zstd")}
    for name, modules in decoders.items():
        assert (name in names) is any(_installed(module) for module in modules)


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # "compression" itself is missing before Python 3.14
        return False


@pytest.mark.parametrize(
    "encoding",
    [
        pytest.param(name, marks=pytest.mark.skipif(not find_spec(module), reason=f"no {module}"))
        for name, module in (("br", "brotli"), ("zstd", "zstandard"))
    ],
)
async def test_br_and_zstd_streams_are_decoded_where_a_decoder_is_installed(
    kit: Kit, server: ScriptedServer, any_provider: Provider, encoding: str
) -> None:
    body = OPTIONAL_ENCODERS[encoding](kit.body(TEXTS))
    server.reply(Reply(headers=(*kit.headers, ("content-encoding", encoding)), body=body))
    assert await eventide.collect_text(any_provider.stream("hi")) == "Hello, world"


@pytest.mark.parametrize("encoding", sorted(ENCODERS.keys() | OPTIONAL_ENCODERS.keys()))
@given(data=st.data())
def test_content_decoder_ignores_chunk_boundaries(encoding: str, data: st.DataObject) -> None:
    pieces = data.draw(st.lists(st.binary(max_size=200), min_size=1, max_size=5))
    wire = b"".join({**ENCODERS, **OPTIONAL_ENCODERS}[encoding](pieces))
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=20))
    decoder = ContentDecoder.for_headers({"content-encoding": header_name(encoding)})
    assert decoder is not None
    assert b"".join(decoder.decode(part) for part in chunked(wire, cuts)) == b"".join(pieces)
    decoder.end()


def test_content_decoder_reads_every_gzip_member_and_stacked_codings() -> None:
    members = gzip.compress(b"one ") + gzip.compress(b"two")
    decoder = ContentDecoder.for_headers({"content-encoding": "x-gzip"})
    assert decoder is not None
    assert decoder.decode(members) == b"one two"
    decoder.end()
    stacked = gzip.compress(zlib.compress(b"both"))  # deflate first, then gzip
    decoder = ContentDecoder.for_headers({"content-encoding": "deflate, identity, gzip"})
    assert decoder is not None
    assert decoder.decode(stacked) == b"both"
    decoder.end()
    assert ContentDecoder.for_headers({"content-encoding": "identity"}) is None
    assert ContentDecoder.for_headers({}) is None


def test_content_decoder_names_the_coding_of_a_cut_or_corrupt_body() -> None:
    decoder = ContentDecoder.for_headers({"content-encoding": "gzip"})
    assert decoder is not None
    assert decoder.decode(gzip.compress(b"a long enough text")[:-6]) == b"a long enough text"
    with pytest.raises(ProtocolError, match="gzip-encoded response body ended in the middle"):
        decoder.end()
    decoder = ContentDecoder.for_headers({"content-encoding": "gzip"})
    assert decoder is not None
    with pytest.raises(ProtocolError, match="corrupt gzip-encoded response body"):
        decoder.decode(b"data: not compressed at all\n\n")
    decoder = ContentDecoder.for_headers({"content-encoding": "gzip"})
    assert decoder is not None
    decoder.end()  # an empty body is fine, whatever its header says


def zstd_frames(pieces: list[bytes]) -> bytes:
    """Each piece a zstd frame of its own, one after another (RFC 8878 section 3.1), as a
    server that ends a frame at each flush sends them."""
    zstandard: Any = pytest.importorskip("zstandard")
    return b"".join(zstandard.ZstdCompressor().compress(piece) for piece in pieces)


def decode_in_parts(encoding: str, parts: list[bytes]) -> bytes:
    decoder = ContentDecoder.for_headers({"content-encoding": encoding})
    assert decoder is not None
    out = b"".join(decoder.decode(part) for part in parts)
    decoder.end()
    return out


@given(data=st.data())
def test_content_decoder_reads_every_zstd_frame_however_they_arrive(data: st.DataObject) -> None:
    pieces = data.draw(st.lists(st.binary(max_size=200), min_size=2, max_size=5))
    wire = zstd_frames(pieces)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=20))
    assert decode_in_parts("zstd", chunked(wire, cuts)) == b"".join(pieces)


def test_content_decoder_reads_zstd_frames_in_one_read_or_one_each() -> None:
    pieces = [b"data: one\n\n", b"data: two\n\n", b"data: [DONE]\n\n"]
    frames = [zstd_frames([piece]) for piece in pieces]
    assert decode_in_parts("zstd", [b"".join(frames)]) == b"".join(pieces)
    assert decode_in_parts("zstd", frames) == b"".join(pieces)
    decoder = ContentDecoder.for_headers({"content-encoding": "zstd"})
    assert decoder is not None
    assert decoder.decode(frames[0] + frames[1][:5]) == pieces[0]  # the second frame is cut
    with pytest.raises(ProtocolError, match="zstd-encoded response body ended in the middle"):
        decoder.end()


@pytest.mark.parametrize(
    "trailing",
    [b"\0" * 8, b"garbage", b"\x1f\x8b\x00 not a member", b"\x1f", b"\x1f\x8b"],
    ids=["zeros", "garbage", "another-method", "a-first-byte", "a-magic-number"],
)
@given(data=st.data())
def test_content_decoder_ends_a_gzip_body_at_bytes_that_do_not_begin_a_member(
    trailing: bytes, data: st.DataObject
) -> None:
    members = data.draw(st.lists(st.binary(max_size=100), min_size=1, max_size=3))
    wire = b"".join(gzip.compress(member) for member in members) + trailing
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=10))
    assert decode_in_parts("gzip", chunked(wire, cuts)) == b"".join(members)


@pytest.mark.parametrize(
    ("encoding", "whole", "corrupt"),
    [
        ("gzip", gzip.compress(b"data: one\n\n"), b"\x1f\x8b\x08" + b"\xff" * 20),
        ("zstd", zstd_frames([b"data: one\n\n"]), b"not a zstd frame"),
    ],
    ids=["gzip", "zstd"],
)
def test_content_decoder_returns_what_it_decoded_before_corrupt_data(
    encoding: str, whole: bytes, corrupt: bytes
) -> None:
    decoder = ContentDecoder.for_headers({"content-encoding": encoding})
    assert decoder is not None
    assert decoder.decode(whole + corrupt) == b"data: one\n\n"
    for step in (lambda: decoder.decode(b"more"), decoder.end):
        with pytest.raises(ProtocolError, match=f"corrupt {encoding}-encoded response body"):
            step()


# -- over real sockets ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
async def test_a_compressed_stream_is_decoded_for_every_provider(
    kit: Kit, server: ScriptedServer, any_provider: Provider, path: str, encoding: str
) -> None:
    headers = (*kit.headers, ("content-encoding", header_name(encoding)))
    server.reply(Reply(headers=headers, body=ENCODERS[encoding](kit.body(TEXTS))))
    assert await eventide.collect_text(any_provider.stream("hi")) == "Hello, world"
    sent = server.requests[-1].headers["accept-encoding"]
    # the built-in transport asks for what it decodes; httpx asks for its own list
    assert sent == accept_encoding() if path == "fast" else "gzip" in sent


@pytest.mark.parametrize("reads", ["one read", "a read per frame"])
async def test_a_zstd_stream_of_several_frames_is_read_to_its_end(
    kit: Kit, server: ScriptedServer, any_provider: Provider, reads: str
) -> None:
    pieces = kit.body(TEXTS)
    half = len(pieces) // 2  # the usage and the terminal event are in the second frame
    frames = [zstd_frames([b"".join(pieces[:half])]), zstd_frames([b"".join(pieces[half:])])]
    body = frames if reads == "a read per frame" else [b"".join(frames)]
    headers = (*kit.headers, ("content-encoding", "zstd"))
    server.reply(Reply(headers=headers, body=[body[0], Pause(0.05), *body[1:]]))
    completion = await eventide.collect(any_provider.stream("hi"))
    assert (completion.text, completion.usage) == ("Hello, world", kit.usage)


@pytest.mark.parametrize("trailing", [b"\0" * 8, b"garbage"], ids=["zeros", "garbage"])
async def test_a_gzip_stream_followed_by_other_bytes_is_read_to_its_end(
    kit: Kit, server: ScriptedServer, any_provider: Provider, trailing: bytes
) -> None:
    body = gzip.compress(b"".join(kit.body(TEXTS))) + trailing
    server.reply(Reply(headers=(*kit.headers, ("content-encoding", "gzip")), body=[body]))
    completion = await eventide.collect(any_provider.stream("hi"))
    assert (completion.text, completion.usage) == ("Hello, world", kit.usage)


async def test_the_events_before_corrupt_compressed_data_are_delivered_first(
    kit: Kit, server: ScriptedServer, any_provider: Provider
) -> None:
    pieces = kit.body(TEXTS)
    head = gzip.compress(b"".join(pieces[: kit.lead + 1]))  # up to the first text
    corrupt = b"\x1f\x8b\x08" + b"\xff" * 20  # a member's header, then no deflate data
    headers = (*kit.headers, ("content-encoding", "gzip"))
    server.reply(Reply(headers=headers, body=[head + corrupt, Stall()]))
    with (  # the fault is raised at once, not after a read that never ends
        trio.fail_after(5),
        pytest.raises(ProtocolError, match="corrupt gzip-encoded response body") as info,
    ):
        await eventide.collect(any_provider.stream("hi"))
    assert info.value.partial is not None
    assert info.value.partial.text == "Hello"


async def test_a_compressed_stream_stays_a_stream(
    kit: Kit, server: ScriptedServer, any_provider: Provider
) -> None:
    body = gzip_pieces(kit.body(TEXTS))
    headers = (*kit.headers, ("content-encoding", "gzip"))
    server.reply(Reply(headers=headers, body=[*body[: kit.lead + 1], Stall()]))
    with trio.fail_after(5):  # the rest never comes: the first text must not wait for it
        async with any_provider.stream("hi") as events:
            async for event in events:
                if isinstance(event, eventide.TextDelta):
                    assert event.text == "Hello"
                    break


async def test_a_compressed_error_body_is_decoded_for_every_provider(
    kit: Kit, server: ScriptedServer, any_provider: Provider
) -> None:
    body = gzip.compress(kit.error_body(400, "invalid_request_error", "bad things"))
    headers = (("content-type", "application/json"), ("content-encoding", "gzip"))
    server.reply(Reply(status=400, headers=headers, body=[body], content_length=True))
    with pytest.raises(eventide.BadRequestError) as info:
        await eventide.collect(any_provider.stream("hi"))
    assert info.value.message == "HTTP 400: bad things"


async def test_an_unknown_coding_is_a_protocol_error_that_names_it(
    kit: Kit, server: ScriptedServer, any_provider: Provider
) -> None:
    headers = (*kit.headers, ("content-encoding", "snappy"))
    server.reply(Reply(headers=headers, body=kit.body(TEXTS)))
    with pytest.raises(ProtocolError, match="snappy-encoded, which eventide cannot decode"):
        await eventide.collect(any_provider.stream("hi"))


async def test_a_corrupt_or_cut_compressed_stream_is_a_protocol_error_that_names_it(
    kit: Kit, server: ScriptedServer, any_provider: Provider
) -> None:
    headers = (*kit.headers, ("content-encoding", "gzip"))
    server.reply(Reply(headers=headers, body=kit.body(TEXTS)))  # says gzip, is not
    with pytest.raises(ProtocolError, match="corrupt gzip-encoded response body"):
        await eventide.collect(any_provider.stream("hi"))
    body = gzip_pieces(kit.body(TEXTS))
    server.reply(Reply(headers=headers, body=[*body[: kit.lead + 1], Cut()]))
    with pytest.raises(ProtocolError) as info:  # a cut HTTP body: the framing says so
        await eventide.collect(any_provider.stream("hi"))
    assert "gzip" not in info.value.message


async def test_the_callers_accept_encoding_is_kept() -> None:
    async with serve(Reply(body=[b"plain"])) as server, FastTransport() as transport:
        request = HTTPRequest("GET", f"{server.url}/x", {"Accept-Encoding": "identity"})
        response = await transport.open(request, Timeouts())
        assert b"".join([chunk async for chunk in response.chunks]) == b"plain"
        await response.aclose()
    assert server.requests[0].headers["accept-encoding"] == "identity"


async def test_an_httpx_client_over_the_built_in_transport_decodes_once() -> None:
    reply = Reply(
        headers=(("content-encoding", "gzip"),),
        body=[gzip.compress(b"only once")],
        content_length=True,
    )
    async with (
        serve(reply) as server,
        httpx.AsyncClient(transport=FastHTTPXTransport()) as client,
    ):
        response = await client.get(f"{server.url}/x")
    assert response.content == b"only once"
    assert response.headers["content-encoding"] == "gzip"
