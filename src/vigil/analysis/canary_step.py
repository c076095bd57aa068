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
from vigil.analysis.judgement import STATUS_ORDER, MetricJudgement
from vigil.analysis.models import CanaryConfig, CanaryJudgement, MetricData, MetricJudgeConfig, MetricVerdict
from vigil.metrics.base import Series
from vigil.plan.schema import Plan


def canary_config(plan: Plan) -> CanaryConfig:
    options = plan.canary
    return CanaryConfig(
        confidence=options.confidence, pass_threshold=options.pass_threshold,
        marginal_threshold=options.marginal_threshold,
        metrics=[MetricJudgeConfig(
            name=m.name, label=m.label, unit=m.unit, critical=m.critical, muted=m.muted, weight=m.weight,
            group=m.group, direction="increase" if m.bad == "up" else "decrease",
            tolerance=m.tolerance if m.tolerance is not None else options.tolerance,
            min_samples=options.min_samples) for m in plan.metrics])


def judge_window(plan: Plan, windows: dict[str, tuple[Series, Series] | str]) -> CanaryJudgement:
    """All metrics in one pass; ``windows`` maps a metric to (baseline, new) samples or a source error."""
    data = {}
    for name, window in windows.items():
        if isinstance(window, str):
            data[name] = MetricData(np.empty(0), np.empty(0), error=window)
        else:
            baseline, new = window
            data[name] = MetricData(baseline.values, new.values)
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
