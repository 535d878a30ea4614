"""The request value and the provider's transport slot: ownership and the closed state."""

from __future__ import annotations

import attrs
import pytest

from eventide import Timeouts, TransportError
from eventide._transport import HTTPRequest, InMemoryTransport, TransportClosed, TransportSlot
from tests.transport.test_memory import empty_body


def test_http_request_is_a_frozen_value_with_ordered_headers() -> None:
    request = HTTPRequest("POST", "http://t/x", {"a": "1", "b": "2"}, b"{}")
    assert request.headers == (("a", "1"), ("b", "2"))
    assert request == HTTPRequest("POST", "http://t/x", [("a", "1"), ("b", "2")], b"{}")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.url = "http://elsewhere/"  # type: ignore[misc]


async def test_slot_makes_its_transport_on_first_use_and_closes_it() -> None:
    made: list[InMemoryTransport] = []

    def factory() -> InMemoryTransport:
        made.append(InMemoryTransport(empty_body))
        return made[-1]

    slot = TransportSlot(factory=factory)
    assert made == []
    response = await slot.open(HTTPRequest("GET", "http://t/"), Timeouts())
    await response.aclose()
    assert slot.get() is made[0]
    await slot.aclose()
    with pytest.raises(TransportClosed):  # the transport it made is closed too
        await made[0].open(HTTPRequest("GET", "http://t/"), Timeouts())


async def test_slot_leaves_a_callers_transport_open_and_refuses_once_closed() -> None:
    given = InMemoryTransport(empty_body)
    async with TransportSlot(given) as slot:
        assert slot.get() is given
    assert slot.closed
    with pytest.raises(TransportClosed, match="closed") as info:
        await slot.open(HTTPRequest("GET", "http://t/"), Timeouts())
    assert isinstance(info.value, TransportError)
    response = await given.open(HTTPRequest("GET", "http://t/"), Timeouts())  # still open
    await response.aclose()
