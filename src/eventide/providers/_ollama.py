"""`Ollama`: a local (or remote) Ollama server through its native chat API, ``/api/chat``."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Final, final
from urllib.parse import urlsplit

from ..wire import OllamaDecoder, build_ollama_body, ollama_error
from ._http import HTTPProvider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..wire import Decoder

__all__ = ["Ollama", "ollama_base_url"]

OLLAMA_BASE_URL: Final = "http://localhost:11434"
DEFAULT_PORT: Final = 11434
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

    Options as for every provider (see `HTTPProvider`): ``base_url`` is the server's root,
    such as ``http://gpu-box:11434``, or a bare host as in ``OLLAMA_HOST`` (see
    `ollama_base_url`; default: ``OLLAMA_HOST``, else ``http://localhost:11434``);
    ``api_key`` is sent as a bearer token (ollama.com, or a server behind an authenticating
    proxy; default: none, and no Authorization header); ``model`` defaults to
    ``OLLAMA_MODEL``, else ``llama3.2``; ``max_event_bytes`` is the longest NDJSON line.
    """

    default_name = "ollama"
    default_base_url = OLLAMA_BASE_URL
    default_model = "llama3.2"
    base_url_env = ("OLLAMA_HOST",)
    model_env = ("OLLAMA_MODEL",)
    path = "/api/chat"
    decoder = OllamaDecoder
    body = staticmethod(build_ollama_body)
    error_factory = staticmethod(ollama_error)
    official_host = _CLOUD_HOST
    missing_key = "ollama.com needs one, pass api_key="
    accept = "application/x-ndjson"
    # Errors come as application/json with an error status, which is handled before the
    # content type is looked at; a 200 application/json body is one whole JSON object, which
    # the NDJSON decoder reads as a one-line stream. Only an HTML page is surely wrong.
    reject_content_types = ("text/html",)
    models_path = "/api/tags"  # the models pulled to this server
    models_field = ("models", "name")

    @staticmethod
    def _base_url(value: str) -> str:
        return ollama_base_url(value)

    def _decoder(self, headers: Mapping[str, str], model: str) -> Decoder:
        return OllamaDecoder(
            provider=self.name, requested_model=model, max_line_bytes=self._max_event_bytes
        )
