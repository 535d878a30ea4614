"""`Retrying`: one provider, tried again on retryable failures before its answer commits.

It is a `Fallback` over that one provider, so retries keep the same policy (`RetryPolicy`:
backoff, jitter, ``Retry-After``) and the same commit point: nothing of a failed attempt is
seen, and a failure after the commit point is the answer's own. When every try failed, the
last try's typed error is raised (a `RateLimitError` with its status and ``retry_after``, a
`TransportError`, ...), as a client of one provider expects, not `NoProviderLeft`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, final

from .._resource import AsyncResource
from ._fallback import Fallback
from ._policy import CircuitBreaker, Commit, RetryPolicy

if TYPE_CHECKING:
    from .._request import Request
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from ..providers import Provider

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
    """

    def __init__(
        self,
        provider: Provider,
        *,
        retry: RetryPolicy | None = None,
        commit: Commit = "first_content",
        seed: int | None = None,
    ) -> None:
        self.provider = provider
        self.retry = retry if retry is not None else RetryPolicy()
        self.commit: Commit = commit
        self._seed = seed
        Fallback([provider], commit=commit)  # the same checks, now

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
        first = self.provider.stream(request, model=model, timeouts=timeouts)
        router = Fallback(
            [_FirstThen(self.provider, first)],
            commit=self.commit,
            retry=self.retry,
            breaker=_NEVER_OPEN,
            name=self.provider.name,
            seed=self._seed,
            raise_last=True,
        )
        return router.stream(request, model=model, timeouts=timeouts)


@final
class _FirstThen(AsyncResource):
    """A provider whose first stream is one already asked for; the next ones are new."""

    def __init__(self, provider: Provider, first: EventStream) -> None:
        self._provider = provider
        self._first: EventStream | None = first

    @property
    def name(self) -> str:
        return self._provider.name

    async def aclose(self) -> None:
        """Nothing to release: the provider is the caller's."""

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        first, self._first = self._first, None
        if first is not None:
            return first
        return self._provider.stream(request, model=model, timeouts=timeouts)
