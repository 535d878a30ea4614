"""The gateway's options, checked once when the app is made."""

from __future__ import annotations

from typing import final

import attrs

__all__ = ["Settings"]


def _keys_repr(keys: tuple[bytes, ...]) -> str:
    return f"<{len(keys)} keys>"  # never the keys themselves


@final
@attrs.frozen(kw_only=True)
class Settings:
    """How the gateway serves (see `create_app` for each option)."""

    models: tuple[str, ...] = ()
    api_keys: tuple[bytes, ...] = attrs.field(default=(), repr=_keys_repr)
    max_body_bytes: int = 4 << 20
    body_timeout: float = 30.0
    keepalive: float = 15.0
    include_usage: bool = False
    cors_origins: frozenset[str] = frozenset()
