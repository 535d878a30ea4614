"""`RunConfig`: what every worker's client is made from, and the run header it writes.

The configuration travels to the workers (it is pickled with the task), so a provider is
named (``"openai"``, ...) or made by a factory the workers can import (a module-level
function returning a provider or a router), never a live provider with open connections.
The API key, when given, is held for the client and never written or shown: not in the
header, not in a repr.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias, final

import attrs

from ._limits import SharedLimits

if TYPE_CHECKING:
    from ..providers import Provider

__all__ = ["HEADER_FORMAT", "ProviderFactory", "RunConfig", "prompt_set_hash"]

ProviderFactory: TypeAlias = "Callable[[], Provider]"

HEADER_FORMAT: Final = "eventide.scale/1"
"""The ``format`` of a run header."""


def _parameters(
    value: Mapping[str, Any] | tuple[tuple[str, Any], ...] | None,
) -> tuple[tuple[str, Any], ...]:
    if value is None or value == ():
        return ()
    if not isinstance(value, Mapping):
        raise TypeError(f"parameters must be a mapping, not {type(value).__name__}")
    try:  # as JSON gives them back (a tuple is a list): the header compares equal on resume
        canonical: dict[str, Any] = json.loads(json.dumps(dict(value)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"parameters must be JSON values: {exc}") from None
    return tuple(sorted(canonical.items()))


@final
@attrs.frozen(kw_only=True)
class RunConfig:
    """One run's client settings and request defaults (hashable: the per-process client cache
    is keyed by it).

    Attributes:
        provider: A provider name, a factory the workers can import, or None (the environment's).
        model: The model of rows that name none.
        base_url: The API root of an OpenAI-compatible server.
        api_key: The key (never shown or written).
        max_retries: Retries of a retryable failure (429, 5xx, ...), honouring ``Retry-After``.
        timeout: Seconds, as the client takes it.
        parameters: OpenAI-style parameters for rows that do not set them, sorted pairs.
        limits: The run's limits per provider, over all workers (not in the header: they
            change when requests run, not what they answer).
    """

    provider: str | ProviderFactory | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    max_retries: int | None = None
    timeout: float | None = None
    parameters: tuple[tuple[str, Any], ...] = attrs.field(default=(), converter=_parameters)
    limits: SharedLimits | None = None

    def client_arguments(self) -> dict[str, Any]:
        """The client's arguments (a factory is called: a new provider or router)."""
        provider = self.provider() if callable(self.provider) else self.provider
        return {
            "provider": provider,
            "model": self.model,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "max_retries": self.max_retries,
            "timeout": self.timeout,
        }

    def header(self, provider_name: str, prompts: str) -> dict[str, Any]:
        """The run header: what the rows depend on (no key, no address)."""
        return {
            "format": HEADER_FORMAT,
            "provider": provider_name,
            "model": self.model,
            "parameters": dict(self.parameters),
            "max_retries": self.max_retries,
            "prompts": prompts,
        }


def prompt_set_hash(rows: list[dict[str, Any]]) -> str:
    """A digest of the rows whatever their order: SHA-256 over their sorted canonical JSON."""
    digests = sorted(
        hashlib.sha256(
            json.dumps(row, sort_keys=True, separators=(",", ":"), default=repr).encode()
        ).hexdigest()
        for row in rows
    )
    return "sha256:" + hashlib.sha256("\n".join(digests).encode()).hexdigest()
