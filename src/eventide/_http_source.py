"""`HTTPSource`: one HTTP response read through a decoder, with the stream's time budgets.

The first read sends the request, in the consumer's own task; each later read pulls one
network chunk through the decoder and returns the events it completes. It stops at the
decoder's terminal event (it never waits for the server to close the connection) and, when
closed after a complete response, drains what little is left so that the connection can go
back to the pool; after a failure or an early stop it closes the connection at once. A
decoder holding a fault (after returning the events before it) raises it before the next read.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, final

import anyio

from ._errors import Error, StreamTimeout
from ._exchange import ResponseHeaders, error_request
from ._transport import read_at_most

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._errors import TimeoutPhase
    from ._events import Event
    from ._secrets import Redactor
    from ._timeouts import Timeouts
    from ._transport import HTTPRequest, Refusal, Response, Transport
    from .wire import Decoder

__all__ = ["HTTPSource", "MakeDecoder", "ResponseHeaders"]

DRAIN_BYTES: Final = 64 * 1024
DRAIN_SECONDS: Final = 0.25

MakeDecoder = Callable[[Mapping[str, str]], "Decoder"]
"""Makes the decoder of a response, given its headers."""


@final
class HTTPSource:
    """The `Source` of a provider's `EventStream`: response bytes in, event batches out.

    Args:
        transport: Sends the request.
        request: The request to send.
        make_decoder: Makes the decoder for the response, given its headers.
        refusal: Decides whether the response is the provider's stream, and its error if not.
        redactor: Hides the provider's secrets in every error that leaves the stream.
        model: The requested model.
        timeouts: The stream's budgets: the transport gets the HTTP ones; the first-event,
            idle and total budgets are enforced here.
        failure: An error found before sending (a missing key): raised by the first read,
            and nothing is sent.
    """

    __slots__ = (
        "_chunks",
        "_decoder",
        "_failed",
        "_failure",
        "_head",
        "_make_decoder",
        "_redactor",
        "_refusal",
        "_request",
        "_response",
        "_started",
        "_status",
        "_timeouts",
        "_transport",
        "_waited",
        "model",
    )

    def __init__(
        self,
        transport: Transport,
        request: HTTPRequest,
        make_decoder: MakeDecoder,
        refusal: Refusal,
        redactor: Redactor,
        *,
        model: str,
        timeouts: Timeouts,
        failure: Error | None = None,
    ) -> None:
        self._transport = transport
        self._request = request
        self._make_decoder = make_decoder
        self._refusal = refusal
        self._redactor = redactor
        self.model = model
        self._timeouts = timeouts
        self._failure = failure
        self._response: Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._decoder: Decoder | None = None
        self._started: float | None = None
        self._waited = False  # a batch was delivered: later waits are "idle" waits
        self._failed = False
        self._head: Mapping[str, str] | None = None  # the response's headers, once open
        self._status: int | None = None

    @property
    def provider(self) -> str:
        """The provider's name."""
        return self._refusal.provider

    @property
    def headers(self) -> ResponseHeaders | None:
        """The response's headers once it has been accepted (they stay after `aclose`);
        None before."""
        head = self._head
        if head is None or isinstance(head, ResponseHeaders):
            return head
        view = self._head = ResponseHeaders(head)  # made once, when first asked for
        return view

    @property
    def status_code(self) -> int | None:
        """The response's HTTP status once it has been accepted; None before."""
        return self._status

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
        response, self._response = self._response, None
        self._chunks = None
        if response is None:
            return
        decoder = self._decoder
        if decoder is not None and decoder.done and not self._failed and not response.complete:
            await _drain(response)
        await response.aclose()

    def abandon(self) -> Response | None:
        """Give up the open response without awaiting (for finalisers); None if there is none."""
        response, self._response = self._response, None
        return response

    async def _budgeted(self, step: Callable[[], Awaitable[Any]]) -> Any:
        timeouts = self._timeouts
        try:
            if timeouts.total is None and timeouts.idle is None and timeouts.first_event is None:
                return await step()  # no budget: no clock, no cancel scope
            now = anyio.current_time()
            if self._started is None:
                self._started = now
            deadline, phase, budget = self._deadline(now)
            with anyio.CancelScope(deadline=deadline):
                return await step()
            raise StreamTimeout(
                f"no event within the {phase.replace('_', '-')} timeout of {budget} s",
                phase=phase,
                timeout=budget,
                provider=self.provider,
            )
        except BaseException as exc:
            self._failed = True
            if isinstance(exc, Error):
                if exc.provider is None:
                    exc.provider = self.provider
                if exc.request is None and exc is not self._failure:  # it was sent
                    exc.request = error_request(self._request, self._redactor)
                self._redactor.error(exc)  # whatever path it came by, the key stays here
            raise

    def _deadline(self, now: float) -> tuple[float, TimeoutPhase, float | None]:
        timeouts = self._timeouts
        started = self._started if self._started is not None else now
        phase: TimeoutPhase = "total"  # with no budget at all, never reported
        deadline, budget = math.inf, None
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
        if self._failure is not None:
            raise self._failure
        response = await self._transport.open(self._request, self._timeouts)
        if self._refusal.refuses(response):
            raise await self._refusal.error(
                response, request=self._request, redactor=self._redactor
            )
        self._response = response
        self._chunks = response.chunks
        self._head, self._status = response.headers, response.status
        decoder = self._decoder = self._make_decoder(response.headers)
        return decoder

    async def _pull(self) -> list[Event]:
        decoder = self._decoder
        if decoder is None:
            decoder = await self._open()
        chunks = self._chunks
        assert chunks is not None
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


async def _drain(response: Response) -> None:
    """Read what is left of a complete response (at most `DRAIN_BYTES`, `DRAIN_SECONDS`),
    shielded from the caller's cancellation, in one cancel scope for both."""
    # After a complete response a broken tail changes nothing: read_at_most stops at errors.
    with anyio.CancelScope(shield=True, deadline=anyio.current_time() + DRAIN_SECONDS):
        await read_at_most(response.chunks, DRAIN_BYTES)
