"""Count and share metrics as events over an exposure: what a window's samples count for.

A per-time rate times the sampling step is the number of events in that step (whatever window the rate
was averaged over); a share times its exposure (requests) is the events among them.
"""

from __future__ import annotations

import numpy as np

from vigil.analysis.models import FloatArray
from vigil.metrics.base import Series
from vigil.plan.schema import Metric

# Seconds per unit of a per-time rate ("/s", "req/min", "$/hour"): such samples are turned into counts.
_SECONDS_PER = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def event_counts(metric: Metric, values: Series, exposure: Series | None,
                 exposure_unit: str) -> tuple[FloatArray, FloatArray | None]:
    """Events and exposure per point, for the exact rate test, on the points both series share.

    Per-time rates become counts over the sampling step (the sum of rate × step over a window is the events
    in it, whatever window the rate was averaged over); a share becomes share × exposure events.
    """
    if exposure is None:
        return values.values * counts_per_value(metric.unit, values.timestamps), None
    _, mine, theirs = np.intersect1d(values.timestamps, exposure.timestamps, return_indices=True)
    stamps = values.timestamps[mine]
    requests = exposure.values[theirs] * counts_per_value(exposure_unit, stamps)
    if metric.compare == "share":
        share = values.values[mine] / (100.0 if metric.unit.strip() == "%" else 1.0)
        return share * requests, requests
    return values.values[mine] * counts_per_value(metric.unit, stamps), requests


def counts_per_value(unit: str, timestamps: FloatArray) -> float:
    """What one unit of a sample counts for: 1 for a count, the step in the unit's time for a rate."""
    per = unit.rpartition("/")[2].strip().lower() if "/" in unit else ""
    if per not in _SECONDS_PER:
        return 1.0
    if timestamps.size < 2:
        return float("nan")  # one point has no step: not evidence (the judge reads NaN as missing)
    return float(np.median(np.diff(timestamps))) / _SECONDS_PER[per]
