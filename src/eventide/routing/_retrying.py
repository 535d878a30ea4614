"""`Retrying`: one provider, tried again on retryable failures before its answer commits.

It is a `Fallback` over that one provider, so retries keep the same policy (`RetryPolicy`:
backoff, jitter, ``Retry-After``) and the same commit point: nothing of a failed attempt is
seen, and a failure after the commit point is the answer's own. When every try failed, the
last try's typed error is raised (a `RateLimitError` with its status and ``retry_after``, a
`TransportError`, ...), as a client of one provider expects, not `NoProviderLeft`.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, final

from .._request import as_request
from .._resource import AsyncResource
from ._fallback import Fallback
from ._policy import CircuitBreaker, Commit, RetryPolicy

if TYPE_CHECKING:
    from .._request import Request
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from ..providers import Provider
    from ._limits import LimitBackend, Limits

__all__ = ["Retrying"]

# One provider has nowhere else to go: a circuit that opened would only turn its real error
# into "skipped", so this breaker never opens.
_NEVER_OPEN = CircuitBreaker(failures=sys.maxsize)


@final
class Retrying(AsyncResource):
    """Try `provider` again on retryable failures (429, 5xx, overloaded, connection errors,
    timeouts) until its answer commits; usable anywhere a provider is.

    Args:
        provider: The provider to retry (it stays the caller's: `aclose()` leaves it open).
        retry: How many tries, and how long to wait between them (default: `RetryPolicy()`).
        commit: When an attempt becomes the answer (`Commit`); default ``"first_content"``.
        seed: Seeds the retry jitter (tests).
        limits: The provider's limits, or the `LimitBackend` keeping them (see `Fallback`).
    """

    def __init__(
        self,
        provider: Provider,
        *,
        retry: RetryPolicy | None = None,
        commit: Commit = "first_content",
        seed: int | None = None,
        limits: Limits | LimitBackend | None = None,
    ) -> None:
        self.provider = provider
        self._fallback = Fallback(
            [provider],
            commit=commit,
            retry=retry,
            breaker=_NEVER_OPEN,
            name=provider.name,
            seed=seed,
            raise_last=True,
            limits=limits,
        )

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy."""
        return self._fallback.retry

    @property
    def name(self) -> str:
        """The provider's name."""
        return self.provider.name

    def __repr__(self) -> str:
        return f"Retrying({self.provider!r}, attempts={self.retry.attempts})"

    async def aclose(self) -> None:
        """Nothing to release: the provider stays open (it is the caller's)."""

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events of the provider's answer, retried until it commits. No I/O until read.

        The first try's stream is asked for now, so a request the provider cannot build
        raises here, as the provider's own `stream()` does.

        Raises:
            Error: When read: the last try's own typed error, once the tries run out or a
                failure is not retryable (every failed try is in ``Metadata.attempts`` of an
                answer that came after them).
        """
        # Made once for both (a prompt's Request costs about 10 µs); for a prompt no Request
        # can hold, the provider's own error says so.
        with contextlib.suppress(ValueError):
            request = as_request(request, model=model)
        first = self.provider.stream(request, model=model, timeouts=timeouts)
        return self._fallback._stream_from(first, as_request(request, model=model), timeouts)
