"""The statistical canary judge applied to one checkpoint, folded into the threshold judgements.

Thresholds answer "is the new version within its limits?"; the canary judge answers "is it worse than the
old version running beside it, beyond chance and beyond the tolerance?". Both are kept: a metric's status
is the worse of the two, its reason carries both sentences, and the checkpoint-level outcome (score,
pass / marginal / fail / insufficient) feeds the go/no-go decision.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from vigil.analysis.canary import judge_canary
from vigil.analysis.counts import event_counts
from vigil.analysis.judgement import STATUS_ORDER, MetricJudgement
from vigil.analysis.models import (
    CanaryConfig,
    CanaryJudgement,
    MetricData,
    MetricJudgeConfig,
    MetricVerdict,
)
from vigil.analysis.traffic import Shares, per_full_traffic
from vigil.metrics.base import Series
from vigil.plan.schema import Plan

Window = tuple[Series, Series] | str  # (baseline, new) samples, or why the source could not answer


def canary_config(plan: Plan) -> CanaryConfig:
    options = plan.canary
    return CanaryConfig(
        confidence=options.confidence, pass_threshold=options.pass_threshold,
        marginal_threshold=options.marginal_threshold,
        metrics=[MetricJudgeConfig(
            name=m.name, label=m.label, unit=m.unit, critical=m.critical, muted=m.muted, weight=m.weight,
            group=m.group, direction="increase" if m.bad == "up" else "decrease",
            tolerance=m.tolerance if m.tolerance is not None else options.tolerance,
            kind="continuous" if m.compare == "continuous" else "count",
            min_samples=options.min_samples) for m in plan.metrics])


def judge_window(plan: Plan, windows: dict[str, Window], traffic: dict[str, Shares] | None = None
                 ) -> CanaryJudgement:
    """All metrics in one pass; ``windows`` maps a metric to (baseline, new) samples or a source error, and
    ``traffic`` a volume metric to its cohorts' traffic shares (``analysis.traffic``): its samples are then
    compared per full traffic, or, for a count, its exposure is scaled by the share."""
    metrics = {m.name: m for m in plan.metrics}
    traffic = traffic or {}
    data = {}
    for name, window in windows.items():
        metric, shares = metrics[name], traffic.get(name)
        exposure = windows.get(metric.exposure) if metric.exposure else None
        if isinstance(window, str) or isinstance(exposure, str):
            data[name] = MetricData(np.empty(0), np.empty(0), error=window if isinstance(window, str) else
                                    f"exposure '{metric.exposure}': {exposure}")
        elif metric.compare == "continuous":
            base, new = window
            if shares is not None:
                base, new = per_full_traffic(base, shares.baseline), per_full_traffic(new, shares.new)
            data[name] = MetricData(base.values, new.values)
        else:
            exposure_unit = metrics[metric.exposure].unit if metric.exposure else ""
            (e0, t0), (e1, t1) = (event_counts(metric, series, exposure[i] if exposure else None, exposure_unit)
                                  for i, series in enumerate(window))
            if shares is not None and t0 is None and t1 is None:  # events over time × the cohort's share
                t0, t1 = np.full(e0.size, shares.baseline), np.full(e1.size, shares.new)
            data[name] = MetricData(e0, e1, t0, t1)
    return judge_canary(canary_config(plan), data)


def fold(judgements: list[MetricJudgement], result: CanaryJudgement) -> list[MetricJudgement]:
    """Raise each metric's status where the canary judge found it worse than the baseline."""
    verdicts = {v.name: v for v in result.verdicts}
    out = []
    for j in judgements:
        verdict = verdicts.get(j.metric)
        if verdict is None:
            out.append(j)
            continue
        status = _status_from(verdict)
        details: dict[str, Any] = {**j.details, "canary": _numbers(verdict)}
        if STATUS_ORDER[status] > STATUS_ORDER[j.status] and j.status != "no_data":
            reason = f"{verdict.sentence} {j.reason}" if j.status != "ok" else verdict.sentence
            out.append(replace(j, status=status, reason=reason, details=details))
        elif verdict.classification == "insufficient" and j.status != "no_data":
            # Part of why the checkpoint holds: say so on the reading, where a release manager looks first.
            out.append(replace(j, reason=f"{j.reason} {verdict.sentence}", details=details))
        else:
            out.append(replace(j, details=details))
    return out


def _status_from(verdict: MetricVerdict) -> str:
    if not verdict.failed or verdict.muted or verdict.classification in {"no_data", "insufficient", "error"}:
        return "ok"  # missing data is already "no data" from the threshold side; it is never a pass there
    return "critical" if verdict.critical else "warning"


def _numbers(v: MetricVerdict) -> dict[str, Any]:
    return {"classification": v.classification, "failed": v.failed, "n_baseline": v.n_control,
            "n_new": v.n_canary, "baseline": v.control_value, "new": v.canary_value, "statistic": v.statistic,
            "p_value": v.p_value, "p_exact": v.p_exact, "estimate": v.estimate,
            "interval": list(v.interval) if v.interval else None, "threshold": v.threshold,
            "effect": v.effect, "method": v.method, "sentence": v.sentence}
