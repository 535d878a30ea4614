"""`Fallback`: a provider that tries candidates in order, with retries, hedging, circuit
breakers and limits, and an explicit commit point.

Until an attempt reaches the commit point, it is private: its events are held back, and if
it fails they are dropped with its connection and the next attempt starts. At the commit
point the attempt becomes the answer: its held events go out, its `Metadata` first (with
the failed attempts recorded in ``Metadata.attempts``), and from then on a failure is the
answer's failure, raised with what was received (never a silent switch mid-answer). So the
consumer sees exactly one `Metadata`, from the provider that served, and nothing else of
any abandoned attempt.

An attempt fails by whatever it raises, not only by an `eventide.Error`: a request that
cannot be built, or an exception a provider lets through, is made an `eventide.Error` (see
`as_error`) and recorded like any other failure, and the attempt's limiter permit is given
back. Nothing but an `eventide.Error` (or a cancellation) leaves a router.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any, final

import anyio
import attrs

from .._errors import Error, NoProviderLeft, ProviderError, StreamTimeout
from .._events import CONTENT_EVENTS, Attempt, Event, Finish, Metadata
from .._request import Request, as_request
from .._resource import AsyncResource
from .._stream import EventStream
from ..providers import Provider
from ._failures import as_error
from ._limits import LimitBackend, Limits, Permit, limiter_for
from ._policy import BreakerState, CircuitBreaker, Commit, RetryPolicy

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .._timeouts import Timeouts

__all__ = ["Candidate", "Fallback"]

_CONTENT = frozenset(CONTENT_EVENTS)
# The permit of every attempt of a router without limits (`Limiter` of no `Limits` gives
# one that holds nothing): releasing it does nothing, so one is shared.
_UNLIMITED = Permit()
_COMMITS = ("headers", "first_event", "first_content")


@final
@attrs.frozen
class Candidate:
    """One thing to try: a provider, and the model to ask it for (None: the request's)."""

    provider: Provider
    model: str | None = None


def _candidate(value: Any) -> Candidate:
    if isinstance(value, Candidate):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return Candidate(value[0], value[1])
    if hasattr(value, "stream") and hasattr(value, "name"):
        return Candidate(value)
    raise TypeError(f"a candidate is a provider or a (provider, model) pair, not {value!r}")


@final
class Fallback(AsyncResource):
    """Try candidates in order until one serves; usable anywhere a provider is.

    Args:
        candidates: Providers, or (provider, model) pairs, in order of preference.
        commit: When an attempt becomes the answer (`Commit`); default ``"first_content"``.
        retry: Retries of each candidate before moving on (default: `RetryPolicy()`).
        hedge_after: If the running attempt has not committed after this many seconds,
            start the next candidate too; the first to commit wins and the others are
            cancelled and closed. None: one attempt at a time.
        breaker: When to skip a failing candidate for a while (default: `CircuitBreaker()`).
        limits: Per-provider concurrency and rate limits shared by all streams of this
            router, or the `LimitBackend` that keeps them (one shared by several processes).
            None: no limits.
        max_attempts: The most attempts of one stream, over all candidates.
        deadline: The most seconds one stream may spend before an attempt commits. The
            attempts it cuts off are recorded as ``timeout`` failures, and the
            `NoProviderLeft` raised lists every attempt and says the deadline cut them off.
        name: The router's name (errors and `repr`; `Metadata` names the real provider).
        seed: Seeds the retry jitter (tests).
        raise_last: When every attempt failed, end as the last attempt did: the events it
            had read (its `Metadata`, with the attempts before it), then its own typed error
            (a `RateLimitError` with its status, ...), instead of `NoProviderLeft`: for one
            provider retried, whose caller expects that provider's answers and errors.

    Raises:
        ValueError: No candidates, or an unknown commit point.
    """

    def __init__(
        self,
        candidates: Sequence[Any],
        *,
        commit: Commit = "first_content",
        retry: RetryPolicy | None = None,
        hedge_after: float | None = None,
        breaker: CircuitBreaker | None = None,
        limits: Limits | LimitBackend | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
        name: str = "fallback",
        seed: int | None = None,
        raise_last: bool = False,
    ) -> None:
        self.candidates = tuple(_candidate(value) for value in candidates)
        if not self.candidates:
            raise ValueError("Fallback needs at least one candidate")
        if commit not in _COMMITS:
            raise ValueError(f"commit must be one of {', '.join(_COMMITS)}, not {commit!r}")
        if hedge_after is not None and not hedge_after >= 0:
            raise ValueError("hedge_after must be a number of seconds >= 0, or None")
        self.commit: Commit = commit
        self.retry = retry if retry is not None else RetryPolicy()
        self.hedge_after = hedge_after
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self.max_attempts = max_attempts
        self.deadline = deadline
        self._name = name
        self.raise_last = raise_last
        self._states = [BreakerState() for _ in self.candidates]
        self._limiter = limiter_for(limits)
        self._unlimited = limits is None  # no permit to wait for: an attempt skips the ask
        self._rng = random.Random(seed)

    @property
    def name(self) -> str:
        """The router's name."""
        return self._name

    def __repr__(self) -> str:
        names = ", ".join(
            f"{c.provider.name}/{c.model}" if c.model else c.provider.name for c in self.candidates
        )
        return f"Fallback(name={self._name!r}, candidates=[{names}], commit={self.commit!r})"

    async def aclose(self) -> None:
        """Nothing to release: the candidates stay open (they are the caller's)."""

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events of the first candidate that serves. Does no I/O until read.

        Args:
            request: A `Request`, or a prompt string.
            model: The model for candidates that name none (else the request's).
            timeouts: Passed to every attempt: a first-event timeout moves on.
        """
        return EventStream(_FallbackSource(self, as_request(request, model=model), timeouts))

    def _stream_from(
        self, first: EventStream, request: Request, timeouts: Timeouts | None
    ) -> EventStream:
        """As `stream`, with `first` as the first candidate's first attempt: a stream the
        caller already asked of it (so that a request it cannot build raised at once)."""
        return EventStream(_FallbackSource(self, request, timeouts, first=first))


@final
class _FallbackSource:
    """The attempts of one routed stream, and then the one that committed."""

    routes = True  # telemetry: the streams opened while choosing are attempts (child spans)

    def __init__(
        self,
        router: Fallback,
        request: Request,
        timeouts: Timeouts | None,
        *,
        first: EventStream | None = None,
    ) -> None:
        self._router = router
        self._request = request
        self._timeouts = timeouts
        self._first = first  # the first candidate's first attempt, already asked for
        self._attempts: list[Attempt] = []
        self._errors: list[Error] = []
        self._tries = 0
        self._winner: EventStream | None = None
        self._served: EventStream | None = None
        self._permit: Permit | None = None
        self._held: list[Event] = []
        self._last_held: list[Event] = []  # what the last failed attempt read before failing
        self._failure: Error | None = None  # raise_last: raised once `_held` is delivered
        self._stamp = True  # the next Metadata still needs the attempts written in
        self._closed = False
        self._deadline: anyio.CancelScope | None = None  # the router's deadline, while choosing

    @property
    def provider(self) -> str:
        return self._winner.provider if self._winner is not None else self._router.name

    @property
    def model(self) -> str:
        if self._winner is not None:
            return self._winner.model
        first = self._router.candidates[0]
        return first.model or self._request.model or ""

    @property
    def headers(self) -> Mapping[str, str] | None:
        """The response headers of the attempt that committed; None until one has."""
        served = self._served
        return served.headers if served is not None else None

    @property
    def status_code(self) -> int | None:
        """The HTTP status of the attempt that committed; None until one has."""
        served = self._served
        return served.status_code if served is not None else None

    async def open(self) -> None:
        if self._winner is None and self._failure is None:
            await self._choose()

    async def receive(self) -> list[Event]:
        if self._winner is None and self._failure is None:
            await self._choose()
        if self._held:
            events, self._held = self._held, []
        elif self._failure is not None:
            raise self._failure
        else:
            winner = self._winner
            assert winner is not None
            try:
                events = await winner.receive_batch()
            except StopAsyncIteration:
                return []
            except Error:
                raise
            except Exception as exc:  # the answer's failure all the same, typed
                doing = "reading the response"
                raise as_error(exc, doing=doing, provider=winner.provider) from exc
        if self._stamp and self._attempts:
            events = [self._stamped(event) for event in events]
        return events

    async def aclose(self) -> None:
        self._closed = True
        winner, self._winner = self._winner, None
        first, self._first = self._first, None
        try:
            for stream in (winner, first):
                if stream is not None and not stream.closed:  # an answer read to its end
                    await stream.aclose()  # has closed itself
        finally:
            self._release()

    def abandon(self) -> Any:
        winner, self._winner = self._winner, None
        self._release()
        return winner

    def _release(self) -> None:
        permit, self._permit = self._permit, None
        if permit is not None:
            permit.release()

    def _stamped(self, event: Event) -> Event:
        if type(event) is Metadata:
            self._stamp = False
            return attrs.evolve(event, attempts=(*event.attempts, *self._attempts))
        return event

    # -- choosing ------------------------------------------------------------------------

    async def _choose(self) -> None:
        router = self._router
        if router.deadline is None:  # no deadline: no cancel scope to pay for (one per stream)
            await self._race()
            cut_off = False
        else:
            with anyio.move_on_after(router.deadline) as scope:
                self._deadline = scope
                await self._race()
            cut_off = scope.cancelled_caught
        if self._winner is None:
            error = self._exhausted(cut_off=cut_off)
            if self._router.raise_last and self._last_held:
                # the last try as it went: its events, then its error (which is no attempt
                # before it)
                self._held, self._failure = self._last_held, error
                self._attempts.pop()
                return
            raise error

    async def _race(self) -> None:
        router = self._router
        queue = list(range(len(router.candidates)))
        if router.hedge_after is None:  # one attempt at a time, in this task
            while (index := self._next_allowed(queue)) is not None:
                won = await self._try_candidate(index)
                if won is not None:
                    self._commit(won)
                    return
            return
        changed = anyio.Event()
        running = 0

        async def lane(index: int) -> None:
            nonlocal running, changed
            try:
                won = await self._try_candidate(index)
                if won is not None:
                    if self._winner is None:
                        self._commit(won)
                        tg.cancel_scope.cancel()
                    else:  # lost a photo finish
                        stream, _, permit = won
                        permit.release()
                        await stream.aclose()
            finally:
                running -= 1
                changed.set()

        async with anyio.create_task_group() as tg:
            start_next = True
            while self._winner is None:
                if start_next:
                    start_next = False
                    index = self._next_allowed(queue)
                    if index is not None:
                        running += 1
                        tg.start_soon(lane, index)
                if running == 0:
                    break  # nothing running, nothing left to start
                changed = anyio.Event()
                wait = router.hedge_after if router.hedge_after is not None and queue else math.inf
                with anyio.move_on_after(wait) as timer:
                    await changed.wait()
                # a lane ended (failed, or won) or the hedge timer fired: start the next one
                start_next = timer.cancelled_caught or self._winner is None

    def _commit(self, won: tuple[EventStream, list[Event], Permit]) -> None:
        """`won` is the answer: its stream, the events it held back, its limiter permit."""
        self._winner, self._held, self._permit = won
        self._served = won[0]  # kept after close, for its headers

    def _next_allowed(self, queue: list[int]) -> int | None:
        states = self._router._states
        while queue:
            index = queue.pop(0)
            state = states[index]
            # a closed circuit allows without asking the clock
            if state.open_until is None or state.allows(anyio.current_time()):
                return index
            candidate = self._router.candidates[index]
            self._attempts.append(
                Attempt(
                    provider=candidate.provider.name,
                    model=candidate.model or self._request.model,
                    error="circuit_open",
                    message="skipped: too many recent failures",
                )
            )
        return None

    async def _try_candidate(self, index: int) -> tuple[EventStream, list[Event], Permit] | None:
        """Try one candidate, with its retries; the committed stream, or None.

        Whatever an attempt raises before it commits is its failure (see `as_error`), and
        its limiter permit and its stream are released whatever happens: a request that
        fails to build gives its permit back like any other failed attempt.
        """
        router = self._router
        candidate = router.candidates[index]
        state = router._states[index]
        retry = 0
        while True:
            if router.max_attempts is not None and self._tries >= router.max_attempts:
                return None
            self._tries += 1
            retry += 1
            started = anyio.current_time()
            permit: Permit | None = None
            stream: EventStream | None = None
            held: list[Event] = []
            self._last_held = held
            try:
                if router._unlimited:
                    permit = _UNLIMITED
                else:
                    permit = await router._limiter.acquire(candidate.provider)
                if index == 0 and self._first is not None:
                    stream, self._first = self._first, None
                else:
                    stream = candidate.provider.stream(
                        self._request, model=candidate.model, timeouts=self._timeouts
                    )
                await self._until_commit(stream, held)
            except Exception as exc:
                doing = "building the request" if stream is None else "opening the response"
                error = as_error(exc, doing=doing, provider=candidate.provider.name)
            except BaseException:
                if self._deadline is not None and self._deadline.cancel_called:
                    self._record(candidate, stream, self._cut_off(), anyio.current_time() - started)
                await _release(permit, stream)
                raise
            else:
                state.succeeded()
                return stream, held, permit
            now = anyio.current_time()
            state.failed(error, router.breaker, now)
            self._record(candidate, stream, error, now - started)
            await _release(permit, stream)
            if isinstance(error, ProviderError) and error.retry_after is not None:
                await router._limiter.cooldown(candidate.provider, error.retry_after)
            delay = router.retry.delay(error, retry, router._rng)
            if delay is None or not state.allows(now):
                return None
            await anyio.sleep(delay)

    async def _until_commit(self, stream: EventStream, held: list[Event]) -> None:
        """Read `stream` into `held` until it commits (a failure leaves what was read)."""
        commit = self._router.commit
        if commit == "headers":
            await stream.open()
            return
        while True:
            try:
                batch = await stream.receive_batch()
            except StopAsyncIteration:
                return  # a complete response before any content: it is the answer
            held.extend(batch)
            if commit == "first_event":
                return
            if any(type(event) in _CONTENT or type(event) is Finish for event in batch):
                return

    def _record(
        self, candidate: Candidate, stream: EventStream | None, error: Error, elapsed: float
    ) -> None:
        self._errors.append(error)
        model = stream.model if stream is not None else candidate.model or self._request.model
        self._attempts.append(
            Attempt(
                provider=candidate.provider.name,
                model=model or None,
                error=error.kind,
                message=error.message,
                status_code=error.status_code if isinstance(error, ProviderError) else None,
                retry_after=error.retry_after if isinstance(error, ProviderError) else None,
                elapsed=elapsed,
            )
        )

    def _cut_off(self) -> StreamTimeout:
        deadline = self._router.deadline
        return StreamTimeout(
            f"cut off by the router's deadline of {deadline} s", phase="total", timeout=deadline
        )

    def _exhausted(self, *, cut_off: bool) -> Error:
        if self._router.raise_last and self._errors:
            return self._errors[-1]
        tried = "; ".join(
            f"{a.provider}/{a.model}: {a.error}" if a.model else f"{a.provider}: {a.error}"
            for a in self._attempts
        )
        if cut_off:
            what = f"attempts ({tried})" if tried else "search before any attempt"
            message = (
                f"no attempt committed within {self._router.deadline} s: "
                f"the router's deadline cut the {what} off"
            )
        else:
            message = f"every candidate failed ({tried or 'none could be tried'})"
        error = NoProviderLeft(message, self._errors, self._attempts)
        error.provider = self._router.name
        return error


async def _release(permit: Permit | None, stream: EventStream | None) -> None:
    """Give back an abandoned attempt's permit and close its stream (shielded)."""
    if permit is not None:
        permit.release()
    if stream is not None:
        await stream.aclose()
