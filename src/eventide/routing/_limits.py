"""Per-provider limits shared by every stream of one router: concurrent streams, requests per
minute, and the pause a provider asks for with ``Retry-After``. Reaching a limit waits
(cancellably); it never fails.

Where the limits are kept is a `LimitBackend`: by default a `Limiter`, in this process; the
scale-out adapters (`eventide.scale`) give a router one whose state lives in the cluster, so
that the limits hold over every worker together. A router asks its backend for a `Permit`
before each attempt, gives the permit back when the attempt ends, and tells the backend when a
provider answered with ``Retry-After``.
"""

from __future__ import annotations

import collections
import functools
from typing import TYPE_CHECKING, Protocol, final, runtime_checkable

import anyio
import anyio.lowlevel
import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..providers import Provider

__all__ = ["WINDOW", "LimitBackend", "Limiter", "Limits", "Permit", "limiter_for"]

WINDOW = 60.0
"""The seconds of a `Limits.requests_per_minute` window."""


@final
@attrs.frozen
class Limits:
    """Limits per provider.

    With any limit set, a provider's ``Retry-After`` (on a 429, a 503, ...) also pauses every
    other stream of that provider on the same router until it has passed: the provider asked
    for a pause, not for a retry of that one request only. Without limits, each stream waits
    its own ``Retry-After`` alone.

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
    """The right to one open stream; `release()` gives it back (idempotent, never blocks).

    Args:
        release: What gives it back (called once); None: nothing to give back.
    """

    __slots__ = ("_release",)

    def __init__(self, release: Callable[[], object] | None = None) -> None:
        self._release = release

    def release(self) -> None:
        """Give the permit back (the second call does nothing)."""
        release, self._release = self._release, None
        if release is not None:
            release()


@runtime_checkable
class LimitBackend(Protocol):
    """Where a router's limits are kept: this process (`Limiter`) or a cluster."""

    async def acquire(self, provider: Provider, /) -> Permit:
        """Wait until `provider` may start one more request (its limits allow it and no pause
        is running); return the permit of that request.

        Cancellation:
            Cancellable while waiting; nothing is held if cancelled.
        """
        ...

    async def cooldown(self, provider: Provider, seconds: float, /) -> None:
        """`provider` asked for a pause of `seconds` (``Retry-After``): start no request to it
        until then (a shorter pause than one already running changes nothing)."""
        ...


@final
class Limiter:
    """The state of `Limits` for every provider of one router, in this process.

    Args:
        limits: The limits of each provider.
        window: The seconds of the requests-per-minute window (60; shorter in tests).
    """

    def __init__(self, limits: Limits, *, window: float = WINDOW) -> None:
        self._limits = limits
        self._window = window
        self._pauses = limits.max_concurrent is not None or limits.requests_per_minute is not None
        self._concurrency: dict[object, anyio.CapacityLimiter] = {}
        self._starts: dict[object, collections.deque[float]] = {}
        self._until: dict[object, float] = {}

    def __repr__(self) -> str:
        return f"Limiter({self._limits!r}, window={self._window})"

    async def acquire(self, provider: Provider, /) -> Permit:
        """Wait until `provider` may start one more request; return its permit.

        Cancellation:
            Cancellable while waiting; nothing is held if cancelled.
        """
        limits = self._limits
        permit = Permit()
        if limits.max_concurrent is not None:
            limiter = self._concurrency.get(provider)
            if limiter is None:
                limiter = self._concurrency[provider] = anyio.CapacityLimiter(limits.max_concurrent)
            await limiter.acquire_on_behalf_of(permit)
            # held from here on: release() gives it back
            permit._release = functools.partial(limiter.release_on_behalf_of, permit)
        try:
            await self._start(provider, limits.requests_per_minute)
        except BaseException:
            permit.release()
            raise
        return permit

    async def cooldown(self, provider: Provider, seconds: float, /) -> None:
        """Pause `provider` for `seconds` (only when there are limits: see `Limits`)."""
        if self._pauses:
            until = anyio.current_time() + seconds
            self._until[provider] = max(until, self._until.get(provider, until))
        await anyio.lowlevel.checkpoint()

    async def _start(self, provider: Provider, per_minute: int | None) -> None:
        if not self._pauses:
            return
        starts = self._starts.setdefault(provider, collections.deque())
        while True:
            now = anyio.current_time()
            until = self._until.get(provider, now)
            if until > now:
                await anyio.sleep(until - now)
                continue
            if per_minute is None:
                return
            while starts and starts[0] <= now - self._window:
                starts.popleft()
            if len(starts) < per_minute:
                starts.append(now)
                return
            await anyio.sleep(starts[0] + self._window - now)


def limiter_for(limits: Limits | LimitBackend | None) -> LimitBackend:
    """The backend of a router's ``limits=``: a backend as given, else a `Limiter`."""
    if isinstance(limits, LimitBackend):
        return limits
    return Limiter(limits if limits is not None else Limits())
