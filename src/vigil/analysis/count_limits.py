"""A count or share metric's limits, judged on the events and their exposure rather than on a ratio.

A ratio threshold on tiny counts decides on noise: one 5xx among 1,700 requests is 0.06 %, and against
an error-free baseline it is "infinitely" worse. With the window's events and exposure (requests, or time
for a count of events) each limit becomes an exact one-sided test at the plan's confidence:

* the absolute limit (``max``; ``min`` when down is bad): the rate is beyond it only when a binomial
  (share of requests) or Poisson (events over time) test rejects "the true rate is within the limit";
  the warning level likewise;
* the relative limits against the baseline: the conditional rate test of ``analysis.rates`` rejects "the
  new version's rate is at most (1 + limit) times the baseline's" (``p_high``; ``p_low`` when down is bad).

Used where the plan makes a metric ``compare: count`` or ``share`` and its exposure was read; the means
shown on the reading stay as they were, only the findings (status and reason) come from the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from vigil.analysis.counts import counts_per_value, event_counts
from vigil.analysis.judgement import STATUS_ORDER, MetricJudgement, fmt
from vigil.analysis.rates import rate_tests
from vigil.analysis.traffic import Shares
from vigil.metrics.base import Series
from vigil.plan.schema import Metric, Plan

Window = tuple[Series, Series] | str


@dataclass(frozen=True)
class CohortCounts:
    events: float
    exposure: float
    per_exposure: float  # what one unit of the metric's value is in events per unit of exposure


def judge_counts(plan: Plan, judgements: list[MetricJudgement], windows: dict[str, Window],
                 traffic: dict[str, Shares]) -> list[MetricJudgement]:
    """Each count/share metric's threshold findings redone on its events and exposure."""
    metrics = {m.name: m for m in plan.metrics}
    alpha = 1.0 - plan.canary.confidence
    out = []
    for j in judgements:
        metric = metrics[j.metric]
        counts = None
        if metric.compare != "continuous" and metric.leak_check is None and j.status != "no_data":
            counts = _cohorts(metric, metrics, windows, traffic.get(metric.name))
        if counts is None:
            out.append(j)
            continue
        base, new = counts
        findings = _limit_findings(metric, new, alpha) + _baseline_findings(metric, base, new, alpha)
        findings.sort(key=lambda f: -STATUS_ORDER[f[0]])
        status = max((s for s, _ in findings), key=STATUS_ORDER.__getitem__, default="ok")
        reason = " ".join(t for _, t in findings) or _all_clear(metric, new)
        details: dict[str, Any] = {**j.details, "counts": {
            "events_new": new.events, "exposure_new": new.exposure, "events_baseline": base.events,
            "exposure_baseline": base.exposure, "alpha": alpha}}
        out.append(replace(j, status=status, reason=reason, details=details))
    return out


def _cohorts(metric: Metric, metrics: dict[str, Metric], windows: dict[str, Window],
             shares: Shares | None) -> tuple[CohortCounts, CohortCounts] | None:
    """(baseline, new) events and exposure over the window, or None when they cannot be counted."""
    window = windows.get(metric.name)
    exposure = windows.get(metric.exposure) if metric.exposure else None
    if not isinstance(window, tuple) or (metric.exposure is not None and not isinstance(exposure, tuple)):
        return None
    unit = metrics[metric.exposure].unit if metric.exposure else ""
    cohorts = []
    for i, share in enumerate((shares.baseline if shares else 1.0, shares.new if shares else 1.0)):
        series = window[i]
        events, per_point = event_counts(metric, series, exposure[i] if isinstance(exposure, tuple) else None, unit)
        # Events over time: each point is one step of the cohort's share of the traffic, and one unit of the
        # metric's value is counts_per_value events per step.
        per_value = 1.0 if metric.exposure else counts_per_value(metric.unit, series.timestamps)
        if per_point is None:
            per_point = np.full(events.size, share)
        keep = np.isfinite(events) & np.isfinite(per_point)
        cohorts.append(CohortCounts(float(np.round(np.sum(events[keep]))), float(np.sum(per_point[keep])),
                                    per_value))
    base, new = cohorts
    if new.exposure <= 0 or not (np.isfinite(new.per_exposure) and np.isfinite(base.per_exposure)):
        return None
    return base, new


def _limit_findings(metric: Metric, new: CohortCounts, alpha: float) -> list[tuple[str, str]]:
    t = metric.thresholds
    up = metric.bad == "up"
    limit = t.max if up else t.min
    if limit is None or (metric.compare == "count" and metric.exposure):
        return []  # a count's limit is per time; over an exposure of requests it has no meaning
    warn_at = t.warning if t.warning is not None else (0.9 if up else 1.1) * limit
    for status, level, words in (("critical", limit, "the limit of"), ("warning", warn_at, "the warning level of")):
        p = _p_beyond(metric, new, level, up)
        if p < alpha:
            side = "above" if up else "below"
            return [(status, f"{metric.label} is {fmt(_rate(metric, new), metric.unit)} ({_events(new)}), {side} "
                             f"{words} {fmt(level, metric.unit)} beyond chance (p={p:.2g}).")]
    return []


def _p_beyond(metric: Metric, new: CohortCounts, level: float, up: bool) -> float:
    """p of the new version's events if its true rate were exactly at ``level`` (one-sided, exact)."""
    scale = 100.0 if metric.compare == "share" and metric.unit.strip() == "%" else 1.0
    if metric.compare == "share":
        n, p = round(new.exposure), min(max(level / scale, 0.0), 1.0)
        dist: Any = stats.binom(n, p)
    else:
        dist = stats.poisson(max(level, 0.0) * new.per_exposure * new.exposure)
    return float(dist.sf(new.events - 1) if up else dist.cdf(new.events))


def _baseline_findings(metric: Metric, base: CohortCounts, new: CohortCounts,
                       alpha: float) -> list[tuple[str, str]]:
    rel = metric.thresholds.relative
    if base.exposure <= 0:
        return []
    for status, limit in (("critical", rel.critical), ("warning", rel.warning)):
        if limit is None:
            continue
        tests = rate_tests(np.array([base.events]), np.array([base.exposure]), np.array([new.events]),
                           np.array([new.exposure]), np.array([limit / 100.0]), alpha)
        p = float((tests.p_high if metric.bad == "up" else tests.p_low)[0])
        if p < alpha:
            word = "above" if metric.bad == "up" else "below"
            return [(status, f"{metric.label} is {fmt(_rate(metric, new), metric.unit)} ({_events(new)}), more than "
                             f"{limit:g}% {word} the baseline's {fmt(_rate(metric, base), metric.unit)} "
                             f"({_events(base)}) beyond chance (p={p:.2g}).")]
    return []


def _rate(metric: Metric, cohort: CohortCounts) -> float | None:
    if cohort.exposure <= 0:
        return None
    scale = 100.0 if metric.compare == "share" and metric.unit.strip() == "%" else 1.0
    return scale * cohort.events / cohort.exposure / cohort.per_exposure


def _events(cohort: CohortCounts) -> str:
    return f"{cohort.events:,.0f} events over an exposure of {cohort.exposure:,.0f}"


def _all_clear(metric: Metric, new: CohortCounts) -> str:
    return (f"{metric.label} is {fmt(_rate(metric, new), metric.unit)} ({_events(new)}): within its limits at "
            "this exposure.")
