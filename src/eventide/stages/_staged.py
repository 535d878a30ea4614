"""`Stage` and `Staged`: something between a provider and its consumer, and the provider
that puts it there.

A stage is sans-IO: it has no task and no channel. `Staged` calls it in the consumer's own
task — ``start`` with the request before it is sent, ``feed`` with each network batch of
events on the way back, and exactly one of ``end`` (the stream ended cleanly), ``fail``
(it failed) or ``close`` (the consumer closed it before its end). A stage is made afresh
for every stream, so it may keep per-stream state (a text buffer, a record file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, final

from .._errors import Error, StageError
from .._request import as_request
from .._resource import AsyncResource
from .._stream import EventStream

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .._events import Event
    from .._request import Request
    from .._timeouts import Timeouts
    from ..providers import Provider

__all__ = ["Stage", "Staged"]


class Stage(Protocol):
    """One stream's pass through a stage. Every method runs in the consumer's task and must
    not block; what it raises ends the stream with a `StageError` (the partial result kept).
    """

    def start(self, request: Request) -> Request:
        """The request about to be sent: return it, or the one to send instead."""

    def feed(self, events: list[Event]) -> list[Event]:
        """The events of one network read (never empty): return those to hand on (any
        number, none included). `Metadata` must stay first and `Finish` last."""

    def end(self) -> list[Event]:
        """The stream ended cleanly, after its `Finish` went through `feed`: return events
        still to hand on (usually none)."""

    def fail(self, error: Error) -> Error:
        """The stream failed with `error`: return the error to raise (usually `error`)."""

    def close(self) -> None:
        """The consumer closed the stream before its end (a ``break`` after `Metadata`,
        a cancellation). Called at most once, and never after `end` or `fail`."""


@final
class Staged(AsyncResource):
    """A provider seen through a stage: a provider itself, so it composes with routers,
    clients, batch and other stages.

    Args:
        provider: The provider (or router, or staged provider) to wrap.
        stage: Makes the `Stage` of one stream; called once per `stream()`.
        name: The name in errors and `repr` (`Metadata` still names the real provider).
            Default: the wrapped provider's.
        owned: Close the wrapped provider in `aclose()` (once). Default: closing a
            `Staged` closes nothing, and the wrapped provider stays the caller's.
    """

    def __init__(
        self,
        provider: Provider,
        stage: Callable[[], Stage],
        *,
        name: str | None = None,
        owned: bool = False,
    ) -> None:
        if not callable(stage):
            raise TypeError(f"stage must be a function that makes a Stage, not {stage!r}")
        self.provider = provider
        self._stage = stage
        self._name = name
        self._owned = owned

    @property
    def name(self) -> str:
        """The wrapped provider's name, unless given."""
        return self._name or self.provider.name

    @property
    def model(self) -> str | None:
        """The wrapped provider's default model, if it has one."""
        model = getattr(self.provider, "model", None)
        return model if isinstance(model, str) else None

    def __repr__(self) -> str:
        return f"Staged({self.provider!r}, {self._stage!r})"

    async def aclose(self) -> None:
        """Close the wrapped provider when it is owned, the first time only; otherwise
        nothing: it is the caller's."""
        owned, self._owned = self._owned, False
        if owned:
            await self.provider.aclose()

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The wrapped provider's events, through a fresh stage. Does no I/O until read.

        Raises:
            StageError: The stage's ``start`` raised.
        """
        request = as_request(request, model=model)
        stage = self._stage()
        try:
            request = stage.start(request)
        except Exception as exc:
            raise _stage_error(stage, exc, self.name) from exc
        inner = self.provider.stream(request, timeouts=timeouts)
        return EventStream(_StagedSource(inner, stage))


def _stage_error(stage: Stage, exc: Exception, provider: str | None) -> StageError:
    return StageError(f"stage {type(stage).__name__} failed: {exc!r}", provider=provider)


@final
class _StagedSource:
    """The `Source` of a staged stream: the inner stream's batches, through the stage."""

    __slots__ = ("_done", "_inner", "_stage")

    def __init__(self, inner: EventStream, stage: Stage) -> None:
        self._inner = inner
        self._stage = stage
        self._done = False  # end, fail or close was called

    @property
    def provider(self) -> str:
        return self._inner.provider

    @property
    def model(self) -> str:
        return self._inner.model

    @property
    def headers(self) -> Mapping[str, str] | None:
        return self._inner.headers

    @property
    def status_code(self) -> int | None:
        return self._inner.status_code

    async def open(self) -> None:
        try:
            await self._inner.open()
        except Error as exc:
            failure = self._failed(exc)
            raise failure from failure.__cause__  # keep the cause; drop the context

    async def receive(self) -> list[Event]:
        stage = self._stage
        while not self._done:
            try:
                batch = await self._inner.receive_batch()
            except StopAsyncIteration:
                self._done = True
                return self._call(stage.end)
            except Error as exc:
                failure = self._failed(exc)
                raise failure from failure.__cause__
            events = self._call(stage.feed, batch)
            if events:
                return events
        return []

    def _call(self, method: Callable[..., list[Event]], *args: Any) -> list[Event]:
        try:
            return method(*args)
        except Exception as exc:
            error = _stage_error(self._stage, exc, self.provider)
            error.__cause__ = exc
            failure = self._failed(error)
            raise failure from failure.__cause__

    def _failed(self, error: Error) -> Error:
        if self._done:
            return error
        self._done = True
        try:
            return self._stage.fail(error)
        except Exception as exc:
            failure = _stage_error(self._stage, exc, self.provider)
            failure.__cause__ = exc
            return failure

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if not self._done:
                self._done = True
                self._stage.close()

    def abandon(self) -> Any:
        return None  # the inner stream's own finaliser closes its response
