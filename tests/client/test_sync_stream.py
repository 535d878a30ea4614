"""The sync Client's stream objects, `Stream` (chunks) and `EventIterator` (events): iterators
with ``with`` and `close()`, as openai-python's ``Stream``; every close is checked by a real
loopback server seeing the client hang up."""

from __future__ import annotations

import gc
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import trio

import eventide
from eventide import ChatCompletionChunk, Client, EventIterator, Metadata, Stream, TextDelta
from eventide._stream import EventStream
from eventide.client._shapes import Chunker
from eventide.client._sync_stream import READ_AHEAD, Reader
from eventide.providers import OpenAIChat
from tests.http_server import (
    DISCONNECT_BUDGET,
    Cut,
    Pause,
    Reply,
    ScriptedServer,
    Stall,
    openai_chunks,
    serve_in_thread,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[2]
WORDS = [f"w{i} " for i in range(20)]
ANSWER = openai_chunks(WORDS, model="m-1")
BURST_THEN_STALL = Reply(body=[b"".join(ANSWER[:12]), Stall()])  # many chunks in one read
SLOW = Reply(body=[p for chunk in ANSWER for p in (Pause(0.05), chunk)])


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve_in_thread(Reply(body=ANSWER)) as s:
        yield s


@pytest.fixture
def client(server: ScriptedServer) -> Iterator[Client]:
    with Client(OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="upstream")) as c:
        yield c


def chunks(client: Client) -> Stream[ChatCompletionChunk]:
    return client.chat.completions.create(messages="hi", stream=True)


def events(client: Client) -> EventIterator:
    return client.stream("hi")


OPENERS: list[Callable[[Client], Stream[Any] | EventIterator]] = [chunks, events]


def text_of(items: list[Any]) -> str:
    return "".join(
        item.text
        if isinstance(item, TextDelta)
        else (item.choices[0].delta.content or "")
        if isinstance(item, ChatCompletionChunk) and item.choices
        else ""
        for item in items
    )


def test_create_stream_is_a_stream_object_that_iterates_and_ends(client: Client) -> None:
    stream = chunks(client)
    assert type(stream) is Stream
    assert repr(stream) == "<Stream open>"
    first = next(stream)
    assert (first.provider, first.model) == ("upstream", "m-1")
    rest = list(stream)
    assert text_of([first, *rest]) == "".join(WORDS)
    assert stream.closed
    with pytest.raises(StopIteration):  # after its end: StopIteration, as a generator
        next(stream)
    stream.close()  # after the end: nothing to do, no error
    with pytest.raises(StopIteration):
        next(stream)


def test_client_stream_is_an_event_iterator_usable_in_with(client: Client) -> None:
    with events(client) as stream:
        assert type(stream) is EventIterator
        items = list(stream)
    assert isinstance(items[0], Metadata)
    assert text_of(items) == "".join(WORDS)
    assert repr(stream) == "<EventIterator ended>"


@pytest.mark.parametrize("open_stream", OPENERS, ids=["create", "stream"])
@pytest.mark.parametrize("how", ["close", "with"])
def test_closing_mid_stream_closes_the_connection_and_reading_on_raises(
    client: Client, server: ScriptedServer, open_stream: Callable[[Client], Any], how: str
) -> None:
    server.reply(SLOW)
    stream = open_stream(client)
    if how == "with":
        with stream:
            next(stream)
            next(stream)
    else:
        next(stream)
        next(stream)
        stream.close()
    closed_at = time.monotonic()
    assert server.wait_disconnect_sync(timeout=2) - closed_at < DISCONNECT_BUDGET
    assert stream.closed
    stream.close()  # idempotent
    for _ in range(2):
        with pytest.raises(eventide.Error, match="closed before its end"):
            next(stream)
    assert server.completed == 0


