"""`ScriptedProvider`: a `Provider` that answers from a script, through the real pipeline.

Each request takes the next `Reply` (or asks a function for one). The reply's bytes are
served by an in-memory transport to a real provider of the reply's API (`OpenAIChat`,
`Anthropic`, ...), so they go through the same response checks, decoder, error mapping and
`EventStream` as a server's: a scripted 503 raises the `OverloadedError` the real provider
raises, a cut body the same `ProtocolError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, TypeAlias, final

import attrs

from .._events import Event, Metadata
from .._request import Request, as_request
from .._resource import AsyncResource
from .._secrets import REDACTED, check_key, is_credential
from .._validate import check_text
from ..providers import Anthropic, Gemini, Ollama, OpenAIChat, OpenAIResponses
from ._reply import Reply
from ._wire import ScriptedTransport, SentRequest

if TYPE_CHECKING:
    from .._stream import EventStream
    from .._timeouts import Timeouts
    from ..providers._http import HTTPProvider

__all__ = ["ReplyLike", "ScriptExhausted", "ScriptedProvider"]

ReplyLike: TypeAlias = Reply | str | Sequence[Event]
"""A reply as a script gives it: a `Reply`, a text answer, or a list of events."""

_PROVIDERS: Final[dict[str, tuple[type[HTTPProvider], str]]] = {
    "openai": (OpenAIChat, "http://scripted.invalid/v1"),
    "openai-responses": (OpenAIResponses, "http://scripted.invalid/v1"),
    "anthropic": (Anthropic, "http://scripted.invalid"),
    "gemini": (Gemini, "http://scripted.invalid/v1beta"),
    "ollama": (Ollama, "http://scripted.invalid"),
}


class ScriptExhausted(AssertionError):
    """The scripted provider got a request its script has no reply for."""


def as_reply(reply: ReplyLike) -> Reply:
    """`reply` as a `Reply`: a string is a text answer, an iterable of events a script.

    Raises:
        TypeError: Neither.
    """
    if isinstance(reply, Reply):
        return reply
    if isinstance(reply, str):
        return Reply.text(reply)
    if isinstance(reply, list | tuple):
        return Reply.events(reply)
    raise TypeError(f"a reply is a Reply, a string or a list of events, not {reply!r}")


def _redacted(request: Request) -> Request:
    """`request` with the values of its credential headers and query parameters hidden."""
    headers = {k: REDACTED if is_credential(k) else v for k, v in request.headers.items()}
    query = {k: REDACTED if is_credential(k) else v for k, v in request.query.items()}
    if headers == request.headers and query == request.query:
        return request
    return attrs.evolve(request, headers=headers, query=query)


@final
class ScriptedProvider(AsyncResource):
    """A provider that answers from a script, for testing code that uses eventide.

    It is a `Provider`: pass it to `AsyncClient`, `Client`, `Fallback`, `Router` or a
    batch as you would a real one. Nothing goes over a network, and yet each reply travels
    the real path: its bytes go through the response checks and the real decoder of its
    API into an `EventStream`. It records every request it gets (`requests`) and, once the
    stream is read, the HTTP request as sent (`http_requests`), credentials redacted:

    ```python
    from eventide import AsyncClient
    from eventide.testing import Reply, ScriptedProvider

    provider = ScriptedProvider("Paris.", Reply.http_error(503))
    async with AsyncClient(provider) as client:
        answer = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Capital of France?"}]
        )
    assert answer.choices[0].message.content == "Paris."
    assert provider.last_request.model == "gpt-4o-mini"
    ```

    Args:
        *replies: One reply per request, in order: a `Reply`, a string (a text answer,
            `Reply.text`) or a list of events (`Reply.events`).
        respond: Instead of `replies`: a function of the `Request` that returns its reply.
        name: The provider name (`Metadata.provider`, errors, routers).
        model: The model when a request names none.
        api_key: A key to send as each API sends it (``authorization``, ``x-api-key``,
            ``x-goog-api-key``): recorded redacted, and redacted from errors.
        timeouts: Default time budgets of every stream, as for a real provider.

    Raises:
        TypeError: A reply is not one of the forms above, or both or neither of `replies`
            and `respond` are given, or `name` or `model` is not a string.
        AuthenticationError: `api_key` cannot be sent in a header (a trailing newline...).
        ScriptError: A script breaks the event contract (see `Reply.events`).
    """

    __slots__ = (
        "_api_key",
        "_closed",
        "_name",
        "_replies",
        "_requests",
        "_respond",
        "_sent",
        "model",
        "timeouts",
    )

    def __init__(
        self,
        *replies: ReplyLike,
        respond: Callable[[Request], ReplyLike] | None = None,
        name: str = "scripted",
        model: str = "scripted-model",
        api_key: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        if bool(replies) == (respond is not None):
            raise TypeError("give the replies, or respond= (a function of the request), not both")
        if respond is not None and not callable(respond):
            raise TypeError(f"respond must be a function of the request, not {respond!r}")
        check_text("name", name)
        check_text("model", model)
        if api_key:
            check_key(api_key, provider=name)
        self._replies = [as_reply(reply) for reply in replies]
        self._respond = respond
        self._name = name
        self.model = model
        self.timeouts = timeouts
        self._api_key = api_key
        self._requests: list[Request] = []
        self._sent: list[SentRequest] = []
        self._closed = False

    def __repr__(self) -> str:
        script = "respond=" if self._respond is not None else f"{len(self._replies)} replies left"
        return f"ScriptedProvider(name={self._name!r}, {script}, requests={len(self._requests)})"

    @property
    def name(self) -> str:
        """The provider name, as it appears in `Metadata.provider` and errors."""
        return self._name

    @property
    def requests(self) -> tuple[Request, ...]:
        """Every request received, in order (credential headers redacted)."""
        return tuple(self._requests)

    @property
    def last_request(self) -> Request:
        """The latest request received.

        Raises:
            AssertionError: No request has been received.
        """
        if not self._requests:
            raise AssertionError(f"{self._name} has received no request")
        return self._requests[-1]

    @property
    def http_requests(self) -> tuple[SentRequest, ...]:
        """Every HTTP request sent (a stream sends when first read), credentials redacted."""
        return tuple(self._sent)

    @property
    def last_http_request(self) -> SentRequest:
        """The latest HTTP request sent.

        Raises:
            AssertionError: None has been sent.
        """
        if not self._sent:
            raise AssertionError(f"{self._name} has sent no HTTP request")
        return self._sent[-1]

    @property
    def call_count(self) -> int:
        """How many requests have been received."""
        return len(self._requests)

    @property
    def remaining(self) -> int:
        """How many scripted replies are still unused (0 with ``respond=``)."""
        return len(self._replies)

    @property
    def closed(self) -> bool:
        """Whether `aclose()` has been called."""
        return self._closed

    def assert_called_once(self) -> Request:
        """Check that exactly one request was received, and return it.

        Raises:
            AssertionError: None, or more than one, was received.
        """
        if len(self._requests) != 1:
            raise AssertionError(
                f"{self._name} was expected to receive one request, "
                f"and received {len(self._requests)}"
            )
        return self._requests[0]

    def assert_not_called(self) -> None:
        """Check that no request was received.

        Raises:
            AssertionError: One was.
        """
        if self._requests:
            raise AssertionError(
                f"{self._name} was expected to receive no request, "
                f"and received {len(self._requests)}"
            )

    def stream(
        self,
        request: Request | str,
        *,
        model: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> EventStream:
        """The events of the next scripted reply. Does no I/O until the stream is read.

        Args:
            request: A `Request`, or a prompt string.
            model: Overrides the request's model.
            timeouts: Replaces the provider's `timeouts` for this stream.

        Raises:
            ScriptExhausted: Every scripted reply has been used.
            RequestError: The request cannot be written for the reply's API.
        """
        request = as_request(request, model=model)
        self._requests.append(_redacted(request))
        if self._respond is not None:
            reply = as_reply(self._respond(request))
        elif self._replies:
            reply = self._replies.pop(0)
        else:
            raise ScriptExhausted(
                f"{self._name} received request {len(self._requests)}, and its script has "
                "no reply left for it: script a reply per request (a client or a router "
                "that retries asks again), or answer with respond="
            )
        provider = self._provider(reply)
        return provider.stream(request, timeouts=timeouts)

    def _provider(self, reply: Reply) -> HTTPProvider:
        """A real provider of `reply`'s API, whose transport serves `reply`."""
        cls, base_url = _PROVIDERS[reply.api]
        name = self._name
        if reply.script is not None:
            metadata = reply.script[0]
            if type(metadata) is Metadata and metadata.provider:
                name = metadata.provider
        transport = ScriptedTransport(reply, record=self._sent.append, closed=self._is_closed)
        return cls(
            base_url=base_url,
            api_key=self._api_key or "",
            model=self.model,
            name=name,
            transport=transport,
            timeouts=self.timeouts,
        )

    def _is_closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        """Close the provider: streams read afterwards raise `TransportClosed`, as a real
        provider's do."""
        self._closed = True
