"""Pure policy, no I/O: how long to wait before a retry, and when a candidate is skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias, final

import attrs

if TYPE_CHECKING:
    import random

    from .._errors import Error

__all__ = ["BreakerState", "CircuitBreaker", "Commit", "RetryPolicy"]

Commit: TypeAlias = Literal["headers", "first_event", "first_content"]
"""When an attempt becomes the answer: once its response headers are in, once its first
event (`Metadata`) is read, or once its first content event is read (the default). Before
that, a failure moves on to the next attempt and nothing of the failed one is seen."""


@final
@attrs.frozen
class RetryPolicy:
    """Retries of one candidate before moving on to the next.

    Only retryable failures (`Error.retryable`: 429, 5xx, overloaded, connection errors,
    timeouts, truncation) are retried; the others move on at once. The n-th retry waits
    ``min(max_delay, base_delay * multiplier ** (n - 1))``, spread by ± `jitter` (a
    fraction), or the provider's ``Retry-After`` when it gave one — unless that is longer
    than `max_retry_after`, in which case the candidate is given up instead.

    Attributes:
        attempts: Tries of each candidate, the first included (1: no retry).
        base_delay, multiplier, max_delay: The exponential backoff, in seconds.
        jitter: The random spread of each delay, as a fraction of it (0 to 1).
        max_retry_after: The longest ``Retry-After`` that is waited for, in seconds.
    """

    attempts: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    base_delay: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    multiplier: float = attrs.field(default=2.0, validator=attrs.validators.ge(1))
    max_delay: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    jitter: float = attrs.field(
        default=0.2, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    max_retry_after: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))

    def delay(self, error: Error, retry: int, rng: random.Random) -> float | None:
        """Seconds to wait before retry number `retry` (1-based) after `error`, or None when
        this candidate should not be tried again."""
        if not error.retryable or retry >= self.attempts:
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(retry_after) if retry_after <= self.max_retry_after else None
        backoff = min(self.max_delay, self.base_delay * self.multiplier ** (retry - 1))
        return max(0.0, backoff * (1 + rng.uniform(-self.jitter, self.jitter)))


@final
@attrs.frozen
class CircuitBreaker:
    """When to stop trying a candidate for a while: after `failures` retryable failures in a
    row it is skipped for `cooldown` seconds, then tried again by one probe (a success
    closes the circuit, a failure opens it again). Requests rejected as invalid (400, 401,
    404, ...) say nothing about the provider's health and do not count.
    """

    failures: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    cooldown: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))


@final
@attrs.define
class BreakerState:
    """One candidate's circuit, kept by the router that owns it (never global)."""

    failures: int = 0
    open_until: float | None = None
    probing: bool = False

    def allows(self, now: float) -> bool:
        """Whether the candidate may be tried now (a half-open circuit allows one probe)."""
        if self.open_until is None:
            return True
        if now < self.open_until or self.probing:
            return False
        self.probing = True
        return True

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = None
        self.probing = False

    def failed(self, error: Error, config: CircuitBreaker, now: float) -> None:
        if not error.retryable:
            self.probing = False
            return
        self.failures += 1
        if self.probing or self.failures >= config.failures:
            self.open_until = now + config.cooldown
        self.probing = False
