"""Whether a window's samples are evidence at all: enough real values, and values the metric can take.

The rule, applied to every window a checkpoint reads (the new version's and the baseline's):

* **Coverage.** A window of span S from a source sampling every Δ holds S/Δ samples (``expected``; for a
  file source, whose spacing only its rows tell, the rows returned). Fewer than ``min_coverage`` of them
  holding a finite value (NaN and ±Inf are gaps, not values) is *insufficient data*.
* **Plausibility.** A value outside what the metric can be — below 0 for a percentage, a duration, a rate
  or a count; above 100 % or a share above 1 — means the source is broken, so the whole window is
  *implausible*. The plan's ``plausible: {min, max}`` overrides what the unit implies.

Either way the metric is "no data": the checkpoint's health is unknown and it holds. Such a window never
decides in either direction — not a pass (1 real sample out of 61 is not a healthy minute), and not a
failure (an all-NaN baseline is not a regression of the new version).
"""

from __future__ import annotations

import math

import numpy as np

from vigil.metrics.base import Series
from vigil.plan.schema import Metric

_DURATIONS = {"ns", "us", "µs", "ms", "s", "sec", "seconds", "min", "minutes", "h", "hours"}
_AMOUNTS = {"b", "bytes", "kb", "mb", "gb", "kib", "mib", "gib", "users", "requests", "req", "count",
            "events", "errors"}
_FRACTIONS = {"", "ratio", "fraction"}


def plausible_range(metric: Metric) -> tuple[float | None, float | None]:
    """(lowest, highest) value ``metric`` can take; None where nothing bounds it."""
    if metric.plausible is not None:
        return metric.plausible.min, metric.plausible.max
    unit = metric.unit.strip().lower()
    if unit == "%":
        return 0.0, 100.0
    if unit in _FRACTIONS and (metric.compare == "share" or unit):
        return 0.0, 1.0
    if unit in _DURATIONS or unit in _AMOUNTS or "/" in unit or metric.compare == "count":
        return 0.0, None  # durations, amounts, per-time rates ("/s", "$/hour") and counts
    return None, None


def window_problem(metric: Metric, series: Series, expected: int | None, min_coverage: float) -> str | None:
    """Why ``series`` is not evidence for ``metric`` (a sentence), or None when it is."""
    values = series.values
    finite = values[np.isfinite(values)]
    low, high = plausible_range(metric)
    outside = int(np.sum(finite < low)) if low is not None else 0
    outside += int(np.sum(finite > high)) if high is not None else 0
    if outside:
        bounds = _bounds_text(low, high, metric.unit)
        return (f"implausible data: {outside} of {finite.size} values are outside what {metric.label} can be "
                f"({bounds}), so the source is not trusted for this window")
    wanted = max(expected or 0, len(series))
    needed = max(1, math.ceil(min_coverage * wanted))
    if finite.size < needed:
        return (f"insufficient data: {finite.size} real value{'s' if finite.size != 1 else ''} of {wanted} "
                f"expected in the window (at least {min_coverage:.0%} are needed to judge it)")
    return None


def _bounds_text(low: float | None, high: float | None, unit: str) -> str:
    if low is not None and high is not None:
        return f"{low:g} to {high:g}{unit}"
    return f"at least {low:g}{unit}" if low is not None else f"at most {high:g}{unit}"
