"""Per-provider limits shared by every stream of one router: concurrent streams and
requests per minute. Reaching a limit waits (cancellably); it never fails."""

from __future__ import annotations

import collections
from typing import final

import anyio
import attrs

__all__ = ["Limiter", "Limits", "Permit"]

_WINDOW = 60.0


@final
@attrs.frozen
class Limits:
    """Limits per provider.

    Attributes:
        max_concurrent: Streams open at once (from the request until the stream is closed).
        requests_per_minute: Requests started in any 60-second window.
    """

    max_concurrent: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    requests_per_minute: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )


@final
class Permit:
    """The right to one open stream; `release()` gives it back (idempotent)."""

    __slots__ = ("_limiter",)

    def __init__(self, limiter: anyio.CapacityLimiter | None) -> None:
        self._limiter = limiter

    def release(self) -> None:
        limiter, self._limiter = self._limiter, None
        if limiter is not None:
            limiter.release_on_behalf_of(self)


@final
class Limiter:
    """The state of `Limits` for every provider of one router."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._concurrency: dict[object, anyio.CapacityLimiter] = {}
        self._starts: dict[object, collections.deque[float]] = {}

    async def acquire(self, key: object) -> Permit:
        """Wait until `key`'s provider may start one more request; return its permit.

        Cancellation:
            Cancellable while waiting; nothing is held if cancelled.
        """
        limits = self._limits
        permit = Permit(None)
        if limits.max_concurrent is not None:
            limiter = self._concurrency.get(key)
            if limiter is None:
                limiter = self._concurrency[key] = anyio.CapacityLimiter(limits.max_concurrent)
            await limiter.acquire_on_behalf_of(permit)
            permit._limiter = limiter  # held from here on: release() gives it back
        try:
            if limits.requests_per_minute is not None:
                await self._rate(key, limits.requests_per_minute)
        except BaseException:
            permit.release()
            raise
        return permit

    async def _rate(self, key: object, per_minute: int) -> None:
        starts = self._starts.setdefault(key, collections.deque())
        while True:
            now = anyio.current_time()
            while starts and starts[0] <= now - _WINDOW:
                starts.popleft()
            if len(starts) < per_minute:
                starts.append(now)
                return
            await anyio.sleep(starts[0] + _WINDOW - now)
