"""`request_bytes` writes a request as h11 writes it, and refuses what h11 refuses."""

from __future__ import annotations

import h11
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eventide._transport._h1 import Unsendable, request_bytes

_NAMES = st.text("abcxyz-_!#0189", min_size=1, max_size=6).map(str.encode)
_VALUES = st.binary(max_size=8) | st.text("ab \t:;=/", max_size=8).map(str.encode)
_ANY = st.binary(max_size=6)


def _h11(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes | None:
    """h11's bytes for the request, or None when h11 refuses it."""
    protocol = h11.Connection(h11.CLIENT)
    try:
        parts = [
            protocol.send(h11.Request(method=method, target=target, headers=headers)),
            protocol.send(h11.Data(data=body)) if body else b"",
            protocol.send(h11.EndOfMessage()),
        ]
    except h11.LocalProtocolError:
        return None
    return b"".join(part or b"" for part in parts)


@given(
    method=st.sampled_from([b"POST", b"GET", b"PO ST", b"", b"G\x00"]),
    target=st.sampled_from([b"/v1/chat?q=%20", b"/", b"/a b", b"", b"/\x7f"]),
    fields=st.lists(st.tuples(_NAMES | _ANY, _VALUES), max_size=4),
    body=st.binary(max_size=10),
)
@example(method=b"POST", target=b"/", fields=[(b"x", b" a")], body=b"")
@example(method=b"POST", target=b"/", fields=[(b"x", b"a\r\nb: c")], body=b"")
@example(method=b"POST", target=b"/", fields=[(b"x", b"a \t b")], body=b"{}")
@example(method=b"POST", target=b"/", fields=[(b"x y", b"a")], body=b"")
def test_request_bytes_are_h11s(
    method: bytes, target: bytes, fields: list[tuple[bytes, bytes]], body: bytes
) -> None:
    framing = [(b"content-length", b"%d" % len(body))]
    fields = [(name, value) for name, value in fields if name.lower() != b"content-length"]
    headers = [(b"host", b"example.test:8080"), *fields, *framing]
    expected = _h11(method, target, headers, body)
    if expected is None:
        with pytest.raises(Unsendable):
            request_bytes(method, target, headers, body)
    else:
        assert request_bytes(method, target, headers, body) == expected


def test_request_bytes_never_quote_a_header_value() -> None:
    with pytest.raises(Unsendable) as info:
        request_bytes(b"GET", b"/", [(b"authorization", b"Bearer sk-secret\n")], b"")
    assert "secret" not in str(info.value)
    assert "authorization" in str(info.value)
