"""Slow-growth detection: a significant trend over hours, and when it would hit the limit.

A point comparison at T+1h sees memory 10 % above baseline and shrugs; a trend test over every sample
since deployment sees it rise 5 %/h and can say when the limit will be reached.

The test is robust rather than least squares: the Mann–Kendall test (Kendall's τ between time and value,
one-sided in the bad direction, tie-corrected) decides whether there is a monotonic trend, and the
Theil–Sen slope (median of pairwise slopes, with its confidence interval) says how fast. One garbage-
collection spike or a scrape outlier moves neither, where it can tilt a regression line. Samples are
averaged into at most ``MAX_BINS`` equal time bins first: it bounds Theil–Sen's O(n²) pairs and damps the
short-range autocorrelation of scraped metrics, which would otherwise make any test over-confident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vigil.metrics.base import Series
from vigil.plan.schema import LeakCheck

MAX_BINS = 240


@dataclass(frozen=True)
class Trend:
    slope_per_hour: float  # in the bad direction: positive means getting worse
    p_value: float  # one-sided Mann–Kendall p in the bad direction
    hours_observed: float
    samples: int
    significant: bool
    hours_to_limit: float | None
    slope_low: float = float("nan")  # Theil–Sen confidence interval, bad direction
    slope_high: float = float("nan")
    tau: float = float("nan")
    method: str = "mann-kendall+theil-sen"


@dataclass(frozen=True)
class TrendTest:
    slope_per_hour: float
    slope_low: float
    slope_high: float
    tau: float
    p_value: float
    hours: float
    samples: int
    level_now: float  # the fitted line's value at the last sample


def trend_test(series: Series, bad: Literal["up", "down"] = "up", confidence: float = 0.95) -> TrendTest | None:
    """Mann–Kendall p and Theil–Sen slope per hour, oriented so positive is the bad direction."""
    clean = series.finite()
    if len(clean) < 10:
        return None
    hours = (clean.timestamps - clean.timestamps[0]) / 3600.0
    if hours[-1] <= 0:
        return None
    t, v = _bin(hours, clean.values)
    from scipy import stats  # deferred: scipy is heavy and only the watch needs it

    sign = 1.0 if bad == "up" else -1.0
    tau = stats.kendalltau(t, sign * v, alternative="greater")
    fit = stats.theilslopes(sign * v, t, alpha=confidence)
    level = sign * float(fit.intercept + fit.slope * t[-1])
    # Pinned at the observed end of the series, not the last bin's centre.
    level += float(fit.slope) * sign * (float(hours[-1]) - float(t[-1]))
    p = float(tau.pvalue) if np.isfinite(tau.pvalue) else 1.0
    return TrendTest(
        float(fit.slope),
        float(fit.low_slope),
        float(fit.high_slope),
        float(tau.statistic) if np.isfinite(tau.statistic) else 0.0,
        p,
        float(hours[-1]),
        len(clean),
        level,
    )


def _bin(hours: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if hours.size <= MAX_BINS:
        return hours, values
    edges = np.linspace(hours[0], hours[-1], MAX_BINS + 1)
    index = np.clip(np.searchsorted(edges, hours, side="right") - 1, 0, MAX_BINS - 1)
    counts = np.bincount(index, minlength=MAX_BINS)
    keep = counts > 0
    t = np.bincount(index, weights=hours, minlength=MAX_BINS)[keep] / counts[keep]
    v = np.bincount(index, weights=values, minlength=MAX_BINS)[keep] / counts[keep]
    return t, v


def growth_trend(series: Series, check: LeakCheck, limit: float | None, bad: str) -> Trend | None:
    """The leak check of one metric; ``None`` when there is too little data to say anything."""
    clean = series.finite()
    if len(clean) < 10:
        return None
    observed = float((clean.timestamps[-1] - clean.timestamps[0]) / 3600.0)
    if observed < check.min_observation.total_seconds() / 3600.0:
        return None
    test = trend_test(clean, "up" if bad == "up" else "down")
    if test is None:
        return None
    slope = test.slope_per_hour
    significant = test.p_value < check.p_value and slope >= check.min_slope_per_hour and slope > 0
    to_limit = None
    if significant and limit is not None:
        gap = (limit - test.level_now) if bad == "up" else (test.level_now - limit)
        to_limit = max(gap, 0.0) / slope
    return Trend(
        slope,
        test.p_value,
        observed,
        len(clean),
        significant,
        to_limit,
        test.slope_low,
        test.slope_high,
        test.tau,
    )


@dataclass(frozen=True)
class StabilityFinding:
    metric: str
    kind: str  # leak | creep | drift | stable | unknown
    trend: TrendTest | None
    significant: bool
    sentence: str


def stability(
    name: str,
    series: Series,
    bad: Literal["up", "down"],
    kind: str = "drift",
    min_relative_per_hour: float = 0.02,
    p_value: float = 0.01,
    unit: str = "",
) -> StabilityFinding:
    """One line of the "Stability Assessment": is the metric drifting the bad way, and how fast?

    ``kind`` names the finding when it is significant (``leak`` for memory, ``creep`` for latency,
    ``drift`` for error rates). A trend counts when Mann–Kendall rejects at ``p_value`` and the Theil–Sen
    slope is at least ``min_relative_per_hour`` of the series' median per hour — statistically and
    practically significant.
    """
    test = trend_test(series, bad)
    if test is None:
        return StabilityFinding(
            name, "unknown", None, False, f"{name}: too little data since deployment to assess a trend."
        )
    level = float(np.median(np.abs(series.finite().values))) or 1.0
    relative = test.slope_per_hour / level
    significant = test.p_value < p_value and relative >= min_relative_per_hour
    rate = f"{abs(test.slope_per_hour):.3g}{unit}/h"
    span = f"over {test.hours:.1f} h ({test.samples} samples, τ={test.tau:.2f}, p={test.p_value:.1g})"
    if significant:
        word = "rises" if bad == "up" else "falls"
        return StabilityFinding(
            name,
            kind,
            test,
            True,
            f"{name} {word} steadily by {rate} ({relative:.1%} of its level per hour) {span}: "
            f"{ {'leak': 'memory leak suspected', 'creep': 'latency is creeping'}.get(kind, 'drifting') }.",
        )
    return StabilityFinding(
        name, "stable", test, False, f"{name} is stable {span}; slope {test.slope_per_hour:+.3g}{unit}/h."
    )


def direction_arrow(current: float | None, previous: float | None, tolerance_pct: float = 2.0) -> str:
    """↑, ↓ or → against the previous checkpoint; empty when there is nothing to compare."""
    if current is None or previous is None:
        return ""
    scale = max(abs(previous), 1e-9)
    change = 100 * (current - previous) / scale
    if np.isclose(current, previous) or abs(change) < tolerance_pct:
        return "→"
    return "↑" if current > previous else "↓"
