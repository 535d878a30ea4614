"""AsyncClient.batch: bounded concurrency, per-item provenance, lazy input, clean exits."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Self, final

import pytest
import trio

import eventide
from eventide import AsyncClient, BatchResult
from eventide._request import as_request
from eventide.providers import OpenAIChat
from tests.http_server import Pause, Reply, ScriptedServer, Stall, openai_chunks, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from eventide import EventStream, Request, Timeouts
    from eventide.client import BatchItem
    from eventide.providers import Provider

BENCH_SERVER = Path(__file__).parents[2] / "benchmarks" / "bench_concurrency.py"


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with serve(Reply(body=openai_chunks(["batched"], model="m-served"))) as s:
        yield s


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[AsyncClient]:
    provider = OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="upstream")
    async with provider, AsyncClient(provider, max_retries=0) as made:
        yield made


@pytest.fixture
def fast_server() -> Iterator[str]:
    """The benchmark's asyncio server in its own process: fast enough for 10,000 requests."""
    process = subprocess.Popen(
        [sys.executable, str(BENCH_SERVER), "--server", "--deltas", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}/v1"
    finally:
        process.terminate()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


async def test_batch_of_10000_at_concurrency_500_keeps_every_results_provenance(
    fast_server: str,
) -> None:
    items = ({"id": f"req-{i}", "prompt": f"question {i}"} for i in range(10_000))
    seen: set[str] = set()
    async with OpenAIChat(base_url=fast_server, api_key="k", name="bench") as provider:
        client = AsyncClient(provider, model="bench-1")
        async with client.batch(items, max_concurrency=500) as results:
            async for result in results:
                assert result.ok, result.error
                assert (result.provider, result.model) == ("bench", "bench-1")
                assert result.completion is not None
                assert result.completion.text == "t0 t1 t2 "
                seen.add(result.id)
    assert seen == {f"req-{i}" for i in range(10_000)}


async def test_batch_ordered_yields_in_input_order(
    client: AsyncClient, server: ScriptedServer
) -> None:
    # later items answer sooner: unordered they would come back reversed
    delays = iter([0.05, 0.04, 0.03, 0.02, 0.01])
    server.reply(lambda request: Reply(body=[Pause(next(delays)), *openai_chunks(["x"])]))
    async with client.batch(["a", "b", "c", "d", "e"], max_concurrency=5, ordered=True) as results:
        order = [result.index async for result in results]
    assert order == [0, 1, 2, 3, 4]


async def test_batch_unordered_yields_as_they_finish(
    client: AsyncClient, server: ScriptedServer
) -> None:
    delays = iter([0.06, 0.001, 0.03])
    server.reply(lambda request: Reply(body=[Pause(next(delays)), *openai_chunks(["x"])]))
    async with client.batch(["slow", "fast", "middle"], max_concurrency=3) as results:
        order = [result.id async for result in results]
    assert order == [1, 2, 0]


async def test_batch_reports_failures_and_invalid_items_as_results(
    client: AsyncClient, server: ScriptedServer
) -> None:
    server.queue(Reply(status=429, headers=(("content-type", "application/json"),), body=[b"{}"]))
    items: list[BatchItem] = [
        "first",
        {"id": "bad", "temperature": 1},
        {"id": "worse", "prompt": "x", "n": 3},
    ]
    async with client.batch(items, max_concurrency=1, ordered=True) as results:
        collected = [result async for result in results]
    first, bad, worse = collected
    assert isinstance(first.error, eventide.RateLimitError)
    assert first.provider == "upstream"
    assert isinstance(bad.error, eventide.BadRequestError)
    assert "needs messages or prompt" in str(bad.error)
    assert bad.id == "bad"
    assert isinstance(worse.error, eventide.BadRequestError)
    assert "n must be 1" in str(worse.error)


async def test_batch_reads_its_input_lazily(client: AsyncClient) -> None:
    """An endless input is fine: the batch takes one more item only when a slot frees."""
    taken = 0

    def endless() -> Iterator[str]:
        nonlocal taken
        for i in itertools.count():
            taken += 1
            yield f"prompt {i}"

    results: list[BatchResult] = []
    async with client.batch(endless(), max_concurrency=4) as running:
        async for result in running:
            results.append(result)
            if len(results) == 20:
                break
    assert len(results) == 20
    assert taken <= 20 + 4 + 1


async def test_batch_accepts_async_iterables(client: AsyncClient) -> None:
    async def items() -> AsyncIterator[dict[str, str]]:
        for i in range(3):
            yield {"id": str(i), "prompt": "hi"}

    async with client.batch(items(), ordered=True) as results:
        ids = [result.id async for result in results]
    assert ids == ["0", "1", "2"]


async def test_batch_leaving_early_closes_every_open_stream(
    client: AsyncClient, server: ScriptedServer
) -> None:
    server.reply(Reply(body=[*openai_chunks(["x"])[:2], Stall()]))
    quick = Reply(body=openai_chunks(["done"]))
    server.queue(quick)
    async with client.batch(["a", "b", "c", "d"], max_concurrency=4) as results:
        async for result in results:
            assert result.completion is not None
            break
    await server.wait_for(lambda: len(server.disconnects) == 3, 5, "every open stream closed")
    assert server.completed == 1  # the finished one; its connection may wait in the pool


async def test_batch_cancelled_closes_every_open_stream(
    client: AsyncClient, server: ScriptedServer
) -> None:
    server.reply(Reply(body=[*openai_chunks(["x"])[:2], Stall()]))
    with trio.move_on_after(0.3):
        async with client.batch(["a", "b", "c"], max_concurrency=3) as results:
            async for _ in results:
                pass
    await server.wait_for(lambda: server.open_connections == 0, 5, "every stream closed")


async def test_batch_must_be_used_in_async_with(client: AsyncClient) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await client.batch(["a"]).__anext__()
    with pytest.raises(ValueError, match="max_concurrency"):
        client.batch(["a"], max_concurrency=0)


async def test_batch_ready_hands_over_what_finished_when_the_loop_is_cut_short(
    client: AsyncClient, server: ScriptedServer
) -> None:
    """Three answers arrive at once; the loop stops after reading one: two are ready."""
    async with client.batch(["a", "b", "c"], max_concurrency=3, ordered=True) as results:
        first = await results.__anext__()
        await server.wait_for(lambda: server.completed == 3, 5, "every answer sent")
        await trio.testing.wait_all_tasks_blocked()  # the client has read them all
        ready = results.ready()
    assert first.index == 0
    assert [result.index for result in ready] == [1, 2]
    assert all(result.ok for result in ready)


@final
class _FailsToBuild:
    """A provider whose `stream()` cannot build the body of a prompt starting with
    "unbuildable" (as a body builder fails before any I/O); the server's for the rest."""

    def __init__(self, inner: Provider) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        return self._inner.name

    def stream(
        self, request: Request | str, *, model: str | None = None, timeouts: Timeouts | None = None
    ) -> EventStream:
        if as_request(request).messages[-1].text.startswith("unbuildable"):
            raise UnicodeEncodeError("utf-8", "x", 0, 1, "cannot encode")
        return self._inner.stream(request, model=model, timeouts=timeouts)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def test_batch_items_that_cannot_be_built_are_error_results_and_the_rest_runs(
    server: ScriptedServer,
) -> None:
    provider = _FailsToBuild(OpenAIChat(base_url=f"{server.url}/v1", api_key="k", name="up"))
    items: list[BatchItem] = [
        "lone \ud800 surrogate",
        {"id": "nan", "prompt": "x", "temperature": math.nan},
        {"id": "neg", "prompt": "x", "max_tokens": -1},
        {"id": "tool", "prompt": "x", "tools": [{"name": "no spaces allowed"}]},
        "unbuildable by the provider",
        "fine",
    ]
    async with (
        provider,
        AsyncClient(provider) as client,
        client.batch(items, max_concurrency=2, ordered=True) as results,
    ):
        collected = [result async for result in results]

    assert [result.id for result in collected] == [0, "nan", "neg", "tool", 4, 5]
    *failed, fine = collected
    assert fine.completion is not None
    assert fine.completion.text == "batched"
    for result in failed:
        assert isinstance(result.error, eventide.BadRequestError)
        assert str(result.error).startswith("invalid request: ")
        assert result.provider is None
    assert "content is not valid Unicode: a lone surrogate U+D800" in str(failed[0].error)
    assert "temperature must be a finite number, not nan" in str(failed[1].error)
    assert "max_tokens must be at least 0, not -1" in str(failed[2].error)
    assert "tools[0]: name must be 1 to 64 letters" in str(failed[3].error)
    assert "cannot encode" in str(failed[4].error)
    assert len(server.requests) == 1


class Stop(Exception):
    """The caller's own exception."""


async def test_an_exception_raised_in_the_batch_block_comes_out_unwrapped(
    client: AsyncClient, server: ScriptedServer
) -> None:
    """Not an ExceptionGroup: ``except Stop`` catches it, and the open streams are closed."""
    server.reply(Reply(body=[*openai_chunks(["x"])[:2], Stall()]))
    server.queue(Reply(body=openai_chunks(["done"])))
    cause = KeyError("why")

    async def stop_at_the_first_result() -> None:
        async with client.batch(["a", "b", "c"], max_concurrency=3) as results:
            async for _ in results:
                raise Stop("mine") from cause

    with pytest.raises(Stop) as info:
        await stop_at_the_first_result()
    assert type(info.value) is Stop
    assert info.value.__cause__ is cause  # the caller's chaining is kept
    assert not isinstance(info.value.__context__, BaseExceptionGroup)
    await server.wait_for(lambda: len(server.disconnects) == 2, 5, "the open streams closed")


async def test_an_exception_raised_by_the_items_comes_out_unwrapped(client: AsyncClient) -> None:
    def items() -> Iterator[str]:
        yield "a"
        raise Stop("no more items")

    async def read_all() -> None:
        async with client.batch(items()) as results:
            async for _ in results:
                pass

    with pytest.raises(Stop, match="no more items"):
        await read_all()


async def test_batch_result_has_what_the_batch_docs_show(
    client: AsyncClient, server: ScriptedServer
) -> None:
    """``print(result.id, result.provider, result.text or result.error)``, plus usage."""
    server.queue(Reply(status=429, headers=(("content-type", "application/json"),), body=[b"{}"]))
    async with client.batch(["fails", "works"], max_concurrency=1, ordered=True) as results:
        failed, ok = [result async for result in results]
    assert (ok.id, ok.provider, ok.model, ok.text or ok.error) == (
        1,
        "upstream",
        "m-served",
        "batched",
    )
    assert ok.usage is not None
    assert ok.usage.input_tokens == 12
    assert (failed.text, failed.usage, failed.ok) == (None, None, False)
    assert (failed.text or failed.error) is failed.error