@pytest.mark.parametrize("open_stream", OPENERS, ids=["create", "stream"])
def test_close_inside_the_loop_drops_what_was_read_ahead(
    client: Client, server: ScriptedServer, open_stream: Callable[[Client], Any]
) -> None:
    """The first network read holds a dozen chunks: none of them comes after close()."""
    server.reply(BURST_THEN_STALL)
    seen = []
    stream = open_stream(client)

    def read_and_close_after_two() -> None:
        for item in stream:
            seen.append(item)
            if len(seen) == 2:
                stream.close()

    with pytest.raises(eventide.Error, match="closed before its end"):
        read_and_close_after_two()
    assert len(seen) == 2
    server.wait_disconnect_sync(timeout=2)


def test_close_from_another_thread_wakes_the_waiting_reader(
    client: Client, server: ScriptedServer
) -> None:
    server.reply(BURST_THEN_STALL)
    stream = chunks(client)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            for _ in stream:
                pass
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    server.wait_for_sync(lambda: len(server.requests) == 1, 5, "the request")
    time.sleep(0.3)  # the reader has caught up and waits on the stall
    stream.close()
    reader.join(5)
    assert not reader.is_alive()
    (error,) = outcome
    assert type(error) is eventide.Error
    assert "closed before its end" in str(error)
    server.wait_disconnect_sync(timeout=2)


@pytest.mark.parametrize("open_stream", OPENERS, ids=["create", "stream"])
def test_a_stream_dropped_unread_closes_its_connection(
    client: Client, server: ScriptedServer, open_stream: Callable[[Client], Any]
) -> None:
    """The request goes out at the call (``create`` returns once the answer has begun:
    the client's retries end at its first content); dropping the stream object hangs up."""
    server.reply(Reply(body=[*ANSWER[:2], Stall()]))
    stream = open_stream(client)
    server.wait_for_sync(lambda: len(server.requests) == 1, 5, "the request")
    del stream
    gc.collect()
    dropped_at = time.monotonic()
    assert server.wait_disconnect_sync(timeout=2) - dropped_at < DISCONNECT_BUDGET


def test_leaving_a_for_loop_over_the_call_closes_the_connection(
    client: Client, server: ScriptedServer
) -> None:
    server.reply(SLOW)
    for event in client.stream("hi"):
        assert isinstance(event, Metadata)
        break
    left_at = time.monotonic()
    assert server.wait_disconnect_sync(timeout=2) - left_at < DISCONNECT_BUDGET


@pytest.mark.parametrize("open_stream", OPENERS, ids=["create", "stream"])
def test_an_error_mid_stream_is_raised_after_what_arrived_then_the_stream_is_over(
    client: Client, server: ScriptedServer, open_stream: Callable[[Client], Any]
) -> None:
    server.reply(Reply(body=[*ANSWER[:3], Cut()]))
    seen: list[Any] = []
    stream = open_stream(client)
    with pytest.raises(eventide.ProtocolError):
        seen.extend(stream)
    assert text_of(seen) == "w0 w1 "
    assert stream.closed
    with pytest.raises(StopIteration):
        next(stream)


def test_a_refused_stream_raises_its_typed_error_at_create(server: ScriptedServer) -> None:
    """As openai-python's ``create(stream=True)``: ``except RateLimitError`` around the call
    catches it."""
    server.reply(
        Reply(
            status=429,
            headers=(("content-type", "application/json"),),
            body=[b'{"error":{"message":"slow down","type":"requests","code":"rate_limit"}}'],
        )
    )
    with Client(OpenAIChat(base_url=f"{server.url}/v1", api_key="k"), max_retries=0) as client:
        with pytest.raises(eventide.RateLimitError):
            chunks(client)
        assert len(server.requests) == 1


class Landed(Exception):
    """Raised in the consumer's thread while it makes chunks, as a signal handler would."""


def ring(signum: int, frame: object) -> NoReturn:
    raise Landed


