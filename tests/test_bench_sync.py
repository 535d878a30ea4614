"""benchmarks/bench_sync.py stays runnable and its three paths read the same text
(correctness only: no timing); the sync OpenAI-shaped stream crosses threads per read."""

from __future__ import annotations

from typing import Any

from benchmarks import bench_sync
from benchmarks.bench_collect import PIECE, openai_body

from eventide import Client

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


def test_sync_openai_stream_hands_work_to_the_loop_once_per_network_read() -> None:
    """Every handoff to the client's loop thread goes through its trio token: count them."""
    body = openai_body(300)
    with Client(bench_sync._provider(body)) as client:
        loop = client._loop_thread()
        token = loop._token
        assert token is not None
        live = token
        handoffs = 0

        class Counting:
            def run_sync_soon(self, *args: Any) -> None:
                nonlocal handoffs
                handoffs += 1
                live.run_sync_soon(*args)

        loop._token = Counting()  # type: ignore[assignment]
        try:
            assert bench_sync.sync_openai_text(client) == TEXT
        finally:
            loop._token = token
    pieces = -(-len(body) // PIECE)
    assert 3 < pieces < 300 / 10  # several reads, each of many chunks
    assert handoffs <= pieces + 3  # the start, one per read, the end of the stream, the close
