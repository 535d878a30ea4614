"""Content codings (RFC 9110 section 8.4): a response's ``Content-Encoding`` undone as its
body streams, one network read at a time.

`accept_encoding()` is what a transport asks for: ``gzip`` and ``deflate`` (zlib, always),
``br`` when brotli or brotlicffi is installed, ``zstd`` when zstandard (or Python 3.14's
``compression.zstd``) is. `ContentDecoder` undoes whatever a response says it used.

The rules, as urllib3 and httpx apply them: codings listed in one header (``gzip, br``) are
undone last first; ``gzip`` and ``x-gzip`` are one coding, and a gzip body may hold several
members in a row (bytes after a member that do not begin one, such as zeros, end it unread),
a zstd body several frames; ``deflate`` means zlib-wrapped deflate (RFC 9110 section 8.4.1.2)
but some servers send it raw, so the first bytes decide; ``identity`` is no coding. Where
httpx passes a coding it does not know through untouched (to be misread as text), this module
raises a `ProtocolError` that names it, and so for a corrupt compressed body (after the
output decoded before the fault) or one whose compressed data ends before the HTTP body does.
"""

from __future__ import annotations

import functools
import importlib
import zlib
from typing import TYPE_CHECKING, Any, Final, Protocol, final

from .._errors import ProtocolError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

__all__ = ["ContentDecoder", "DecodedChunks", "accept_encoding", "decoded"]

_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_GZIP_MAGIC: Final = b"\x1f\x8b\x08"  # ID1, ID2 and CM (deflate, the only one): RFC 1952 2.3


class _Coding(Protocol):
    """One coding's incremental decompressor."""

    def decompress(self, data: bytes) -> bytes: ...

    @property
    def finished(self) -> bool: ...


class _Decompressor(Protocol):
    """A decompressor of one self-delimited part (zlib's, zstandard's, ``compression.zstd``'s)."""

    def decompress(self, data: bytes) -> bytes: ...

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...


class _Partial(Exception):
    """Corrupt data after some that decoded: `output` is what came before the fault (the
    fault is the cause)."""

    def __init__(self, output: bytes) -> None:
        super().__init__()
        self.output = output


@final
class _Parts:
    """A body of self-delimited parts in a row, each undone by a decompressor of its own:
    gzip's members (RFC 1952 section 2.2) and zstd's frames (RFC 8878 section 3.1: "one or
    more frames"). A decompressor stops at the end of its part; what follows goes to a new
    one, as httpx and urllib3 do.

    Args:
        make: A new decompressor, for each part.
        magic: What a part begins with, when bytes that do not (after a complete part) end
            the body unread: trailing bytes after gzip's last member (zeros, garbage), which
            urllib3 and the gzip tool skip. None: whatever follows must be a part.
    """

    __slots__ = ("_head", "_magic", "_make", "_part", "_parts", "_skipping", "_started")

    def __init__(self, make: Callable[[], _Decompressor], *, magic: bytes | None = None) -> None:
        self._make = make
        self._magic = magic
        self._part = make()
        self._parts = 0  # parts complete
        self._started = False  # the current part has begun
        self._head = b""  # the first bytes of a part after the first, held until magic is known
        self._skipping = False  # what followed the last part was not one: it is ignored

    def decompress(self, data: bytes) -> bytes:
        """Decode `data`.

        Raises:
            _Partial: Corrupt data after some that decoded in this call.
        """
        out = bytearray()
        try:
            while data and not self._skipping:
                if self._parts and not self._started and self._magic is not None:
                    data = self._head + data
                    magic = self._magic
                    if not data.startswith(magic[: len(data)]):
                        self._skipping, self._head = True, b""
                        break
                    if len(data) < len(magic):
                        self._head = data
                        break
                    self._head = b""
                out += self._part.decompress(data)
                if not self._part.eof:
                    self._started = True
                    break
                data = self._part.unused_data
                self._part = self._make()
                self._parts += 1
                self._started = False
        except Exception as exc:  # the coding's own error: corrupt data
            if out:
                raise _Partial(bytes(out)) from exc
            raise
        return bytes(out)

    @property
    def finished(self) -> bool:
        # held bytes that could still begin a part (``\x1f``, ``\x1f\x8b``) began none
        return self._parts > 0 and not self._started


@final
class _Deflate:
    """deflate: zlib-wrapped, or raw when the first bytes are not a zlib header."""

    __slots__ = ("_head", "_zlib")

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj()
        self._head: bytes | None = b""  # bytes kept until the format is known

    def decompress(self, data: bytes) -> bytes:
        if self._head is None:
            return self._zlib.decompress(data)
        head = self._head + data
        try:
            out = self._zlib.decompress(data)
        except zlib.error:
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._head = None
            return self._zlib.decompress(head)
        self._head = None if out or self._zlib.eof else head
        return out

    @property
    def finished(self) -> bool:
        return self._zlib.eof


@final
class _Adapted:
    """A third-party decompressor (brotli, zstandard) behind `_Coding`."""

    __slots__ = ("_decompress", "_finished")

    def __init__(self, decompress: Callable[[bytes], bytes], finished: Callable[[], bool]) -> None:
        self._decompress = decompress
        self._finished = finished

    def decompress(self, data: bytes) -> bytes:
        return self._decompress(data)

    @property
    def finished(self) -> bool:
        return self._finished()


def _gzip() -> _Coding:
    return _Parts(functools.partial(zlib.decompressobj, _GZIP_WBITS), magic=_GZIP_MAGIC)


