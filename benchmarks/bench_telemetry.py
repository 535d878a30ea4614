"""What telemetry adds per event to `eventide.collect()`, in one run.

Each setting runs in a fresh interpreter, reading the same OpenAI Chat Completions body
(bench_collect's: N content chunks in 16 KiB network pieces) with ``collect()``:

- missing: ``opentelemetry`` cannot be imported (as if not installed);
- off: installed, turned off with ``EVENTIDE_OTEL=off``;
- unconfigured: installed, no SDK: the API's no-op global providers;
- sampled-out: the SDK's TracerProvider with ``ParentBased(ALWAYS_OFF)`` (spans are made
  but not recorded), no MeterProvider;
- sampled-out+metrics: the same, plus the SDK's MeterProvider with a metric reader (metrics
  are not sampled: each request records its histograms);
- recording: ``ALWAYS_ON`` spans to an exporter that drops them, and the MeterProvider.

Within each interpreter the setting is timed in turn with ``EVENTIDE_OTEL=off`` (setting,
off, setting, ...; best CPU time of each), so the ratio setting / off is free of the noise
between processes. The ``missing`` row is compared with the ``off`` row across interpreters.

Run:  python benchmarks/bench_telemetry.py [--sizes 1000,20000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SETTINGS = (
    "missing",
    "off",
    "unconfigured",
    "sampled-out",
    "sampled-out+metrics",
    "recording",
)


def _block_opentelemetry() -> None:
    class Missing:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name.split(".")[0] == "opentelemetry":
                raise ImportError(name)

    sys.meta_path.insert(0, Missing())


def _configure(setting: str) -> None:
    """Install the SDK the setting names as the global providers."""
    if setting in ("missing", "off", "unconfigured"):
        return
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

    class Dropping(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    sampler = ALWAYS_ON if setting == "recording" else ParentBased(ALWAYS_OFF)
    tracer_provider = TracerProvider(sampler=sampler)
    tracer_provider.add_span_processor(SimpleSpanProcessor(Dropping()))
    trace.set_tracer_provider(tracer_provider)
    if setting != "sampled-out":
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def _child(setting: str, sizes: list[int], repeat: int) -> None:
    """Time one setting against ``EVENTIDE_OTEL=off`` in this interpreter; print JSON."""
    if setting == "missing":
        _block_opentelemetry()
    on = "off" if setting == "off" else "on"
    os.environ["EVENTIDE_OTEL"] = on
    _configure(setting)
    import trio

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import bench_collect

    async def run() -> dict[str, Any]:
        rows: dict[str, Any] = {}
        for n in sizes:
            body = bench_collect.openai_body(n)
            best = {"setting": float("inf"), "off": float("inf")}
            async with bench_collect._client(body) as client:
                await bench_collect.with_eventide(client)  # warm up (and import)
                for _ in range(repeat):
                    for which in ("setting", "off"):
                        os.environ["EVENTIDE_OTEL"] = "off" if which == "off" else on
                        start = time.process_time()
                        text = await bench_collect.with_eventide(client)
                        best[which] = min(best[which], time.process_time() - start)
                        if text != bench_collect.expected_text(n):
                            raise SystemExit(f"wrong text at n={n}")
            rows[str(n)] = {k: v / n * 1e6 for k, v in best.items()}
        imported = any(m.startswith("opentelemetry") for m in sys.modules)
        return {"rows": rows, "imported": imported}

    print(json.dumps(trio.run(run)))


def main(sizes: list[int], repeat: int) -> None:
    results: dict[str, Any] = {}
    for setting in SETTINGS:
        sized = ["--sizes", ",".join(map(str, sizes)), "--repeat", str(repeat)]
        done = subprocess.run(
            [sys.executable, __file__, "--child", setting, *sized],
            capture_output=True,
            text=True,
            check=True,
        )
        results[setting] = json.loads(done.stdout)
    print(
        f"{'setting':<20} {'events':>7} {'µs/ev':>7} {'off µs/ev':>10} {'ratio':>6}  otel imported"
    )
    for setting in SETTINGS:
        found = results[setting]
        for n in sizes:
            row = found["rows"][str(n)]
            # missing: against the off interpreter's off timing
            against = results["off"] if setting == "missing" else found
            off = against["rows"][str(n)]["off"]
            ratio = row["setting"] / off
            print(
                f"{setting:<20} {n:>7} {row['setting']:>7.3f} {off:>10.3f} {ratio:>6.3f}"
                f"  {'yes' if found['imported'] else 'no'}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", choices=SETTINGS)
    args = parser.parse_args()
    chosen = [int(size) for size in args.sizes.split(",")]
    if args.child:
        _child(args.child, chosen, args.repeat)
    else:
        main(chosen, args.repeat)
