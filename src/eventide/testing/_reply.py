"""`Reply`: one scripted response, and the failures a script can inject into it.

A reply is a value made before any request: a list of events, a text answer, a recorded
transcript of one of the five wire APIs, or an HTTP error. Whatever it is, it becomes the
bytes a server would send (events and text through `ChatStreamEncoder`, the OpenAI Chat
Completions wire), so that the provider's real decoder reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, TypedDict, Unpack, final, get_args

import attrs

from .._events import Event
from .._validate import check_integer, check_number
from ._script import ScriptError, ToolCallLike, checked_script, text_events

if TYPE_CHECKING:
    from .._events import FinishReason, Usage

__all__ = ["Api", "Cut", "Disconnect", "Failure", "Reply", "StreamError", "StreamOptions"]

Api: TypeAlias = Literal["openai", "openai-responses", "anthropic", "gemini", "ollama"]
"""The wire APIs a transcript can be in: OpenAI Chat Completions, OpenAI Responses,
Anthropic Messages, Gemini ``streamGenerateContent``, Ollama ``/api/chat``."""

APIS: Final[tuple[str, ...]] = get_args(Api)


def _after(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_integer(attribute.name, value, low=0)


@final
@attrs.frozen(kw_only=True)
class Cut:
    """The body ends, cleanly, after `after` events (of a transcript: frames) and before
    its terminal event: the stream raises the `ProtocolError` of a truncated response.

    Attributes:
        after: How many events of the script (after `Metadata`) are delivered first; for
            a transcript, how many frames (server-sent events, NDJSON lines, or the
            chunks it was given as).
    """

    after: int = attrs.field(validator=_after)


@final
@attrs.frozen(kw_only=True)
class Disconnect:
    """The connection is lost after `after` events (of a transcript: frames): the stream
    raises the `TransportError` a reset connection gives.

    Attributes:
        after: As for `Cut`.
    """

    after: int = attrs.field(validator=_after)


@final
@attrs.frozen(kw_only=True)
class StreamError:
    """The server sends an error payload in the stream after `after` events, as OpenAI
    does (``data: {"error": {...}}``): the stream raises the typed `ProviderError` the
    OpenAI chat decoder makes of it (``code="rate_limit_exceeded"`` is a `RateLimitError`,
    ``"server_error"`` a `ServerError`, ...). For event and text scripts; a transcript
    carries its API's own error event in its bytes.

    Attributes:
        after: How many events of the script (after `Metadata`) are delivered first.
        message: The error's message.
        code: The error's ``code``.
        type: The error's ``type``.
    """

    after: int = attrs.field(validator=_after)
    message: str = "The server had an error while processing your request."
    code: str | None = "server_error"
    type: str | None = "server_error"


Failure: TypeAlias = Cut | Disconnect | StreamError
"""A failure a reply injects part-way through its body."""


class StreamOptions(TypedDict, total=False):
    """How a streamed reply (`Reply.events`, `Reply.text`) is sent; every key is optional.

    Attributes:
        fail: A failure part-way through the body (`Cut`, `Disconnect`, `StreamError`).
        headers: More response headers (``x-request-id`` lands in `Metadata.extra`).
        chunk_size: Network reads of this many bytes (default: one read per event).
        delay: Seconds before each network read (default 0).
        latency: Seconds before the response head (default 0).
    """

    fail: Failure | None
    headers: Mapping[str, str] | None
    chunk_size: int | None
    delay: float
    latency: float


def _check_api(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in APIS:
        raise ValueError(f"api must be one of {', '.join(map(repr, APIS))}, not {value!r}")


def _headers(value: Mapping[str, str] | None) -> dict[str, str]:
    """The headers by lower-case name.

    Raises:
        TypeError: A name or a value is not a string.
    """
    headers = dict(value or {})
    if not all(isinstance(name, str) and isinstance(text, str) for name, text in headers.items()):
        raise TypeError(f"headers must map strings to strings, not {value!r}")
    return {name.lower(): text for name, text in headers.items()}


def _bytes_tuple(value: Iterable[bytes]) -> tuple[bytes, ...]:
    return tuple(value)


def _optional_size(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_integer(attribute.name, value, low=1)


def _seconds(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_number(attribute.name, value, low=0)


@final
@attrs.frozen(kw_only=True)
class Reply:
    """One scripted response. Make it with `Reply.text`, `Reply.events`, `Reply.transcript`
    or `Reply.http_error`; the fields say what the server will send.

    Attributes:
        api: The wire API of the body (an event or text script: ``"openai"``).
        status: The HTTP status.
        headers: Response headers, by lower-case name (the content type among them).
        script: The events of an event or text script; None for a transcript.
        frames: The body of a transcript or an HTTP error, in frames.
        fail: A failure part-way through the body, or None.
        chunk_size: Network reads of this many bytes (None: one read per event, or per
            frame of a transcript).
        delay: Seconds to wait before each network read of the body.
        latency: Seconds to wait before the response head.
    """

    api: Api = attrs.field(default="openai", validator=_check_api)
    status: int = 200
    headers: dict[str, str] = attrs.field(factory=dict, converter=_headers, hash=False)
    script: tuple[Event, ...] | None = None
    frames: tuple[bytes, ...] = attrs.field(default=(), converter=_bytes_tuple)
    fail: Failure | None = None
    chunk_size: int | None = attrs.field(default=None, validator=_optional_size)
    delay: float = attrs.field(default=0.0, validator=_seconds)
    latency: float = attrs.field(default=0.0, validator=_seconds)

    def __attrs_post_init__(self) -> None:
        check_integer("status", self.status, low=100)
        if self.status > 599:
            raise ValueError(f"status must be an HTTP status (100-599), not {self.status}")
        if self.script is not None:
            if self.api != "openai":
                raise ScriptError("an event script is replayed over the 'openai' wire")
            object.__setattr__(self, "script", checked_script(self.script))
        if self.fail is not None:
            _check_failure(self)

    @classmethod
    def events(cls, events: Iterable[Event], **options: Unpack[StreamOptions]) -> Reply:
        """A response that streams `events`, checked against the event contract when the
        reply is made.

        `Metadata` and `Finish` are filled in when the script leaves them out. The events
        travel as Chat Completions server-sent events through the real OpenAI chat decoder,
        so they arrive as a real stream's do: `Metadata.provider` is the scripted
        provider's name (or the scripted `Metadata`'s), `Metadata.requested_model` the
        model the request asked for, and `Metadata.model` the scripted one (else the
        requested one); a `ToolCall` scripted without its `ToolCallDelta` pieces comes
        after one whole-call delta, and `Usage` comes just before `Finish`.

        Args:
            events: The events, in order.
            **options: `StreamOptions`: ``fail`` (a failure after some of the events),
                ``headers``, ``chunk_size``, ``delay`` (seconds before each network read,
                with `anyio.sleep`: virtual time under trio's ``autojump_clock``) and
                ``latency`` (seconds before the response head).

        Raises:
            TypeError: An item is not an event.
            ScriptError: The script breaks the event contract (two `Finish` events,
                `Metadata` not first, ...), carries what the chat wire cannot (a
                `Reasoning` block, `Finish.model`, ...), or `fail` is past its end.
        """
        unknown = sorted(set(options) - StreamOptions.__optional_keys__)
        if unknown:
            raise TypeError(f"unexpected keyword arguments: {', '.join(unknown)}")
        return cls(
            script=tuple(events),
            headers={"content-type": "text/event-stream", **_headers(options.get("headers"))},
            fail=options.get("fail"),
            chunk_size=options.get("chunk_size"),
            delay=options.get("delay", 0.0),
            latency=options.get("latency", 0.0),
        )

    @classmethod
    def text(
        cls,
        text: str | Sequence[str] = "",
        *,
        reasoning: str | Sequence[str] | None = None,
        tool_calls: Sequence[ToolCallLike] = (),
        usage: Usage | None = None,
        finish: FinishReason | None = None,
        model: str | None = None,
        response_id: str | None = None,
        **options: Unpack[StreamOptions],
    ) -> Reply:
        """A text answer: `Metadata`, reasoning, text, tool calls, `Usage`, `Finish`.

        Args:
            text: The answer: a string streams word by word; a sequence of strings gives
                the text deltas as they are.
            reasoning: The model's reasoning, before the text (split like `text`).
            tool_calls: Tool calls after the text: `ToolCall` events or ``(name,
                arguments)`` pairs (ids ``call_0``, ``call_1``, ...).
            usage: The token counts, or None (the provider reported none).
            finish: The finish reason; default ``"tool_calls"`` after tool calls, else
                ``"stop"``.
            model: The served model (default: the requested one).
            response_id: The response id.
            **options: `StreamOptions`, as for `Reply.events`.
        """
        events = text_events(
            text,
            reasoning=reasoning,
            tool_calls=tool_calls,
            usage=usage,
            finish=finish,
            model=model,
            response_id=response_id,
        )
        return cls.events(events, **options)

    @classmethod
    def transcript(
        cls,
        body: bytes | str | Sequence[bytes],
        *,
        api: Api = "openai",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        fail: Cut | Disconnect | None = None,
        chunk_size: int | None = None,
        delay: float = 0.0,
        latency: float = 0.0,
    ) -> Reply:
        """A recorded response body of one of the five APIs, replayed byte for byte through
        that API's real decoder (and, for an error status, its real error mapping).

        Args:
            body: The raw body: bytes (or text, sent as UTF-8), or its network reads as a
                sequence of bytes.
            api: The body's API (`Api`).
            status: The HTTP status.
            headers: More response headers; the content type defaults to the API's.
            fail: `Cut` or `Disconnect` after some frames (server-sent events, NDJSON
                lines, or the pieces `body` was given in).
            chunk_size, delay, latency: As for `Reply.events`.
        """
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, bytes):
            frames = _frames(body, ndjson=api == "ollama")
        else:
            frames = list(body)
            if not all(isinstance(frame, bytes) for frame in frames):
                raise TypeError("a transcript is bytes, text, or a sequence of bytes")
        kind = "application/x-ndjson" if api == "ollama" else "text/event-stream"
        return cls(
            api=api,
            status=status,
            headers={"content-type": kind, **_headers(headers)},
            frames=frames,
            fail=fail,
            chunk_size=chunk_size,
            delay=delay,
            latency=latency,
        )

    @classmethod
    def http_error(
        cls,
        status: int,
        body: Mapping[str, Any] | str | bytes | None = None,
        *,
        api: Api = "openai",
        headers: Mapping[str, str] | None = None,
        latency: float = 0.0,
    ) -> Reply:
        """An HTTP error response: the stream raises the typed error the real provider of
        `api` raises for it (503: `OverloadedError`, 429: `RateLimitError` with the
        ``retry-after`` header's seconds, 401: `AuthenticationError`, ...).

        Args:
            status: The HTTP status (at least 300).
            body: The error body: a dict (sent as JSON), text or bytes.
            api: Whose error format the body is in (`Api`).
            headers: More response headers (``retry-after``, ...).
            latency: Seconds before the response head.
        """
        check_integer("status", status, low=300)
        if isinstance(body, Mapping):
            data, kind = json.dumps(dict(body)).encode(), "application/json"
        else:
            data = body.encode() if isinstance(body, str) else body or b""
            looks_json = data.lstrip().startswith((b"{", b"["))
            kind = "application/json" if looks_json else "text/plain"
        return cls(
            api=api,
            status=status,
            headers={"content-type": kind, **_headers(headers)},
            frames=[data] if data else [],
            latency=latency,
        )


def _frames(body: bytes, *, ndjson: bool) -> list[bytes]:
    """`body` split after each event: each line of NDJSON, each blank line of SSE."""
    pattern = rb"(?<=\n)" if ndjson else rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)"
    return [frame for frame in re.split(pattern, body) if frame]


def _check_failure(reply: Reply) -> None:
    fail = reply.fail
    if not isinstance(fail, Cut | Disconnect | StreamError):
        raise TypeError(f"fail must be a Cut, a Disconnect or a StreamError, not {fail!r}")
    if reply.status >= 300:
        raise ScriptError("an HTTP error has no body to fail part-way through")
    if reply.script is None:
        if isinstance(fail, StreamError):
            raise ScriptError(
                "a transcript carries its API's own error event in its bytes: "
                "StreamError is for event and text scripts"
            )
        if fail.after >= len(reply.frames):
            raise ScriptError(
                f"{type(fail).__name__}(after={fail.after}) is past the end of the "
                f"transcript's {len(reply.frames)} frames"
            )
        return
    content = len(reply.script) - 1  # after Metadata
    if fail.after >= content:
        raise ScriptError(
            f"{type(fail).__name__}(after={fail.after}) is past the end of the script's "
            f"{content} events after Metadata: the Finish would be delivered"
        )
