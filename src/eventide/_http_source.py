"""`HTTPSource`: one HTTP response read through a decoder, with the stream's time budgets.

The first read sends the request, in the consumer's own task; each later read pulls one
network chunk through the decoder and returns the events it completes. It stops at the
decoder's terminal event (it never waits for the server to close the connection) and, when
closed after a complete response, drains what little is left so that the connection can go
back to the pool; after a failure or an early stop it closes the connection at once. A
decoder holding a fault (after returning the events before it) raises it before the next read.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final, final

import anyio
import trio

from ._errors import Error, StreamTimeout
from ._exchange import ResponseHeaders, error_request
from ._transport import HTTPRequest, read_at_most

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._errors import TimeoutPhase
    from ._events import Event
    from ._secrets import Redactor
    from ._timeouts import Timeouts
    from ._transport import Refusal, Response, Transport
    from .wire import Decoder

__all__ = ["HTTPSource", "MakeDecoder", "ResponseHeaders"]

DRAIN_BYTES: Final = 64 * 1024
DRAIN_SECONDS: Final = 0.25

MakeDecoder = Callable[[Mapping[str, str], str], "Decoder"]
"""Makes the decoder of a response, given its headers and the requested model."""
_UNBUDGETED: Final = contextlib.nullcontext()  # stateless: one serves every stream


@final
class HTTPSource:
    """The `Source` of a provider's `EventStream`: response bytes in, event batches out.

    Args:
        transport: Sends the request.
        request: The request to send.
        make_decoder: Makes the decoder for the response, given its headers and `model`.
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
        self._make_decoder: MakeDecoder | None = make_decoder
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
            await self._read(opening=True)

    def receive(self) -> Coroutine[Any, Any, list[Event]]:
        """The events of the next network chunk that completes any; [] at the end.

        The coroutine returned is the one that waits: none of this method's around it.
        """
        return self._read(opening=False)

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

    async def _read(self, *, opening: bool) -> list[Event]:
        """Send the request if it is not yet, then (unless `opening`) read the next events,
        all under the stream's budgets. One coroutine does every step, so that a waiting
        stream keeps one frame here."""
        decoder = self._decoder
        if decoder is not None and decoder.done:
            return []
        timeouts = self._timeouts
        try:
            scope: AbstractContextManager[Any] = _UNBUDGETED  # no budget: no clock, no scope
            phase: TimeoutPhase = "total"
            budget: float | None = None
            if (
                timeouts.total is not None
                or timeouts.idle is not None
                or timeouts.first_event is not None
            ):
                now = anyio.current_time()
                if self._started is None:
                    self._started = now
                deadline, phase, budget = self._deadline(now)
                scope = _cancel_scope(deadline)
            with scope:
                if decoder is None:
                    if self._failure is not None:
                        raise self._failure
                    response = await self._transport.open(self._request, timeouts)
                    if self._refusal.refuses(response):
                        raise await self._refusal.error(
                            response, request=self._request, redactor=self._redactor
                        )
                    decoder = self._accept(response)
                    if opening:
                        return []
                chunks = self._chunks
                assert chunks is not None
                self._waited = True  # later reads wait under the idle budget
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

    def _accept(self, response: Response) -> Decoder:
        """Keep the accepted response and make its decoder; what only sending needed (the
        request's body, the decoder factory) is let go."""
        self._response = response
        self._chunks = response.chunks
        self._head, self._status = response.headers, response.status
        request = self._request
        if request.body:  # errors keep the method, URL and headers only
            self._request = HTTPRequest(request.method, request.url, request.headers)
        make_decoder = self._make_decoder
        assert make_decoder is not None  # accepted once
        decoder = self._decoder = make_decoder(response.headers, self.model)
        self._make_decoder = None
        return decoder


async def _drain(response: Response) -> None:
    """Read what is left of a complete response (at most `DRAIN_BYTES`, `DRAIN_SECONDS`),
    shielded from the caller's cancellation, in one cancel scope for both."""
    # After a complete response a broken tail changes nothing: read_at_most stops at errors.
    with _cancel_scope(anyio.current_time() + DRAIN_SECONDS, shield=True):
        await read_at_most(response.chunks, DRAIN_BYTES)


def _cancel_scope(deadline: float, *, shield: bool = False) -> AbstractContextManager[Any]:
    """A cancel scope ending at `deadline`: trio's own under trio (anyio's wraps one, which
    costs a request's drain, or a budgeted read, 3-5 µs more), anyio's under asyncio."""
    if trio.lowlevel.in_trio_run():
        return trio.CancelScope(deadline=deadline, shield=shield)
    return anyio.CancelScope(deadline=deadline, shield=shield)
