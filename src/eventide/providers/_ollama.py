"""`Ollama`: a local (or remote) Ollama server through its native chat API, ``/api/chat``."""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Any, Final, final
from urllib.parse import urlsplit

from ..wire._ndjson import DEFAULT_MAX_LINE_BYTES
from ..wire._ollama import OllamaDecoder, build_ollama_body, ollama_error
from ._http import HTTPProvider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._request import Request
    from .._timeouts import Timeouts
    from .._transport import HTTPClientOption, Transport

__all__ = ["Ollama", "ollama_base_url"]

OLLAMA_BASE_URL: Final = "http://localhost:11434"
DEFAULT_PORT: Final = 11434
DEFAULT_MODEL: Final = "llama3.2"
_CLOUD_HOST: Final = "ollama.com"


def ollama_base_url(host: str) -> str:
    """The server's root URL for an ``OLLAMA_HOST``-style value, read as Ollama's own client does.

    Without a scheme the value is a host, maybe with a port: ``http://`` and port 11434 are
    added (``"127.0.0.1:11434"``, ``"example.com"``, ``"[::1]"``), except for ``ollama.com``,
    which is ``https://ollama.com``. With a scheme it is taken as it is. The unspecified
    addresses a server binds to (``0.0.0.0``, ``::``) become the loopback address, where a
    client can connect; spaces and quotes around the value are ignored, and so is a trailing
    ``/api`` (the cloud API is documented as ``https://ollama.com/api``). A missing or invalid
    port, without a scheme, is 11434.
    """
    value = host.strip().strip("\"'").strip()
    if not value:
        return OLLAMA_BASE_URL
    if "://" not in value:
        if value == _CLOUD_HOST:
            return f"https://{_CLOUD_HOST}"
        hostport, slash, path = value.partition("/")
        name, port = _split_host_port(hostport)
        if not (port.isdigit() and int(port) <= 65535):  # Ollama's client ignores a bad port too
            port = str(DEFAULT_PORT)
        value = f"http://{_join_host_port(name or 'localhost', port)}"
        if slash:
            value += f"/{path}"
    parts = urlsplit(value)
    name = parts.hostname or ""
    if _unspecified(name):
        loopback = "127.0.0.1" if ":" not in name else "::1"
        port = f":{parts.port}" if parts.port is not None else ""
        value = parts._replace(netloc=f"{_join_host_port(loopback, '')}{port}").geturl()
    value = value.rstrip("/")
    return value.removesuffix("/api")


def _split_host_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):  # [v6] or [v6]:port
        name, _, rest = hostport[1:].partition("]")
        return name, rest.removeprefix(":")
    if hostport.count(":") > 1:  # a bare IPv6 address: no port
        return hostport, ""
    name, _, port = hostport.partition(":")
    return name, port


def _join_host_port(name: str, port: str) -> str:
    host = f"[{name}]" if ":" in name else name
    return f"{host}:{port}" if port else host


def _unspecified(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_unspecified
    except ValueError:
        return False


@final
class Ollama(HTTPProvider):
    """A provider for Ollama's native streaming chat API (``POST /api/chat``, NDJSON).

    Args:
        base_url: The server's root, such as ``http://gpu-box:11434``, or a bare host as in
            ``OLLAMA_HOST`` (see `ollama_base_url`). Default: the ``OLLAMA_HOST`` environment
            variable, else ``http://localhost:11434``.
        api_key: Sent as a bearer token (ollama.com, or a server behind an authenticating
            proxy). Default: none, and no Authorization header (a local server needs none).
        model: The model used when the request names none. Default: ``OLLAMA_MODEL``, else
            ``llama3.2``.
        name: The provider name reported in `Metadata` and errors.
        http_client: An `httpx.AsyncClient` to send through (proxies, custom transports,
            tests), which stays yours to close; or a function that makes one on first use,
            closed by `aclose()`. Default: a client made on first use, closed by `aclose()`.
        transport: A `Transport` to send through instead (the caller's to close).
        headers: Extra request headers.
        timeouts: Default time budgets of every stream (override per call).
        max_event_bytes: The longest NDJSON line accepted.

    The environment is read once, here; nothing is sent until a stream is read. The API key
    never appears in the repr, in errors or in logs.
    """

    accept = "application/x-ndjson"
    # Errors come as application/json with an error status, which is handled before the
    # content type is looked at; a 200 application/json body is one whole JSON object, which
    # the NDJSON decoder reads as a one-line stream. Only an HTML page is surely wrong.
    reject_content_types = ("text/html",)

    error_factory = staticmethod(ollama_error)
    official_host = _CLOUD_HOST
    missing_key = "ollama.com needs one, pass api_key="

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        name: str = "ollama",
        http_client: HTTPClientOption = None,
        transport: Transport | None = None,
        headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        max_event_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        super().__init__(
            name=name,
            base_url=ollama_base_url(base_url or os.environ.get("OLLAMA_HOST") or ""),
            model=model or os.environ.get("OLLAMA_MODEL") or DEFAULT_MODEL,
            secret=api_key or None,
            auth_headers={"authorization": f"Bearer {api_key}"} if api_key else {},
            http_client=http_client,
            transport=transport,
            headers=headers,
            timeouts=timeouts,
            max_event_bytes=max_event_bytes,
        )

    def _url(self, model: str) -> str:
        return f"{self.base_url}/api/chat"

    def _body(self, request: Request, model: str) -> dict[str, Any]:
        return build_ollama_body(request, model=model)

    def _decoder(self, headers: Mapping[str, str], model: str) -> OllamaDecoder:
        return OllamaDecoder(
            provider=self.name, requested_model=model, max_line_bytes=self._max_event_bytes
        )
