"""Volume metrics on a partial rollout: compared per full traffic, not as a loss of volume.

A cohort's throughput, request and event counts, users or revenue are proportional to the share of the
traffic it serves: a 20 % canary serves a quarter of an 80 % baseline's requests by design, which a
relative limit would read as a 75 % drop. Such a metric's samples are therefore divided by the cohort's
share of the traffic before anything compares them (its values are then "per full traffic", the unit the
simulator already reports them in), and a count's exposure is scaled by the share instead (so the exact
rate test keeps the real number of events).

A metric scales with traffic when its plan entry says ``scales_with_traffic: true``, or, left unset, when
it is a per-time rate (unit ``/s``, ``req/min``, ``$/hour``), a plain amount (``users``, ``requests``), or a
``count`` without an exposure; shares and ratios (error rate, conversion, CPU %) and latencies do not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from vigil.analysis.judgement import MetricJudgement, judge
from vigil.analysis.models import FloatArray
from vigil.metrics.base import Series
from vigil.plan.schema import Metric, Plan

_TIME_UNITS = {"s", "sec", "second", "min", "minute", "h", "hour", "d", "day"}
_AMOUNTS = {"users", "requests", "req", "sessions", "orders", "events"}


def scales_with_traffic(metric: Metric) -> bool:
    if metric.scales_with_traffic is not None:
        return metric.scales_with_traffic
    if metric.compare == "share":
        return False
    if metric.compare == "count":
        return metric.exposure is None  # with an exposure, the exposure carries the traffic
    unit = metric.unit.strip().lower()
    return unit.rpartition("/")[2].strip() in _TIME_UNITS if "/" in unit else unit in _AMOUNTS


@dataclass(frozen=True)
class Shares:
    """Each cohort's share of the service's traffic (0–1) at any moment of a release: the rollout step in
    force when a sample was taken, not the one at the checkpoint (a window ending at a step saw the old one).
    """

    plan: Plan
    started_at: float  # T+0, epoch seconds
    mode: str  # the plan's baseline kind
    previous: float | None  # previous_release: the earlier release's share at this checkpoint

    def new(self, timestamps: FloatArray) -> FloatArray:
        return np.array([self.plan.traffic_percent(timedelta(seconds=float(t - self.started_at))) / 100
                         for t in timestamps], dtype=np.float64)

    def baseline(self, timestamps: FloatArray) -> FloatArray:
        if self.mode == "concurrent":
            return 1.0 - self.new(timestamps)  # the old version serves the rest
        share = self.previous if self.mode == "previous_release" and self.previous is not None else 1.0
        return np.full(timestamps.size, share)  # pre_deploy, week_ago: the whole service, before this release


def cohort_shares(plan: Plan, metric: Metric, started_at: datetime, offset: timedelta,
                  previous: Plan | None = None) -> Shares | None:
    """The shares to divide ``metric``'s cohorts by, or None to compare them as measured (not a volume, or
    read from the simulator, which gives volumes at full traffic already)."""
    if not scales_with_traffic(metric) or plan.source_of(metric).kind == "simulator":
        return None
    earlier = previous.traffic_percent(offset) / 100 if previous is not None else None
    return Shares(plan, started_at.timestamp(), plan.baseline or "concurrent", earlier)


def per_full_traffic(series: Series, shares: FloatArray) -> Series:
    """``series`` divided by the share of the traffic its cohort served at each sample; samples where it
    served none have no volume to compare and are left out."""
    served = shares > 0
    return Series(series.timestamps[served], series.values[served] / shares[served])


def partial_steps(plan: Plan) -> list[float]:
    """The rollout's partial steps (percent strictly between 0 and 100), in order."""
    return [step.percent for step in sorted(plan.rollout, key=lambda s: s.at) if 0 < step.percent < 100]


def judge_volume(metric: Metric, new: Series, base: Series, previous: float | None,
                 since: Series | None, shares: Shares | None) -> MetricJudgement:
    """``judge``, with a volume metric's cohorts per full traffic (``shares``; None: as measured) and the
    reading saying so."""
    if shares is None:
        return judge(metric, new, base, previous, since)
    new_share, base_share = shares.new(new.timestamps), shares.baseline(base.timestamps)
    judged = judge(metric, per_full_traffic(new, new_share), per_full_traffic(base, base_share), previous, since)
    served = {"new": _mean_share(new_share), "baseline": _mean_share(base_share)}
    note = (f"(Compared per full traffic: each cohort's {metric.label.lower()} divided by its share of the "
            f"traffic at each sample, over this window on average the new version {served['new']:.0%}, the "
            f"baseline {served['baseline']:.0%}.)")
    return replace(judged, reason=f"{judged.reason} {note}", details={**judged.details, "traffic_shares": served})


def _mean_share(shares: FloatArray) -> float:
    return float(np.mean(shares)) if shares.size else 0.0
