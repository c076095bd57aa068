"""One metric at one checkpoint: value, baseline, change, trend, status and the reason in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Re-exported: they lived here before statuses held them.
from vigil.analysis.statuses import STATUS_ICON as STATUS_ICON
from vigil.analysis.statuses import STATUS_ORDER, fmt
from vigil.analysis.trend import Trend, direction_arrow, growth_trend
from vigil.metrics.base import Series
from vigil.plan.schema import Metric


@dataclass(frozen=True)
class MetricJudgement:
    metric: str
    label: str
    unit: str
    current: float | None
    baseline: float | None
    change_abs: float | None
    change_pct: float | None
    trend: str
    status: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def judge(metric: Metric, new: Series, baseline: Series | None, previous: float | None,
          since_deploy: Series | None = None, unavailable: str | None = None,
          not_evidence: str | None = None) -> MetricJudgement:
    """Judge ``metric`` from the new version's samples against the baseline's.

    ``baseline`` is ``None`` for T+0, where the service's initial state is checked against absolute
    limits only. ``unavailable`` carries a source error and ``not_evidence`` why the samples cannot be
    judged (``data_quality.window_problem``); either makes the status "no data", never "ok".
    """
    new = new.finite()
    base = baseline.finite() if baseline is not None else None
    if unavailable or not_evidence or len(new) == 0:
        why = (f"source unavailable: {unavailable}" if unavailable
               else not_evidence or "no samples in the window")
        return MetricJudgement(metric.name, metric.label, metric.unit, None,
                               _mean(base), None, None, "", "no_data", f"No data ({why}).",
                               {"samples_new": 0, "samples_baseline": len(base) if base else 0})
    current = float(np.mean(new.values))
    base_value = _mean(base)
    change_abs = None if base_value is None else current - base_value
    change_pct = None if base_value in (None, 0.0) or change_abs is None else 100 * change_abs / abs(base_value)
    findings: list[tuple[str, str]] = []
    findings += _absolute(metric, current)
    findings += _relative(metric, current, base_value, change_pct)
    trend = None
    if metric.leak_check is not None and since_deploy is not None:
        limit = metric.thresholds.max if metric.bad == "up" else metric.thresholds.min
        trend = growth_trend(since_deploy, metric.leak_check, limit, metric.bad)
        findings += _trend_findings(metric, trend)
    findings.sort(key=lambda f: -STATUS_ORDER[f[0]])  # the reason leads with what decided the status
    status = max((s for s, _ in findings), key=STATUS_ORDER.__getitem__, default="ok")
    reason = " ".join(text for _, text in findings) or _all_clear(metric, current, change_pct)
    details: dict[str, Any] = {"samples_new": len(new), "samples_baseline": len(base) if base else 0,
                               "bad_direction": metric.bad, "thresholds": metric.thresholds.model_dump()}
    if trend is not None:
        details["trend"] = trend.__dict__
    return MetricJudgement(metric.name, metric.label, metric.unit, current, base_value, change_abs, change_pct,
                           direction_arrow(current, previous), status, reason, details)


def _mean(series: Series | None) -> float | None:
    return float(np.mean(series.values)) if series is not None and len(series) else None


def _absolute(metric: Metric, current: float) -> list[tuple[str, str]]:
    t, value = metric.thresholds, fmt(current, metric.unit)
    if metric.bad == "up" and t.max is not None:
        warn_at = t.warning if t.warning is not None else 0.9 * t.max
        if current > t.max:
            return [("critical", f"{metric.label} is {value}, above the expected <{fmt(t.max, metric.unit)}.")]
        if current > warn_at:
            return [("warning", f"{metric.label} is {value}, close to the limit of {fmt(t.max, metric.unit)}.")]
    if metric.bad == "down" and t.min is not None:
        warn_at = t.warning if t.warning is not None else 1.1 * t.min
        if current < t.min:
            return [("critical", f"{metric.label} is {value}, below the expected >{fmt(t.min, metric.unit)}.")]
        if current < warn_at:
            return [("warning", f"{metric.label} is {value}, close to the floor of {fmt(t.min, metric.unit)}.")]
    return []


def _relative(metric: Metric, current: float, base: float | None,
              change_pct: float | None) -> list[tuple[str, str]]:
    rel = metric.thresholds.relative
    if base is None or (rel.warning is None and rel.critical is None):
        return []
    if change_pct is None:  # zero baseline: any amount in the bad direction is new, not a percentage
        worse = current > 0 if metric.bad == "up" else False
        return [("warning", f"{metric.label} is {fmt(current, metric.unit)} against a zero baseline.")] if worse else []
    worse_pct = change_pct if metric.bad == "up" else -change_pct
    word = "above" if metric.bad == "up" else "below"
    text = f"{metric.label} is {abs(worse_pct):.1f}% {word} baseline ({fmt(base, metric.unit)})"
    if rel.critical is not None and worse_pct >= rel.critical:
        return [("critical", f"{text}, beyond the {rel.critical:g}% critical limit.")]
    if rel.warning is not None and worse_pct >= rel.warning:
        return [("warning", f"{text}, beyond the {rel.warning:g}% warning limit.")]
    return []


def _trend_findings(metric: Metric, trend: Trend | None) -> list[tuple[str, str]]:
    if trend is None or not trend.significant or metric.leak_check is None:
        return []
    rate = f"{trend.slope_per_hour:.2f}{metric.unit}/h" if metric.unit else f"{trend.slope_per_hour:.2f}/h"
    what = "grows" if metric.bad == "up" else "falls"
    text = (f"{metric.label} {what} steadily by {rate} over {trend.hours_observed:.1f} h "
            f"(p={trend.p_value:.1g}): leak suspected.")
    if trend.hours_to_limit is not None:
        text += f" At this rate it reaches its limit in {trend.hours_to_limit:.1f} h."
        if trend.hours_to_limit <= metric.leak_check.horizon.total_seconds() / 3600:
            return [("critical", text)]
    return [("warning", text)]


def _all_clear(metric: Metric, current: float, change_pct: float | None) -> str:
    limit = metric.thresholds.max if metric.bad == "up" else metric.thresholds.min
    parts = [f"{metric.label} is {fmt(current, metric.unit)}"]
    if limit is not None:
        parts.append(f"within the expected {'<' if metric.bad == 'up' else '>'}{fmt(limit, metric.unit)}")
    if change_pct is not None:
        parts.append(f"{change_pct:+.1f}% against baseline")
    return ", ".join(parts) + "."
