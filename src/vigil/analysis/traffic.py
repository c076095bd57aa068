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

from dataclasses import dataclass
from datetime import timedelta

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
    """Each cohort's share of the service's traffic (0–1) at one checkpoint."""

    new: float
    baseline: float


def cohort_shares(plan: Plan, metric: Metric, offset: timedelta, previous: Plan | None = None) -> Shares | None:
    """The shares to divide ``metric``'s cohorts by at ``offset``, or None to compare them as measured (not
    a volume, or read from the simulator, which gives volumes at full traffic already)."""
    if not scales_with_traffic(metric) or plan.source_of(metric).kind == "simulator":
        return None
    new = plan.traffic_percent(offset) / 100
    mode = plan.baseline or "concurrent"
    if mode == "concurrent":
        baseline = 1.0 - new  # the old version serves the rest
    elif mode == "previous_release":
        baseline = (previous.traffic_percent(offset) / 100) if previous is not None else 1.0
    else:
        baseline = 1.0  # pre_deploy, week_ago: the whole service, before this release
    return Shares(new, baseline)


def per_full_traffic(series: Series, share: float) -> Series:
    """``series`` divided by ``share``; a cohort serving no traffic has no volume to compare (empty)."""
    if share <= 0:
        return Series.empty()
    return Series(series.timestamps, series.values / share)


def partial_steps(plan: Plan) -> list[float]:
    """The rollout's partial steps (percent strictly between 0 and 100), in order."""
    return [step.percent for step in sorted(plan.rollout, key=lambda s: s.at) if 0 < step.percent < 100]
