"""The transport's pure helpers: Retry-After parsing, and the in-process transport."""

from __future__ import annotations

import email.utils
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from eventide._transport import InMemoryTransport, parse_retry_after

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "20"}, 20.0),
        ({"retry-after": " 3 "}, 3.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the precise one wins
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_750_000_000.0
    date = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(42)
    past = email.utils.formatdate(now - 42, usegmt=True)
    assert parse_retry_after({"retry-after": past}, now=now) == 0.0


async def test_in_memory_transport_streams_what_its_source_makes() -> None:
    seen: list[Mapping[str, Any]] = []

    async def source(payload: Mapping[str, Any]) -> AsyncIterator[bytes]:
        seen.append(payload)
        for piece in (b"a", b"b"):
            yield piece

    transport = InMemoryTransport(source, headers={"x-served-by": "test"})
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post("http://t/x", json={"q": 1})
    assert response.content == b"ab"
    assert response.headers["x-served-by"] == "test"
    assert response.headers["content-type"] == "text/event-stream"
    assert seen == [{"q": 1}]
