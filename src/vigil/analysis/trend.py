"""Slow-growth detection: a significant positive slope over hours, and when it would hit the limit.

A point comparison at T+1h sees memory 10 % above baseline and shrugs; a regression over every sample since
deployment sees it rise 5 %/h with p < 0.001 and can say when the limit will be reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vigil.metrics.base import Series
from vigil.plan.schema import LeakCheck


@dataclass(frozen=True)
class Trend:
    slope_per_hour: float
    p_value: float
    hours_observed: float
    samples: int
    significant: bool
    hours_to_limit: float | None


def growth_trend(series: Series, check: LeakCheck, limit: float | None, bad: str) -> Trend | None:
    """Fit a line to ``series``; ``None`` when there is too little data to say anything."""
    clean = series.finite()
    if len(clean) < 10:
        return None
    hours = (clean.timestamps - clean.timestamps[0]) / 3600.0
    observed = float(hours[-1])
    if observed < check.min_observation.total_seconds() / 3600.0:
        return None
    from scipy import stats  # deferred: scipy is heavy and only the watch needs it

    fit = stats.linregress(hours, clean.values)
    slope = float(fit.slope) if bad == "up" else -float(fit.slope)
    # One-sided test in the bad direction: halve the two-sided p when the slope points that way.
    p_one_sided = float(fit.pvalue) / 2 if slope > 0 else 1.0
    significant = p_one_sided < check.p_value and slope >= check.min_slope_per_hour
    to_limit = None
    if significant and limit is not None:
        now = float(fit.intercept + fit.slope * hours[-1])
        gap = (limit - now) if bad == "up" else (now - limit)
        to_limit = max(gap, 0.0) / slope
    return Trend(slope, p_one_sided, observed, len(clean), significant, to_limit)


def direction_arrow(current: float | None, previous: float | None, tolerance_pct: float = 2.0) -> str:
    """↑, ↓ or → against the previous checkpoint; empty when there is nothing to compare."""
    if current is None or previous is None:
        return ""
    scale = max(abs(previous), 1e-9)
    change = 100 * (current - previous) / scale
    if np.isclose(current, previous) or abs(change) < tolerance_pct:
        return "→"
    return "↑" if current > previous else "↓"
