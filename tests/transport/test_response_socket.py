"""FastTransport reading responses with llhttp over a real socket: what changed from h11."""

from __future__ import annotations

from contextlib import aclosing

import pytest

from eventide import ProtocolError, Timeouts
from eventide._transport import FastTransport, HTTPRequest
from eventide._transport._response import MAX_HEAD
from tests.http_server import Cut, Pause, Reply, serve


async def _read(reply: Reply, method: str = "POST") -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of `reply` (its error raised outside the server's
    nursery, unwrapped)."""
    failure: ProtocolError | None = None
    async with serve(reply) as server, FastTransport() as transport:
        request = HTTPRequest(method, f"{server.url}/v1", body=b"{}")
        try:
            response = await transport.open(request, Timeouts(read=10))
            async with aclosing(response):
                body = b"".join([chunk async for chunk in response])
        except ProtocolError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return response.status, response.headers, body


async def test_content_length_with_transfer_encoding_is_refused() -> None:
    # h11 let chunked win; a response framed two ways is a smuggling risk
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    with pytest.raises(ProtocolError, match="broken HTTP response: malformed response head"):
        await _read(Reply.raw(head + b"3\r\nabc\r\n0\r\n\r\n", Cut()))


async def test_a_long_head_in_small_reads_is_read_up_to_the_limit() -> None:
    # h11 refused a head still incomplete past 16 KiB, so a 40 KiB head passed or not
    # depending on how it was read; the limit is now MAX_HEAD, whatever the reads
    padding = [b"X-Pad-%05d: %s\r\n" % (i, b"p" * 1000) for i in range(40)]
    pieces = [piece for line in padding for piece in (line, Pause(0.001))]
    head = [b"HTTP/1.1 200 OK\r\n", *pieces, b"Content-Length: 2\r\n\r\nhi"]
    status, headers, body = await _read(Reply.raw(*head, Cut()))
    assert (status, body, len(headers)) == (200, b"hi", 41)
    too_long = [b"HTTP/1.1 200 OK\r\n", *pieces * (MAX_HEAD // 40_000 + 1), b"\r\n", Cut()]
    with pytest.raises(ProtocolError, match=f"longer than {MAX_HEAD} bytes"):
        await _read(Reply.raw(*too_long))


async def test_informational_heads_and_a_head_requests_body_are_skipped() -> None:
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
    final = b"HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 5\r\n\r\n"
    status, headers, body = await _read(Reply.raw(early, Pause(0.01), final, b"hello", Cut()))
    assert (status, headers["x-final"], "link" in headers, body) == (200, "yes", False, b"hello")
    # a server that sends a body to a HEAD: the body is not read as one
    status, headers, body = await _read(Reply.raw(final + b"hello", Cut()), method="HEAD")
    assert (status, body) == (200, b"")
