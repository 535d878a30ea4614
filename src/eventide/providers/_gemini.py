"""`Gemini`: Google's Gemini API (generativelanguage.googleapis.com), streamed over
``models/{model}:streamGenerateContent?alt=sse``."""

from __future__ import annotations

from typing import final
from urllib.parse import quote

from ..wire import GeminiDecoder, build_gemini_body, gemini_error
from ._http import HTTPProvider, join_url

__all__ = ["Gemini"]


@final
class Gemini(HTTPProvider):
    """A provider for the Gemini API's streaming ``streamGenerateContent`` method.

    Options as for every provider (see `HTTPProvider`): ``base_url`` defaults to
    ``GEMINI_BASE_URL``, else ``https://generativelanguage.googleapis.com/v1beta``;
    ``api_key`` is sent in the ``x-goog-api-key`` header, never in the URL (default:
    ``GEMINI_API_KEY``, else ``GOOGLE_API_KEY``; with none, no key header is sent: a proxy
    may add its own); ``model`` defaults to ``GEMINI_MODEL``, else ``gemini-flash-latest``
    (Google's alias for its newest Flash model; `Metadata.model` names the version that
    served). A bare model id goes under ``models/``; a resource name such as
    ``tunedModels/my-model`` is used as it is.

    The body has no end-of-stream sentinel: a stream is complete when the server closes the
    body after a finish reason.
    """

    default_name = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    default_model = "gemini-flash-latest"
    base_url_env = ("GEMINI_BASE_URL",)
    key_env = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    model_env = ("GEMINI_MODEL",)
    decoder = GeminiDecoder
    body = staticmethod(build_gemini_body)
    error_factory = staticmethod(gemini_error)
    official_host = "generativelanguage.googleapis.com"
    missing_key = "set GEMINI_API_KEY (or GOOGLE_API_KEY) or pass api_key="
    models_field = ("models", "name")  # names are "models/gemini-..."
    models_query = "pageSize=1000"  # the most one page holds (default 50)

    @staticmethod
    def _auth(key: str) -> dict[str, str]:
        return {"x-goog-api-key": key}

    def _url(self, model: str) -> str:
        resource = model if "/" in model else f"models/{model}"
        query = "&".join(q for q in ("alt=sse", self._query) if q)
        return join_url(self.base_url, f"/{quote(resource, safe='/')}:streamGenerateContent", query)
