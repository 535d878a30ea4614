"""`SharedLimits`: a run's `Limits`, held over all its workers together.

``backend="split"`` (the default) gives each worker an in-process `Limiter` with its share:
``requests_per_minute`` and ``max_concurrent`` divided by the worker count (rounded down, at
least 1). Nothing is shared at run time, so a worker's ``Retry-After`` pauses that worker only.

``backend="dask"`` keeps the limits in the Dask scheduler (`DaskLimits`): a
``distributed.Semaphore`` per provider for the concurrent requests, and the request starts and
the pause a provider asked for in the scheduler's metadata, written under a ``distributed.Lock``
per provider. One worker's 429 with ``Retry-After`` pauses every worker for that provider.
Each request then costs a few round trips to the scheduler (a few milliseconds), and the rate
is counted when a request is granted, a little before the provider sees it.

``backend="ray"`` keeps them in one named Ray actor (`RayLimits`), made by the first worker
that needs it and living as long as that worker: one call grants a request (or says how long
to wait), one gives it back, one writes a pause.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final, Literal, final

import anyio
import anyio.to_thread
import attrs

from ..routing import LimitBackend, Limiter, Limits, Permit
from ..routing._limits import WINDOW

if TYPE_CHECKING:
    from ..providers import Provider

__all__ = ["DaskLimits", "RayLimits", "SharedLimits", "cluster_workers"]

Backend = Literal["split", "dask", "ray"]

_WAIT: Final = 0.5  # the longest one blocking call to the scheduler waits (cancellation)


def _share(total: int | None, workers: int) -> int | None:
    return None if total is None else max(1, total // workers)


@final
@attrs.frozen(kw_only=True)
class SharedLimits:
    """A run's limits per provider, over all its workers together (see `run_partition`).

    Attributes:
        limits: The limits of the whole run.
        backend: ``"split"``: each worker keeps its share, in process; ``"dask"``: kept in
            the Dask scheduler, ``"ray"``: in a named Ray actor; with either, a
            ``Retry-After`` pauses every worker.
        workers: How many workers share the limits (``"split"``). None: on Dask, the
            cluster's worker count when a partition starts; elsewhere it must be given.
        window: The seconds of the requests-per-minute window (60; shorter in tests).
        name: Names the shared state (``"dask"``, ``"ray"``): runs with the same name share
            limits.
    """

    limits: Limits
    backend: Backend = attrs.field(
        default="split", validator=attrs.validators.in_(("split", "dask", "ray"))
    )
    workers: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    window: float = attrs.field(default=WINDOW, validator=attrs.validators.gt(0))
    name: str = "eventide"

    def backend_here(self) -> LimitBackend:
        """This worker's backend (made in a Dask task for ``"dask"``).

        Raises:
            ValueError: ``"split"`` with no worker count.
            eventide.ConfigurationError: ``"dask"`` outside a Dask worker or client,
                ``"ray"`` where Ray is not running.
        """
        if self.backend == "dask":
            return DaskLimits(self.limits, name=self.name, window=self.window)
        if self.backend == "ray":
            return RayLimits(self.limits, name=self.name, window=self.window)
        if self.workers is None:
            raise ValueError("SharedLimits(backend='split') needs workers= here")
        share = Limits(
            max_concurrent=_share(self.limits.max_concurrent, self.workers),
            requests_per_minute=_share(self.limits.requests_per_minute, self.workers),
        )
        return Limiter(share, window=self.window)


def cluster_workers() -> int | None:
    """The worker count of the Dask cluster this task runs in; None outside one."""
    try:
        from distributed import get_client, get_worker
    except ImportError:
        return None
    try:
        get_worker()
    except ValueError:
        return None
    return len(get_client().nthreads())  # type: ignore[no-untyped-call]


@final
class DaskLimits:
    """`Limits` kept in the Dask scheduler, for every worker of a cluster (made in a task).

    Args:
        limits: The limits of the whole run, per provider.
        name: The prefix of the scheduler's semaphores, locks and variables.
        window: The seconds of the requests-per-minute window.

    Raises:
        eventide.ConfigurationError: No Dask client or worker here.
    """

    def __init__(self, limits: Limits, *, name: str, window: float = WINDOW) -> None:
        from distributed import get_client

        from .._errors import ConfigurationError

        try:
            self._client = get_client()
        except ValueError:
            raise ConfigurationError(
                "SharedLimits(backend='dask') runs in a Dask task or beside a Dask client"
            ) from None
        self._limits = limits
        self._name = name
        self._window = window
        self._objects: dict[str, Any] = {}
        self._releases = ThreadPoolExecutor(max_workers=2, thread_name_prefix="eventide-limits")

    def __repr__(self) -> str:
        return f"DaskLimits({self._limits!r}, name={self._name!r}, window={self._window})"

    def _object(self, kind: str, key: str) -> Any:
        """The scheduler's ``kind`` object of `key` (a semaphore or a lock)."""
        import distributed

        name = f"{self._name}/{key}/{kind}"
        found = self._objects.get(name)
        if found is None:
            client = self._client
            if kind == "concurrent":
                found = distributed.Semaphore(  # type: ignore[no-untyped-call]
                    max_leases=self._limits.max_concurrent,
                    name=name,
                    scheduler_rpc=client.scheduler,
                    loop=client.loop,
                )
            else:
                found = distributed.Lock(  # type: ignore[no-untyped-call]
                    name, scheduler_rpc=client.scheduler, loop=client.loop
                )
            self._objects[name] = found
        return found

    async def acquire(self, provider: Provider, /) -> Permit:
        """Wait until `provider` may start one more request in the cluster; its permit.

        Cancellation:
            Cancellable while waiting (within half a second); nothing is held if cancelled.
        """
        key = provider.name
        permit = Permit()
        if self._limits.max_concurrent is not None:
            semaphore = self._object("concurrent", key)
            take = functools.partial(semaphore.acquire, timeout=_WAIT)
            while not await anyio.to_thread.run_sync(take):
                pass
            permit = Permit(functools.partial(self._releases.submit, semaphore.release))
        try:
            while True:  # the state is in the scheduler: ask again after the wait
                wait = await anyio.to_thread.run_sync(self._start, key)
                if wait is None:
                    break
                await anyio.sleep(wait)
        except BaseException:
            permit.release()
            raise
        return permit

    async def cooldown(self, provider: Provider, seconds: float, /) -> None:
        """Pause `provider` on every worker for `seconds` from now."""
        await anyio.to_thread.run_sync(self._pause, provider.name, seconds)

    def _get(self, key: str, kind: str, default: Any) -> Any:
        path = ["eventide", self._name, key, kind]
        return self._client.get_metadata(path, default=default)  # type: ignore[no-untyped-call]

    def _set(self, key: str, kind: str, value: Any) -> None:
        path = ["eventide", self._name, key, kind]
        self._client.set_metadata(path, value)  # type: ignore[no-untyped-call]

    def _locked(self, key: str) -> Any:
        lock = self._object("lock", key)
        while not lock.acquire(timeout=_WAIT):
            pass
        return lock

    def _start(self, key: str) -> float | None:
        """Record one start of `key` now (None), or say how long to wait first (in a thread)."""
        per_minute = self._limits.requests_per_minute
        if per_minute is None:
            until = self._get(key, "until", 0.0)
            return None if until <= time.time() else until - time.time()
        lock = self._locked(key)
        try:
            now = time.time()
            until = self._get(key, "until", 0.0)
            if until > now:
                return float(until - now)
            starts = [start for start in self._get(key, "starts", []) if start > now - self._window]
            if len(starts) >= per_minute:
                return float(starts[0] + self._window - now)
            self._set(key, "starts", [*starts, now])
            return None
        finally:
            lock.release()

    def _pause(self, key: str, seconds: float) -> None:
        lock = self._locked(key)
        try:
            until = max(self._get(key, "until", 0.0), time.time() + seconds)
            self._set(key, "until", until)
        finally:
            lock.release()


