"""Which provider a key belongs to, where its prefix makes that certain, so that a key sent to
another provider's own API is a `ConfigurationError` before any I/O.

Only the providers' official hosts are checked: any other server (a gateway, a proxy, a local
server) may accept any key. The prefixes are the ones the providers document: Anthropic keys
start ``sk-ant-``, OpenAI keys ``sk-`` (``sk-proj-``, ``sk-svcacct-``, ...), Google API keys
``AIza``. The message names the kind of key, never the key.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from .._errors import ConfigurationError

__all__ = ["check_key_host"]

_FAMILIES: Final = (  # most specific first: every Anthropic key also starts with "sk-"
    ("sk-ant-", "anthropic", "an Anthropic key (sk-ant-…)"),
    ("AIza", "google", "a Google key (AIza…)"),
    ("sk-", "openai", "an OpenAI key (sk-…)"),
)

# official host -> the key families it certainly refuses (an "sk-" key is not surely foreign
# to ollama.com, whose key format is not documented as a prefix)
_REFUSED: Final[dict[str, frozenset[str]]] = {
    "api.openai.com": frozenset({"anthropic", "google"}),
    "api.anthropic.com": frozenset({"openai", "google"}),
    "generativelanguage.googleapis.com": frozenset({"anthropic", "openai"}),
    "ollama.com": frozenset({"anthropic", "google"}),
}


def check_key_host(key: str, base_url: str, *, provider: str) -> None:
    """Raise when `key` surely belongs to another provider than the official API `base_url`
    points at.

    Raises:
        ConfigurationError: The key's prefix names another provider (the key is not quoted).
    """
    host = urlsplit(base_url).hostname or ""
    refused = _REFUSED.get(host)
    if refused is None:
        return
    family, what = next(((f, w) for p, f, w in _FAMILIES if key.startswith(p)), ("", ""))
    if family in refused:
        raise ConfigurationError(
            f"{what} is set for {host}, which belongs to another provider: pass this "
            "provider's own key (api_key= or its environment variable), or choose the "
            "provider the key is for (provider=)",
            provider=provider,
        )
