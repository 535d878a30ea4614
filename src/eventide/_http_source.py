"""`HTTPSource`: one HTTP response read through a decoder, with the stream's time budgets.

The first read sends the request, in the consumer's own task; each later read pulls one
network chunk through the decoder and returns the events it completes. It stops at the
decoder's terminal event (it never waits for the server to close the connection) and, when
closed after a complete response, drains what little is left so that the connection can go
back to the pool; after a failure or an early stop it closes the connection at once.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, final

import anyio

from ._errors import Error, StreamTimeout

if TYPE_CHECKING:
    from ._events import Event
    from ._timeouts import Timeouts
    from .wire import Decoder

__all__ = ["Body", "HTTPSource", "MakeDecoder", "OpenBody"]

DRAIN_BYTES: Final = 64 * 1024
DRAIN_SECONDS: Final = 0.25


class Body(Protocol):
    """An open response body (the transport's `HTTPBody` is one)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def chunks(self) -> Any:
        """An async iterator of body bytes."""

    @property
    def complete(self) -> bool:
        """Whether the whole body has been read (so no drain is needed before reuse)."""

    async def aclose(self) -> None:
        """Release the response; safe to call when cancelled (it shields what it awaits)."""


OpenBody = Callable[[], Awaitable[Body]]
MakeDecoder = Callable[[Mapping[str, str]], "Decoder"]


@final
class HTTPSource:
    """The `Source` of a provider's `EventStream`: response bytes in, event batches out.

    Args:
        open_body: Sends the request; returns the body once the headers are in.
        make_decoder: Makes the decoder for the response, given its headers.
        provider: The provider's name.
        model: The requested model.
        timeouts: The first-event, idle and total budgets (the others are the HTTP client's).
    """

    __slots__ = (
        "_body",
        "_chunks",
        "_decoder",
        "_failed",
        "_make_decoder",
        "_open_body",
        "_started",
        "_timeouts",
        "_waited",
        "model",
        "provider",
    )

    def __init__(
        self,
        open_body: OpenBody,
        make_decoder: MakeDecoder,
        *,
        provider: str,
        model: str,
        timeouts: Timeouts,
    ) -> None:
        self._open_body = open_body
        self._make_decoder = make_decoder
        self.provider = provider
        self.model = model
        self._timeouts = timeouts
        self._body: Body | None = None
        self._chunks: Any = None
        self._decoder: Decoder | None = None
        self._started: float | None = None
        self._waited = False  # a batch was delivered: later waits are "idle" waits
        self._failed = False

    @property
    def opened(self) -> bool:
        """Whether the response headers have arrived."""
        return self._decoder is not None

    async def open(self) -> None:
        """Send the request and wait for the response headers (under the first-event budget)."""
        if self._decoder is None:
            await self._budgeted(self._open)

    async def receive(self) -> list[Event]:
        """The events of the next network chunk that completes any; [] at the end."""
        decoder = self._decoder
        if decoder is not None and decoder.done:
            return []
        events: list[Event] = await self._budgeted(self._pull)
        self._waited = True
        return events

    async def aclose(self) -> None:
        """Release the response: drained for reuse after a complete response, else closed."""
        body, self._body = self._body, None
        self._chunks = None
        if body is None:
            return
        decoder = self._decoder
        if decoder is not None and decoder.done and not self._failed and not body.complete:
            with anyio.CancelScope(shield=True):
                await _drain(body)
        await body.aclose()

    def abandon(self) -> Body | None:
        """Give up the open body without awaiting (for finalisers); None if there is none."""
        body, self._body = self._body, None
        return body

    async def _budgeted(self, step: Callable[[], Awaitable[Any]]) -> Any:
        timeouts = self._timeouts
        if self._started is None:
            self._started = anyio.current_time()
        try:
            if timeouts.total is None and timeouts.idle is None and timeouts.first_event is None:
                return await step()
            deadline, phase, budget = self._deadline(anyio.current_time())
            with anyio.CancelScope(deadline=deadline):
                return await step()
            raise StreamTimeout(
                f"no event within the {phase.replace('_', '-')} timeout of {budget} s",
                phase=phase,  # type: ignore[arg-type]
                timeout=budget,
                provider=self.provider,
            )
        except BaseException:
            self._failed = True
            raise

    def _deadline(self, now: float) -> tuple[float, str, float | None]:
        timeouts = self._timeouts
        started = self._started if self._started is not None else now
        deadline, phase, budget = math.inf, "", None
        if timeouts.total is not None:
            deadline, phase, budget = started + timeouts.total, "total", timeouts.total
        if not self._waited:
            if timeouts.first_event is not None and started + timeouts.first_event < deadline:
                deadline, phase, budget = (
                    started + timeouts.first_event,
                    "first_event",
                    timeouts.first_event,
                )
        elif timeouts.idle is not None and now + timeouts.idle < deadline:
            deadline, phase, budget = now + timeouts.idle, "idle", timeouts.idle
        return deadline, phase, budget

    async def _open(self) -> Decoder:
        body = self._body = await self._open_body()
        self._chunks = body.chunks
        decoder = self._decoder = self._make_decoder(body.headers)
        return decoder

    async def _pull(self) -> list[Event]:
        decoder = self._decoder
        if decoder is None:
            decoder = await self._open()
        chunks = self._chunks
        while True:
            if decoder.failed:  # a fault held after the events before it: raise it now
                return decoder.end()
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return decoder.end()
            events = decoder.feed(chunk)
            if events or decoder.done:
                return events


async def _drain(body: Body) -> None:
    left = DRAIN_BYTES
    with anyio.move_on_after(DRAIN_SECONDS):
        try:
            async for chunk in body.chunks:
                left -= len(chunk)
                if left <= 0:
                    break
        except Error:
            pass  # the response was already complete: a broken tail changes nothing
