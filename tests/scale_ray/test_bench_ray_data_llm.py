"""benchmarks/bench_ray_data_llm.py at a tiny size, on the local Ray cluster: eventide's
`RayBatchRunner` and ``ray.data.llm``'s HTTP processor answer the same rows correctly; the
upstream sees a window of requests per eventide batch and one request at a time per
``ray.data.llm`` batch; under 429s with ``Retry-After`` eventide waits as told and loses no
row, while ``ray.data.llm`` backs off on its own clock and fails the job."""

from __future__ import annotations

from typing import Any

import pytest
from benchmarks.bench_ray_data_llm import compare, report, upstream

from eventide.scale import RECORD_COLUMNS

pytestmark = [
    pytest.mark.usefixtures("ray_cluster", "fresh_cluster_after"),  # ray.data.llm fails a job
    # Ray Data warns about its own deprecated settings (use_push_based_shuffle, ...)
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def test_the_comparison_at_a_tiny_size() -> None:
    # one batch: one actor, one call of each side's UDF, so the counts are exact
    shape: dict[str, Any] = {"workers": 2, "concurrency": 4, "latency": 0.2}
    with upstream(0.2) as url:
        runs, throttled = compare(
            url, rows=24, batch_size=24, throttle=6, throttle_rows=8, retry_after=2, **shape
        )

    eventide, plain, paced = runs
    assert [run.problems for run in runs] == [[], [], []]
    assert [run.upstream["requests"] for run in runs] == [24, 24, 24]
    assert eventide.columns == list(RECORD_COLUMNS)
    assert {(row["provider"], row["attempts"]) for row in eventide.records} == {("openai", 1)}
    assert {row["usage"]["total_tokens"] for row in eventide.records} == {5}
    for run in (plain, paced):  # the input's columns, the request and the raw JSON answer
        assert set(run.columns) == {"id", "prompt", "payload", "http_response"}
    # eventide's window of 4; ray.data.llm awaits each request of a batch before the next
    assert eventide.upstream["peak_in_flight"] == 4
    assert plain.upstream["peak_in_flight"] == 1
    assert paced.upstream["peak_in_flight"] == 1

    # eventide: the first 4 requests are throttled, then 2 of their retries, so no row is
    # refused 3 times (max_retries 2): every row comes back, each 429 waited out and counted
    eventide, default, retrying = throttled
    assert eventide.problems == []
    assert eventide.upstream["throttled"] == 6
    assert min(eventide.upstream["retry_gaps"]) >= 2  # Retry-After: 2
    assert sum(row["attempts"] - 1 for row in eventide.records) == 6
    # ray.data.llm: the first row is refused 3 times, the job fails, no row comes back
    assert default.records == []
    assert default.failure is not None
    assert default.failure.startswith("RuntimeError: Reached maximum retries of 0")
    assert retrying.records == []
    assert retrying.failure is not None
    assert retrying.failure.startswith("RuntimeError: Reached maximum retries of 2")
    assert retrying.upstream["retry_gaps"] == pytest.approx([1, 2], abs=0.5)  # its backoff

    text = report(runs, throttled, **shape)
    assert "ideal: 2 workers x 4 / 0.2 s = 40 rows/s" in text
    assert "eventide >= 0.8 x ideal: " in text
    assert "| ray.data.llm, qps 40 | 24 of 24 |" in text
    assert "| ray.data.llm, qps None | 0 of 8 | 1 |" in text
    assert "4 rows retried, 6 extra attempts in their rows" in text