@pytest.mark.parametrize("where", ["wait", "slices", "end"])
def test_an_exception_raised_while_reading_closes_the_stream_and_reading_on_raises(
    client: Client, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """An interrupt lands anywhere: while the reader waits for a read, makes a read's
    chunks, or the one after the end. The connection is closed before it goes on, and the
    cut stream never looks finished."""
    paced = [p for chunk in ANSWER[:-1] for p in (Pause(0.05), chunk)]  # a read each
    server.reply(Reply(body=ANSWER) if where == "end" else Reply(body=[*paced, Stall()]))
    made = 0
    if where != "wait":
        real = getattr(Chunker, where)

        def landing(self: Chunker, *args: Any) -> Any:
            nonlocal made
            made += 1
            if made == 3 or where == "end":
                raise Landed
            return real(self, *args)

        monkeypatch.setattr(Chunker, where, landing)
    stream = chunks(client)
    seen: list[Any] = []
    previous = signal.signal(signal.SIGALRM, ring)
    try:
        if where == "wait":
            signal.setitimer(signal.ITIMER_REAL, 1.5)  # long after the last chunk
        with pytest.raises(Landed):
            seen.extend(stream)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    raised = time.monotonic()
    if where != "end":
        assert server.wait_disconnect_sync(timeout=2) - raised < DISCONNECT_BUDGET
    assert stream.closed
    for read_on in (next, list):
        with pytest.raises(eventide.Error, match="closed before its end"):
            read_on(stream)
    assert server.completed == (where == "end")


TYPED = """
from typing import assert_type

from eventide import (
    AsyncClient, ChatCompletion, ChatCompletionChunk, Client, Event, EventIterator, Stream,
)
from eventide.client import ChunkStream


def sync(client: Client, flag: bool) -> None:
    either = client.chat.completions.create(messages="hi", stream=flag)
    assert_type(either, ChatCompletion | Stream[ChatCompletionChunk])
    if isinstance(either, Stream):
        with either as stream:
            for chunk in stream:
                assert_type(chunk, ChatCompletionChunk)
    assert_type(client.chat.completions.create(messages="hi"), ChatCompletion)
    stream = client.chat.completions.create(messages="hi", stream=True)
    assert_type(stream, Stream[ChatCompletionChunk])
    assert_type(next(stream), ChatCompletionChunk)
    stream.close()
    with client.stream("hi") as events:
        assert_type(events, EventIterator)
        for event in events:
            assert_type(event, Event)


async def asynchronous(client: AsyncClient, flag: bool) -> None:
    either = client.chat.completions.create(messages="hi", stream=flag)
    if isinstance(either, ChunkStream):
        async for chunk in either:
            assert_type(chunk, ChatCompletionChunk)
    else:
        assert_type(await either, ChatCompletion)
"""


def test_create_with_a_bool_variable_and_the_streams_type_check_strictly(tmp_path: Path) -> None:
    program = tmp_path / "user_program.py"
    program.write_text(textwrap.dedent(TYPED))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(program)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("form", ["create", "with_raw_response"])
@pytest.mark.parametrize("include_usage", [False, True])
def test_the_sync_chunks_are_the_async_streams_and_made_in_the_readers_thread(
    client: Client,
    server: ScriptedServer,
    include_usage: bool,
    form: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chunks (usage last, when asked for) are the async stream's, dump for dump, and
    they are built in the thread that iterates, not on the client's loop thread: from
    ``create(stream=True)`` and from ``with_raw_response.create(stream=True).parse()``."""
    options: dict[str, Any] = {"stream_options": {"include_usage": include_usage}}

    async def read_async() -> list[dict[str, Any]]:
        provider = OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="upstream")
        async with provider, eventide.AsyncClient(provider) as async_client:
            stream = async_client.chat.completions.create(messages="hi", stream=True, **options)
            async with stream:
                return [chunk.model_dump() async for chunk in stream]

    server.reply(Reply(body=ANSWER))
    expected = trio.run(read_async)
    builders: set[int] = set()
    batch = Chunker.batch

    def recorded(chunker: Chunker, events: list[eventide.Event]) -> list[ChatCompletionChunk]:
        builders.add(threading.get_ident())
        return batch(chunker, events)

    monkeypatch.setattr(Chunker, "batch", recorded)
    server.reply(Reply(body=ANSWER))
    if form == "create":
        with client.chat.completions.create(messages="hi", stream=True, **options) as stream:
            got = [chunk.model_dump() for chunk in stream]
    else:
        raw = client.chat.completions.with_raw_response.create(
            messages="hi", stream=True, **options
        )
        got = [chunk.model_dump() for chunk in raw.parse()]
    assert got == expected
    assert (got[-1]["choices"] == []) is include_usage
    assert builders == {threading.get_ident()}


def test_a_source_that_never_checkpoints_is_read_ahead_boundedly_and_closes(
    client: Client,
) -> None:
    """The reading task takes its credits without a checkpoint of its own: a source that
    never yields to the loop (an in-memory one) is still read at most `READ_AHEAD` lists
    ahead, and close() still stops it and closes it."""
    reads: list[int] = []
    closed = threading.Event()

    async def receive() -> list[int]:
        reads.append(len(reads))
        return [len(reads)]

    async def aclose() -> None:
        closed.set()

    stream: Stream[int] = Stream(Reader(client._loop_thread(), receive, aclose))
    assert next(stream) == 1
    stream.close()
    assert closed.is_set()
    assert len(reads) <= READ_AHEAD + READ_AHEAD // 2
    with pytest.raises(eventide.Error, match="closed before its end"):
        next(stream)


def _lists_of(size: int, count: int, reads: list[int]) -> Callable[[], Any]:
    """A source that never checkpoints: `count` lists of `size` items, then its end."""

    async def receive() -> list[int]:
        if len(reads) == count:
            raise StopAsyncIteration
        reads.append(len(reads))
        return list(range(size))

    return receive


async def _nothing() -> None:
    pass


@pytest.mark.parametrize(("size", "lists"), [(100, 10), (0, 1000)])
def test_a_reader_by_items_reads_ahead_as_many_items_as_it_may(
    client: Client, size: int, lists: int
) -> None:
    """With ``by_items``, `ahead` counts the items of the lists read ahead (an empty list
    counts one), not the lists: 1,000 items are ten lists of 100."""
    reads: list[int] = []
    receive = _lists_of(size, 10_000, reads)
    loop = client._loop_thread()
    with Stream(Reader(loop, receive, _nothing, ahead=1000, by_items=True)):
        for _ in range(2):  # the task ran, and has read what it may: it waits
            loop.call(_nothing)
        assert len(reads) == lists


def test_a_reader_by_items_gets_its_room_back_as_its_items_are_read(client: Client) -> None:
    """Room comes back in groups of half `ahead` or more, as the consumer reads: after five
    lists of 100 read (500 items, half of 1,000), five more are read ahead, and the next
    list read gives none back yet; every item comes through."""
    reads: list[int] = []
    loop = client._loop_thread()
    reader: Reader[int] = Reader(
        loop, _lists_of(100, 100, reads), _nothing, ahead=1000, by_items=True
    )
    with Stream(reader) as stream:
        for _ in range(6):
            assert len(next(reader)) == 100
        for _ in range(2):
            loop.call(_nothing)
        assert len(reads) == 15
        assert sum(1 for _ in stream) == 9_400


@pytest.mark.parametrize("form", ["create", "with_raw_response"])
def test_the_usage_chunk_survives_a_consumer_that_keeps_up(
    client: Client, server: ScriptedServer, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The consumer makes the usage chunk from its list before the loop learns that the
    events have ended (held back here) and closes them: the chunk still comes last."""
    receive_batch = EventStream.receive_batch

    async def late_end(stream: EventStream) -> list[eventide.Event]:
        try:
            return await receive_batch(stream)
        except StopAsyncIteration:
            await trio.sleep(0.2)  # the consumer has made the last list's chunks by now
            raise

    monkeypatch.setattr(EventStream, "receive_batch", late_end)
    server.reply(Reply(body=ANSWER))
    options: dict[str, Any] = {"stream_options": {"include_usage": True}}
    if form == "create":
        stream = client.chat.completions.create(messages="hi", stream=True, **options)
    else:
        raw = client.chat.completions.with_raw_response.create(
            messages="hi", stream=True, **options
        )
        stream = raw.parse()
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
