"""How fast the CSV file source loads and answers windows, against plain-Python and numpy references.

    .venv/bin/python bench/file_source.py [--rows 200000]

Writes a temporary CSV (epoch timestamps, two cohorts, one sample per 10 s), then measures in this run:
* load: vigil's first fetch (parse, validate, index) against the bare minimum, ``csv.reader`` plus two
  ``float()`` calls per row;
* window: a 5-minute fetch from the loaded source against a numpy boolean mask over the same arrays.
Figures are printed as ratios to those references, so they mean the same on any machine.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from vigil.metrics.config import file_options
from vigil.metrics.files import FileSource
from vigil.plan.schema import Metric

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _write(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "value", "cohort"])
        for i in range(rows):
            out.writerow([T0.timestamp() + 10 * (i // 2), round(200 + rng.standard_normal(), 3),
                          "new" if i % 2 else "baseline"])


def _best(fn: object, repeat: int) -> float:
    assert callable(fn)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    metric = Metric(name="p99_latency", label="P99")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p99_latency.csv"
        _write(path, args.rows)

        def reference_load() -> tuple[np.ndarray, np.ndarray]:
            with path.open(newline="") as handle:
                reader = csv.reader(handle)
                next(reader)
                pairs = [(float(r[0]), float(r[1])) for r in reader]
            return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])

        def vigil_load() -> None:
            FileSource("bench", tmp, file_options({})).fetch(metric, "new", T0, T0 + timedelta(minutes=5))

        ref_load, our_load = _best(reference_load, 3), _best(vigil_load, 3)
        ts, values = reference_load()
        source = FileSource("bench", tmp, file_options({}))
        source.fetch(metric, "new", T0, T0 + timedelta(minutes=5))
        windows = [T0 + timedelta(minutes=5 * k) for k in range(0, 200)]

        def reference_window() -> None:
            for w in windows:
                lo, hi = w.timestamp(), (w + timedelta(minutes=5)).timestamp()
                mask = (ts > lo) & (ts <= hi)
                _ = values[mask]

        def vigil_window() -> None:
            for w in windows:
                source.fetch(metric, "new", w, w + timedelta(minutes=5))

        ref_win, our_win = _best(reference_window, 5), _best(vigil_window, 5)
    print(f"rows: {args.rows:,}")
    print(f"load:   vigil {our_load * 1000:8.1f} ms, csv+float reference {ref_load * 1000:8.1f} ms, "
          f"ratio {our_load / ref_load:5.2f}x")
    print(f"window: vigil {our_win / len(windows) * 1e6:8.1f} µs, numpy-mask reference "
          f"{ref_win / len(windows) * 1e6:8.1f} µs, ratio {our_win / ref_win:5.2f}x")


if __name__ == "__main__":
    main()