class LimitsState:
    """The state behind `RayLimits`, in one Ray actor: calls run one at a time, so each is
    atomic. Times are the actor's clock (``time.time()``)."""

    def __init__(self, limits: Limits, window: float) -> None:
        self._limits = limits
        self._window = window
        self._running: dict[str, int] = {}
        self._starts: dict[str, list[float]] = {}
        self._until: dict[str, float] = {}

    def take(self, key: str) -> float | None:
        """Grant `key` one request now (None), or say how long to wait before asking again."""
        now = time.time()
        until = self._until.get(key, 0.0)
        if until > now:
            return until - now
        limits = self._limits
        running = self._running.get(key, 0)
        if limits.max_concurrent is not None and running >= limits.max_concurrent:
            return _POLL
        starts = [start for start in self._starts.get(key, []) if start > now - self._window]
        if limits.requests_per_minute is not None and len(starts) >= limits.requests_per_minute:
            self._starts[key] = starts
            return starts[0] + self._window - now
        self._starts[key] = [*starts, now]
        self._running[key] = running + 1
        return None

    def give_back(self, key: str) -> None:
        """One request of `key` ended."""
        self._running[key] = max(0, self._running.get(key, 0) - 1)

    def pause(self, key: str, seconds: float) -> None:
        """Start no request of `key` for `seconds`."""
        self._until[key] = max(self._until.get(key, 0.0), time.time() + seconds)


_POLL: Final = 0.05  # seconds before asking again for a request slot held by another worker


@final
class RayLimits:
    """`Limits` kept in one named Ray actor, for every worker of a Ray cluster.

    Args:
        limits: The limits of the whole run, per provider.
        name: The actor's name (made by the first worker that asks for it, in the namespace
            of the job).
        window: The seconds of the requests-per-minute window.

    Raises:
        eventide.ConfigurationError: Ray is not running here.
    """

    def __init__(self, limits: Limits, *, name: str, window: float = WINDOW) -> None:
        import ray

        from .._errors import ConfigurationError

        if not ray.is_initialized():
            raise ConfigurationError("SharedLimits(backend='ray') runs in a Ray worker or driver")
        actor = ray.remote(num_cpus=0)(LimitsState)
        self._actor: Any = actor.options(name=name, get_if_exists=True).remote(limits, window)
        self._limits = limits
        self._name = name

    def __repr__(self) -> str:
        return f"RayLimits({self._limits!r}, name={self._name!r})"

    def _ask(self, key: str) -> float | None:
        import ray

        wait: float | None = ray.get(self._actor.take.remote(key))
        return wait

    async def acquire(self, provider: Provider, /) -> Permit:
        """Wait until `provider` may start one more request in the cluster; its permit.

        Cancellation:
            Cancellable while waiting; nothing is held if cancelled.
        """
        key = provider.name
        while True:  # the state is in the actor: ask again after the wait
            wait = await anyio.to_thread.run_sync(self._ask, key)
            if wait is None:
                break
            await anyio.sleep(wait)
        if self._limits.max_concurrent is None:
            return Permit()
        return Permit(functools.partial(self._actor.give_back.remote, key))

    async def cooldown(self, provider: Provider, seconds: float, /) -> None:
        """Pause `provider` on every worker for `seconds` from now."""
        import ray

        reply = self._actor.pause.remote(provider.name, seconds)
        await anyio.to_thread.run_sync(ray.get, reply)
