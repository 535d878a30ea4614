"""The transport: one interface (`Transport`: open a request, read the response's bytes)
in eventide's own errors, and its implementations.

`_base` defines the interface, the request value and the provider's slot; `_h1` writes an
HTTP/1.1 request's bytes and `_response` reads a response (head and body framing, sans-IO,
with llhttp); `_fast` is the built-in HTTP/1.1 transport over them, with `_connection`
opening, typing the failures of, and checking its connections;
`_content` undoes Content-Encoding (gzip, deflate, br and zstd where available) on both
paths; `_memory` answers in process (the demo); `_httpx` adapts a caller's httpx client and
is the only module that imports httpx; `_refusal` turns a response that is not a stream
(an error status, a redirect, an HTML page) into the provider's error.
"""

from typing import Final

from .._version import __version__
from ._base import HTTPRequest as HTTPRequest
from ._base import Response as Response
from ._base import Transport as Transport
from ._base import TransportClosed as TransportClosed
from ._base import TransportSlot as TransportSlot
from ._base import unsendable as unsendable
from ._fast import FastTransport as FastTransport
from ._httpx import FastHTTPXTransport as FastHTTPXTransport
from ._httpx import HTTPClientOption as HTTPClientOption
from ._httpx import HTTPXTransport as HTTPXTransport
from ._httpx import default_transport as default_transport
from ._httpx import transport_slot as transport_slot
from ._memory import InMemoryTransport as InMemoryTransport
from ._refusal import ErrorFactory as ErrorFactory
from ._refusal import Refusal as Refusal
from ._refusal import parse_retry_after as parse_retry_after
from ._refusal import read_at_most as read_at_most

USER_AGENT: Final = f"eventide/{__version__}"

__all__ = [
    "USER_AGENT",
    "ErrorFactory",
    "FastHTTPXTransport",
    "FastTransport",
    "HTTPClientOption",
    "HTTPRequest",
    "HTTPXTransport",
    "InMemoryTransport",
    "Refusal",
    "Response",
    "Transport",
    "TransportClosed",
    "TransportSlot",
    "default_transport",
    "parse_retry_after",
    "read_at_most",
    "transport_slot",
    "unsendable",
]
