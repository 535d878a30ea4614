"""`Anthropic`: the Anthropic Messages API (``POST /v1/messages`` with ``stream: true``)."""

from __future__ import annotations

from typing import final

from ..wire import AnthropicDecoder, anthropic_error, build_anthropic_body
from ..wire._anthropic import ANTHROPIC_VERSION
from ._http import HTTPProvider

__all__ = ["Anthropic"]


@final
class Anthropic(HTTPProvider):
    """A provider for the Anthropic Messages streaming API.

    Options as for every provider (see `HTTPProvider`): ``base_url`` is the API root without
    ``/v1`` (default: ``ANTHROPIC_BASE_URL``, else ``https://api.anthropic.com``);
    ``api_key`` is sent as the ``x-api-key`` header (default: ``ANTHROPIC_API_KEY``; with
    neither, none is sent: a local gateway may need none, api.anthropic.com fails fast with
    `AuthenticationError` before anything is sent); ``model`` defaults to
    ``ANTHROPIC_MODEL``, else ``claude-sonnet-4-5``; ``headers`` may add ``anthropic-beta``
    or another ``anthropic-version``.

    Every request carries ``anthropic-version: 2023-06-01``.
    """

    default_name = "anthropic"
    default_base_url = "https://api.anthropic.com"
    default_model = "claude-sonnet-4-5"
    base_url_env = ("ANTHROPIC_BASE_URL",)
    key_env = ("ANTHROPIC_API_KEY",)
    model_env = ("ANTHROPIC_MODEL",)
    path = "/v1/messages"
    decoder = AnthropicDecoder
    body = staticmethod(build_anthropic_body)
    error_factory = staticmethod(anthropic_error)
    metadata_headers = (("request-id", "request_id"),)
    official_host = "api.anthropic.com"
    missing_key = "set ANTHROPIC_API_KEY or pass api_key="
    fixed_headers = (("anthropic-version", ANTHROPIC_VERSION),)
    models_path = "/v1/models"
    models_query = "limit=1000"  # the most one page holds (default 20)

    @staticmethod
    def _auth(key: str) -> dict[str, str]:
        return {"x-api-key": key}
