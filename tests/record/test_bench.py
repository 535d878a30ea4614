"""benchmarks/bench_record.py stays runnable (correctness only: no timing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks import bench_record

if TYPE_CHECKING:
    import pytest


async def test_bench_record_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await bench_record.main([50], 1)
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[0] == "events"
    assert rows[1].split()[0] == "50"
