"""The transport: the only package that touches httpx and sockets.

`_client` sends a request through an httpx client and streams the body's bytes; `_h1` is
a sans-IO HTTP/1.1 response-body decoder; `_pool` and `_fast` are eventide's own
HTTP/1.1 transport (an `httpx.AsyncBaseTransport`), the default for clients eventide makes.
"""

from ._client import USER_AGENT as USER_AGENT
from ._client import ClientSlot as ClientSlot
from ._client import ErrorFactory as ErrorFactory
from ._client import HTTPBody as HTTPBody
from ._client import InMemoryTransport as InMemoryTransport
from ._client import default_client as default_client
from ._client import new_client as new_client
from ._client import open_body as open_body
from ._client import parse_retry_after as parse_retry_after
from ._fast import FastClient as FastClient
from ._fast import FastTransport as FastTransport

__all__ = [
    "USER_AGENT",
    "ClientSlot",
    "ErrorFactory",
    "FastClient",
    "FastTransport",
    "HTTPBody",
    "InMemoryTransport",
    "default_client",
    "new_client",
    "open_body",
    "parse_retry_after",
]
