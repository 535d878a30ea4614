"""benchmarks/bench_sync.py stays runnable and its three paths read the same text
(correctness only: no timing); the sync OpenAI-shaped stream crosses threads per read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmarks import bench_sync
from benchmarks.bench_collect import PIECE, openai_body

from eventide import Client

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

TEXT = "".join(f" tok{i % 100}" for i in range(300))


def test_bench_sync_every_path_reads_the_same_text() -> None:
    body = openai_body(300)
    assert len(body) > 3 * PIECE  # really delivered in several 16 KiB pieces
    texts = [
        bench_sync.async_best(body, bench_sync.async_events_text, 1)[1],
        bench_sync.sync_best(body, bench_sync.sync_stream_text, 1)[1],
        bench_sync.async_best(body, bench_sync.async_openai_text, 1)[1],
        bench_sync.sync_best(body, bench_sync.sync_openai_text, 1)[1],
    ]
    assert texts == [TEXT] * 4


def test_sync_openai_stream_crosses_threads_once_per_network_read() -> None:
    body = openai_body(300)
    with Client(bench_sync._provider(body)) as client:
        crossings = 0
        call = client._call

        def counted(function: Callable[[], Awaitable[Any]]) -> Any:
            nonlocal crossings
            crossings += 1
            return call(function)

        client._call = counted  # type: ignore[method-assign]
        assert bench_sync.sync_openai_text(client) == TEXT
    pieces = -(-len(body) // PIECE)
    assert crossings <= pieces + 2  # one per read, the end of the stream, and the close
