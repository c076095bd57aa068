"""Writes the replay example's recorded series: ``python src/vigil/examples/replay/generate.py``.

A canary of the search service recorded at one sample a minute per cohort, from an hour before
T+0 to T+25h. From T+1h30m the canary's P99 latency climbs by 60 % (the incident the example replays);
everything else matches the stable cohort. Throughput is each cohort's own, in proportion to the share of
the traffic it serves under the plan's canary rollout (5 %, 25 % at T+30m, 50 % at T+2h, 100 % at T+4h),
as a per-cohort Prometheus query returns it. The numbers are seeded, so regenerating gives the same files.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

T0 = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
STEP = timedelta(minutes=1)
REGRESSION_AT = timedelta(hours=1, minutes=30)
# metric: (mean, noise sd)
PROFILES = {"error_rate": (0.03, 0.004), "p99_latency": (180.0, 6.0), "throughput": (900.0, 20.0)}
ROLLOUT = [(timedelta(0), 0.05), (timedelta(minutes=30), 0.25), (timedelta(hours=2), 0.5), (timedelta(hours=4), 1.0)]


def canary_share(since_start: timedelta) -> float:
    """The canary's share of the traffic ``since_start`` after T+0 (none before it)."""
    share = 0.0
    for at, percent in ROLLOUT:
        if since_start >= at:
            share = percent
    return share


def series(metric: str, cohort: str, rng: np.random.Generator) -> list[tuple[str, float]]:
    mean, sd = PROFILES[metric]
    rows = []
    moment = T0 - timedelta(hours=1)
    while moment <= T0 + timedelta(hours=25):
        value = mean + sd * rng.standard_normal()
        if metric == "p99_latency" and cohort == "canary" and moment - T0 >= REGRESSION_AT:
            value *= 1.6
        if metric == "throughput":
            share = canary_share(moment - T0)
            value *= share if cohort == "canary" else 1.0 - share
        rows.append((moment.isoformat().replace("+00:00", "Z"), round(max(value, 0.0), 4)))
        moment += STEP
    return rows


def main(out: Path = Path(__file__).parent / "data") -> None:
    out.mkdir(parents=True, exist_ok=True)
    for index, metric in enumerate(PROFILES):
        rng = np.random.default_rng([2026, index])
        with (out / f"{metric}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["timestamp", "value", "cohort"])
            for cohort in ("stable", "canary"):
                writer.writerows((t, v, cohort) for t, v in series(metric, cohort, rng))


if __name__ == "__main__":
    main()