def _brotli() -> Callable[[], _Coding] | None:
    for module_name, method in (("brotli", "process"), ("brotlicffi", "decompress")):
        try:
            module: Any = importlib.import_module(module_name)
        except ImportError:
            continue

        def make(module: Any = module, method: str = method) -> _Coding:
            decompressor = module.Decompressor()
            return _Adapted(getattr(decompressor, method), decompressor.is_finished)

        return make
    return None


def _zstd() -> Callable[[], _Coding] | None:
    make: Callable[[], _Decompressor]
    try:
        stdlib: Any = importlib.import_module("compression.zstd")
    except ImportError:
        try:
            zstandard: Any = importlib.import_module("zstandard")
        except ImportError:
            return None

        def make() -> _Decompressor:
            decompressor: _Decompressor = zstandard.ZstdDecompressor().decompressobj()
            return decompressor

    else:
        make = stdlib.ZstdDecompressor
    return functools.partial(_Parts, make)


@functools.cache
def _codings() -> dict[str, Callable[[], _Coding]]:
    """The codings this process can undo, by name (found on first use: no import-time work)."""
    codings: dict[str, Callable[[], _Coding]] = {"gzip": _gzip, "deflate": _Deflate}
    for name, find in (("br", _brotli), ("zstd", _zstd)):
        make = find()
        if make is not None:
            codings[name] = make
    return codings


def accept_encoding() -> str:
    """The ``Accept-Encoding`` value for what can be decoded here, e.g. ``"gzip, deflate"``."""
    return ", ".join(_codings())


@final
class ContentDecoder:
    """Undo a response body's content codings, chunk by chunk.

    Args:
        names: The codings in the order the header lists them (as applied by the server).
    """

    __slots__ = ("_codings", "_fault", "_fed")

    def __init__(self, names: list[str]) -> None:
        known = _codings()
        self._codings: list[tuple[str, _Coding | None]] = [
            (name, known[name]() if name in known else None) for name in reversed(names)
        ]
        self._fed = False
        self._fault: ProtocolError | None = None  # raised after the output decoded before it

    @classmethod
    def for_headers(cls, headers: Mapping[str, str]) -> ContentDecoder | None:
        """The decoder for a response's headers (lower-case names); None without a coding."""
        names = []
        for token in headers.get("content-encoding", "").split(","):
            name = token.strip().lower()
            name = "gzip" if name == "x-gzip" else name
            if name and name != "identity":
                names.append(name)
        return cls(names) if names else None

    def decode(self, data: bytes) -> bytes:
        """Body bytes as received in, decoded bytes out (possibly none yet).

        Output decoded before corrupt data is returned first; the next call (or `end`)
        raises.

        Raises:
            ProtocolError: A coding that cannot be decoded here, or corrupt data.
        """
        if self._fault is not None:
            raise self._fault
        self._fed = self._fed or bool(data)
        for name, coding in self._codings:
            if coding is None:
                raise ProtocolError(
                    f"the response body is {name}-encoded, which eventide cannot decode "
                    f"(it asks for {accept_encoding()})"
                )
            if not data:
                break
            try:
                data = coding.decompress(data)
            except _Partial as partial:
                data = partial.output
                self._fault = self._fault or _corrupt(name, partial.__cause__)
            except Exception as exc:  # zlib.error, brotli.error, ZstdError: all corrupt data
                raise _corrupt(name, exc) from exc
        return data

    @property
    def failed(self) -> bool:
        """Whether corrupt data was met after output that `decode` returned (the next
        `decode` or `end` raises it)."""
        return self._fault is not None

    def end(self) -> None:
        """The body ended: its compressed data must have ended too (an empty body is fine).

        Raises:
            ProtocolError: The compressed data was cut short, or its coding is unknown.
        """
        if self._fault is not None:
            raise self._fault
        if not self._fed:
            return
        for name, coding in self._codings:
            if coding is None:
                self.decode(b"")  # raises the unknown coding's error
            elif not coding.finished:
                raise ProtocolError(
                    f"the {name}-encoded response body ended in the middle of its compressed data"
                )


def _corrupt(name: str, exc: BaseException | None) -> ProtocolError:
    error = ProtocolError(f"corrupt {name}-encoded response body: {exc}")
    error.__cause__ = exc
    return error


@final
class DecodedChunks:
    """A body's chunks with its content codings undone: an async iterator over the raw ones.

    Args:
        source: The body's bytes as the server sent them.
        decoder: The response's `ContentDecoder`.
    """

    __slots__ = ("_decoder", "_source", "ended")

    def __init__(self, source: AsyncIterator[bytes], decoder: ContentDecoder) -> None:
        self._source = source
        self._decoder = decoder
        self.ended = False
        """Whether the body and its compressed data have ended, intact."""

    def __aiter__(self) -> DecodedChunks:
        return self

    async def __anext__(self) -> bytes:
        decoder = self._decoder
        while True:
            if decoder.failed:
                decoder.end()  # raises the fault held after the data before it
            try:
                data = await self._source.__anext__()
            except StopAsyncIteration:
                if not self.ended:
                    decoder.end()
                    self.ended = True
                raise
            data = decoder.decode(data)
            if data:
                return data


def decoded(
    source: AsyncIterator[bytes], headers: Mapping[str, str]
) -> AsyncIterator[bytes] | DecodedChunks:
    """`source` with the codings of a response's ``Content-Encoding`` undone (itself if none)."""
    decoder = ContentDecoder.for_headers(headers)
    return source if decoder is None else DecodedChunks(source, decoder)
