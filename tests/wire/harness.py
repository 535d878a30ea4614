"""What every decoder test needs: recorded transcripts, and one driver that feeds a decoder
chunks as a stream does."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
import pytest

from eventide import Error, Event, ProtocolError
from tests.conformance.cases import Api

if TYPE_CHECKING:
    from collections.abc import Iterable

    from eventide.wire import Decoder

__all__ = [
    "DATA",
    "Outcome",
    "Transcript",
    "decode_garbage",
    "drive",
    "feed_all",
    "feed_until_failure",
    "one_byte_chunks",
    "outcome",
]

Outcome: TypeAlias = tuple[list[Any], type[Error] | None]
DATA = Path(__file__).resolve().parents[1] / "data"


@attrs.frozen
class Transcript:
    """One recorded body of one API, how to decode it, and what must come out (for an
    error case: what must be delivered before the error).

    Attributes:
        api: The wire format; the body is ``tests/data/<api.name>/<name>.<extension>``.
        signatures: What `AnthropicDecoder.signatures` must hold at the end.
    """

    api: Api
    name: str
    expected: list[Event]
    requested_model: str
    provider: str | None = None
    extra: Mapping[str, Any] | None = None
    error: type[Error] | None = None
    signatures: Mapping[int, str] = attrs.field(factory=dict)

    @property
    def wire(self) -> bytes:
        return (DATA / self.api.name / f"{self.name}.{self.api.extension}").read_bytes()

    def decoder(self, **options: Any) -> Any:
        """A fresh decoder for this body; `options` go to its constructor."""
        make: Any = self.api.decoder
        return make(
            provider=self.provider or self.api.provider,
            requested_model=self.requested_model,
            extra=self.extra,
            **options,
        )

    def capped(self, limit: int) -> Any:
        """A fresh decoder whose event (or NDJSON line) size cap is `limit`."""
        option = "max_line_bytes" if self.api.framing == "ndjson" else "max_event_bytes"
        return self.decoder(**{option: limit})


def one_byte_chunks(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def drive(
    decoder: Any, chunks: Iterable[bytes], *, end: bool = True
) -> tuple[list[Any], Error | None]:
    """Feed every chunk, then (with `end`) end the body, as a stream does; return what was
    delivered and the error that ended it, if any.

    Any sans-IO layer will do (a `Decoder`, `SSEDecoder`, `NDJSONDecoder`): each holds a
    fault met after output for its next call, and `failed` says one is held.
    """
    out: list[Any] = []
    try:
        for chunk in chunks:
            out.extend(decoder.feed(chunk))
        if end:
            out.extend(decoder.end())
            if decoder.failed:  # end() met a fault after output: the next call raises it
                decoder.end()
    except Error as exc:
        return out, exc
    return out, None


def outcome(decoder: Any, chunks: Iterable[bytes]) -> Outcome:
    """What was delivered, and the type of the error that ended it, if any."""
    out, error = drive(decoder, chunks)
    return out, type(error) if error is not None else None


def feed_all(decoder: Decoder, chunks: Iterable[bytes]) -> list[Event]:
    """Feed every chunk, then end the body; return every event, in order."""
    events, error = drive(decoder, chunks)
    if error is not None:
        raise error
    return events


def feed_until_failure(decoder: Decoder, chunks: Iterable[bytes]) -> tuple[list[Event], Error]:
    """Feed until the decoder raises; return the events delivered before it, and the error."""
    events, error = drive(decoder, chunks)
    if error is None:
        pytest.fail(f"decoded without an error: {events!r}")
    return events, error


def decode_garbage(
    decoder: Decoder,
    chunks: Iterable[bytes],
    *,
    provider: str = "fuzz",
    allowed: type[Error] = ProtocolError,
) -> list[Event]:
    """Decode untrusted bytes; return the events delivered. An `allowed` error (naming the
    decoder's `provider`) is a fine outcome; anything else escapes and fails the test."""
    events, error = drive(decoder, chunks)
    if error is not None:
        if not isinstance(error, allowed):
            raise error
        assert error.provider == provider
    return events
