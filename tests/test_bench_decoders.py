"""The decoder benchmark compares like with like (correctness only: no timing)."""

from __future__ import annotations

import pytest
from benchmarks import bench_decoders


@pytest.mark.parametrize("api", bench_decoders.APIS)
def test_bench_decoders_floor_and_decoder_read_the_same_text(api: str) -> None:
    body = bench_decoders.body(api, 3000)
    chunks = bench_decoders.pieces(body)
    assert len(chunks) > 3  # really fed in several 16 KiB pieces
    expected = bench_decoders.expected_text(3000)
    assert bench_decoders.floor(api, chunks) == expected
    assert bench_decoders.decoder(api, chunks) == expected


def test_bench_decoders_stops_when_a_reader_reads_another_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(bench_decoders.READERS, "decoder", lambda api, chunks: "")
    with pytest.raises(SystemExit, match="the decoder read another text"):
        bench_decoders.best_times("anthropic", 10, 1)
