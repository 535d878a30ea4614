"""The stages benchmark stays runnable and compares like with like (no timing here)."""

from __future__ import annotations

from benchmarks import bench_stages
from benchmarks.bench_collect import _client, expected_text, openai_body


async def test_bench_stages_tap_sees_every_event_and_reads_the_same_text() -> None:
    counter = bench_stages.Counter()
    async with _client(openai_body(300)) as client:
        assert await bench_stages.plain(client) == expected_text(300)
        assert await bench_stages.tapped(client) == expected_text(300)
        assert await bench_stages.counted(client, counter) == expected_text(300)
    assert counter.events == 300 + 3  # Metadata, the deltas, Usage, Finish
