"""The benchmarks stay runnable and compare like with like (correctness only: no timing)."""

from __future__ import annotations

from benchmarks import bench_collect


async def test_bench_collect_floor_and_eventide_read_the_same_text() -> None:
    body = bench_collect.openai_body(300)
    async with bench_collect._client(body) as client:
        floor_text = await bench_collect.floor(client)
        ours = await bench_collect.with_eventide(client)
    assert floor_text == ours
    assert ours == "".join(f" tok{i % 100}" for i in range(300))
    assert len(body) > 3 * bench_collect.PIECE  # really delivered in several 16 KiB pieces
