"""The default canary judge: every metric of a checkpoint in one vectorised pass, then a 0–100 score.

Continuous metrics: two one-sided Mann–Whitney tests against the tolerance (is the canary above the
baseline by more than the tolerance, or below by more than it?) — high, low, or pass once the interval
also rules out a ``max_plausible_ratio``-fold change (else insufficient: few points). Only the metric's
bad direction counts as a failure. Count metrics: exact rate tests (see :mod:`vigil.analysis.rates`).
No data, an error and too few points are outcomes of their own and never a pass.

The score follows Kayenta's weighted sum (share of scored metrics not failed, per group, weighted), but
the checkpoint outcome is stricter: any critical failure fails it, and any missing or insufficient
evidence on a metric makes it "insufficient" (pause) instead of letting the score average it away.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from vigil.analysis.mannwhitney import shift_tests
from vigil.analysis.models import (
    CanaryConfig,
    CanaryJudgement,
    Classification,
    FloatArray,
    GroupScore,
    MetricData,
    MetricJudgeConfig,
    MetricVerdict,
    Outcome,
)
from vigil.analysis.rates import rate_tests
from vigil.analysis.sentences import (
    checkpoint_sentence,
    continuous_sentence,
    count_sentence,
    missing_sentence,
)
from vigil.errors import VigilError


class JudgeInputError(VigilError):
    """Metric data that does not match the judge's configuration."""


def judge_canary(config: CanaryConfig, data: dict[str, MetricData]) -> CanaryJudgement:
    """Judge every configured metric; ``data`` maps metric name to its samples (missing key = no data)."""
    unknown = sorted(set(data) - {m.name for m in config.metrics})
    if unknown:
        raise JudgeInputError(f"data for metrics not in the canary config: {', '.join(unknown)}")
    verdicts: dict[str, MetricVerdict] = {}
    continuous: list[tuple[MetricJudgeConfig, FloatArray, FloatArray]] = []
    counts: list[tuple[MetricJudgeConfig, MetricData]] = []
    for metric in config.metrics:
        item = data.get(metric.name)
        if item is None or item.error is not None:
            verdicts[metric.name] = _missing(
                metric,
                "error" if item is not None else "no_data",
                item.error if item is not None else None,
                0,
                0,
            )
            continue
        control, canary = _clean(item.control, metric), _clean(item.canary, metric)
        if control.size == 0 or canary.size == 0:
            verdicts[metric.name] = _missing(metric, "no_data", None, control.size, canary.size)
        elif metric.kind == "count":
            counts.append((metric, item))
        elif min(control.size, canary.size) < metric.min_samples:
            verdicts[metric.name] = _missing(metric, "insufficient", None, control.size, canary.size)
        else:
            continuous.append((metric, control, canary))
    verdicts.update(_judge_continuous(continuous, config))
    verdicts.update(_judge_counts(counts, config))
    ordered = [verdicts[m.name] for m in config.metrics]
    return score(ordered, config)


def _clean(values: FloatArray, metric: MetricJudgeConfig) -> FloatArray:
    values = np.asarray(values, dtype=np.float64)
    if metric.nan_strategy == "replace":
        return np.where(np.isnan(values), 0.0, values)
    return values[np.isfinite(values)]


def _missing(
    metric: MetricJudgeConfig, classification: Classification, error: str | None, n0: int, n1: int
) -> MetricVerdict:
    # No data / error fail a metric that must have data; insufficient never fails, it pauses.
    failed = classification != "insufficient" and metric.must_have_data
    return _verdict(
        metric, classification=classification, failed=failed, n_control=n0, n_canary=n1,
        control_value=None, canary_value=None, statistic=None, p_value=None, p_exact=True, estimate=None,
        interval=None, threshold=None, method="none",
        sentence=missing_sentence(metric, classification, error, n0, n1),
    )


def _verdict(metric: MetricJudgeConfig, **measured: Any) -> MetricVerdict:
    """A verdict on ``metric``: what the plan says of it, and what the test found (``measured``)."""
    return MetricVerdict(name=metric.name, label=metric.title, kind=metric.kind, critical=metric.critical,
                         muted=metric.muted, group=metric.group, weight=metric.weight, **measured)


def _judge_continuous(
    items: list[tuple[MetricJudgeConfig, FloatArray, FloatArray]], config: CanaryConfig
) -> dict[str, MetricVerdict]:
    """Stack metrics of equal sample sizes into matrices and test each stack in one pass."""
    by_shape: dict[tuple[int, int], list[tuple[MetricJudgeConfig, FloatArray, FloatArray]]] = defaultdict(list)
    for item in items:
        by_shape[(item[1].size, item[2].size)].append(item)
    out: dict[str, MetricVerdict] = {}
    for stack in by_shape.values():
        control = np.stack([c for _, c, _ in stack])
        canary = np.stack([c for _, _, c in stack])
        out.update(judge_matrix([m for m, _, _ in stack], control, canary, config))
    return out


def judge_matrix(
    metrics: list[MetricJudgeConfig], control: FloatArray, canary: FloatArray, config: CanaryConfig
) -> dict[str, MetricVerdict]:
    """Judge rows of equal-length samples (one metric per row) — the vectorised core of the judge."""
    relative = np.array([m.tolerance for m in metrics])
    absolute = np.array([m.tolerance_abs for m in metrics])
    tests = shift_tests(control, canary, relative, absolute, config.alpha, config.confidence, config.screen)
    median, shift = tests.control_median, tests.threshold
    high = tests.p_up < config.alpha
    low = tests.p_down < config.alpha
    out = {}
    for i, metric in enumerate(metrics):
        cls: Classification = (
            "high" if high[i] and (not low[i] or tests.p_up[i] <= tests.p_down[i]) else "low" if low[i] else "pass"
        )
        if cls == "pass" and not _large_change_ruled_out(metric, float(median[i]), float(tests.shift_low[i]),
                                                         float(tests.shift_high[i])):
            cls = "insufficient"
        failed = (cls == "high" and metric.direction != "decrease") or (cls == "low" and metric.direction != "increase")
        use_up = cls != "low" and metric.direction != "decrease"
        p = float(tests.p_up[i] if use_up else tests.p_down[i])
        exact = bool(tests.exact_up[i] if use_up else tests.exact_down[i])
        u = tests.u_up[i] if use_up else tests.u_down[i]
        control_mean = float(tests.control_mean[i])
        effect = {
            "mean_ratio": float(tests.canary_mean[i] / control_mean) if control_mean else float("inf"),
            "relative_shift": float(tests.shift[i] / abs(median[i])) if median[i] else float("nan"),
            "cles": float(tests.cles[i]),
        }
        verdict = _verdict(
            metric, classification=cls, failed=failed, n_control=control.shape[1], n_canary=canary.shape[1],
            control_value=float(tests.control_median[i]), canary_value=float(tests.canary_median[i]),
            statistic=None if np.isnan(u) else float(u), p_value=p, p_exact=exact,
            estimate=float(tests.shift[i]), interval=(float(tests.shift_low[i]), float(tests.shift_high[i])),
            threshold=float(shift[i]), effect=effect, method="mann-whitney-tolerance",
        )
        out[metric.name] = _with_sentence(verdict, continuous_sentence(verdict, metric, config.confidence))
    return out


def _large_change_ruled_out(metric: MetricJudgeConfig, median: float, low: float, high: float) -> bool:
    """A pass needs the shift's interval to rule out a ``max_plausible_ratio``-fold change in the bad
    direction, as for counts: "no significant change" from 10 points can hide a 100-fold one
    (spinnaker#6278), and that is not evidence of health but a lack of it."""
    if median == 0 or not np.isfinite(high) or not np.isfinite(low):
        return True  # no scale to multiply (a zero median is judged by the absolute tolerance alone)
    ratio, scale = metric.max_plausible_ratio, abs(median)
    up_ruled_out = metric.direction == "decrease" or high <= (ratio - 1) * scale
    down_ruled_out = metric.direction == "increase" or low >= -(1 - 1 / ratio) * scale
    return up_ruled_out and down_ruled_out


def _with_sentence(verdict: MetricVerdict, sentence: str) -> MetricVerdict:
    from dataclasses import replace

    return replace(verdict, sentence=sentence)


def _judge_counts(items: list[tuple[MetricJudgeConfig, MetricData]], config: CanaryConfig) -> dict[str, MetricVerdict]:
    if not items:
        return {}
    sums = np.array([_event_sums(m, d) for m, d in items])  # rows: e0, t0, e1, t1, n0, n1
    # Events are whole: a share times its requests lands a hair off an integer (1.9999…).
    sums[:, [0, 2]] = np.round(sums[:, [0, 2]])
    tol = np.array([m.tolerance for m, _ in items])
    tests = rate_tests(sums[:, 0], sums[:, 1], sums[:, 2], sums[:, 3], tol, config.alpha)
    out = {}
    for i, (metric, _) in enumerate(items):
        e0, t0, e1, t1, n0, n1 = sums[i]
        if min(t0, t1) <= 0 or min(t0, t1) < metric.min_exposure:
            out[metric.name] = _missing(metric, "insufficient", None, int(n0), int(n1))
            continue
        cls: Classification
        if tests.p_high[i] < config.alpha:
            cls = "high"
        elif tests.p_low[i] < config.alpha:
            cls = "low"
        elif e0 + e1 == 0 or tests.ratio_high[i] <= metric.max_plausible_ratio:
            cls = "pass"  # no events at all over the exposure, or a large increase is ruled out
        else:
            cls = "insufficient"
        failed = (cls == "high" and metric.direction != "decrease") or (cls == "low" and metric.direction != "increase")
        p = tests.p_low[i] if cls == "low" else tests.p_high[i]
        verdict = _verdict(
            metric, classification=cls, failed=failed, n_control=int(n0), n_canary=int(n1),
            control_value=float(e0 / t0), canary_value=float(e1 / t1), statistic=float(e1), p_value=float(p),
            p_exact=True, estimate=float(tests.ratio[i]),
            interval=(float(tests.ratio_low[i]), float(tests.ratio_high[i])), threshold=1.0 + metric.tolerance,
            effect={
                "events_control": float(e0),
                "events_canary": float(e1),
                "exposure_control": float(t0),
                "exposure_canary": float(t1),
                "max_plausible_ratio": metric.max_plausible_ratio,
            },
            method="conditional-poisson-exact",
        )
        out[metric.name] = _with_sentence(verdict, count_sentence(verdict, metric, config.confidence))
    return out


def _event_sums(metric: MetricJudgeConfig, item: MetricData) -> tuple[float, ...]:
    sums = []
    for values, exposure in ((item.control, item.control_exposure), (item.canary, item.canary_exposure)):
        values = np.asarray(values, dtype=np.float64)
        exp = np.ones_like(values) if exposure is None else np.asarray(exposure, dtype=np.float64)
        if exp.shape != values.shape:
            raise JudgeInputError(f"{metric.name}: exposure has {exp.size} samples, events {values.size}")
        keep = np.isfinite(values) & np.isfinite(exp)
        if metric.nan_strategy == "replace":
            values, keep = np.where(np.isnan(values), 0.0, values), np.isfinite(exp)
        if np.any(values[keep] < 0) or np.any(exp[keep] < 0):
            raise JudgeInputError(f"{metric.name}: counts and exposures must not be negative")
        sums.append((float(values[keep].sum()), float(exp[keep].sum()), int(keep.sum())))
    (e0, t0, n0), (e1, t1, n1) = sums
    return e0, t0, e1, t1, n0, n1


def score(verdicts: list[MetricVerdict], config: CanaryConfig) -> CanaryJudgement:
    """Weighted group scores, the summary score and the checkpoint outcome."""
    active = [v for v in verdicts if not v.muted]
    groups: dict[str, list[MetricVerdict]] = defaultdict(list)
    for v in active:
        groups[v.group].append(v)
    group_scores = []
    for name, members in groups.items():
        # Scored: a test result, or missing data that counts as a failure; insufficient evidence and
        # optional missing data stay out of the denominator (they decide the outcome instead).
        scored = [v for v in members if v.classification in ("pass", "high", "low") or v.failed]
        weight = sum(v.weight for v in scored)
        passed = sum(v.weight for v in scored if not v.failed)
        group_scores.append(GroupScore(name, 100.0 * passed / weight if weight else None, passed, weight))
    summary = _summary(group_scores, config.group_weights)
    critical = [v for v in active if v.critical and v.failed]
    failed = [v for v in active if v.failed]
    unsure = [v for v in active if v.classification in ("no_data", "error", "insufficient")]
    reasons = [v.sentence for v in failed + [u for u in unsure if not u.failed]]
    outcome: Outcome
    if critical:
        outcome, summary = "fail", 0.0
    elif summary < config.marginal_threshold and any(g.score is not None for g in group_scores):
        outcome = "fail"
    elif unsure or not any(g.score is not None for g in group_scores):
        outcome = "insufficient"
    elif summary < config.pass_threshold:
        outcome = "marginal"
    else:
        outcome = "pass"
    judgement = CanaryJudgement(outcome, summary, group_scores, verdicts, reasons, "")
    return _with_checkpoint_sentence(judgement, config, critical)


def _summary(groups: list[GroupScore], weights: dict[str, float]) -> float:
    scored = [g for g in groups if g.score is not None]
    if not scored:
        return 0.0
    named = sum(weights.get(g.name, 0.0) for g in scored)
    unnamed = [g for g in scored if g.name not in weights]
    # As in Kayenta: groups without a weight share what the named ones leave of 100 (equally).
    fill = max(100.0 - named, 0.0) / len(unnamed) if unnamed else 0.0
    total = sum(weights.get(g.name, fill) for g in scored)
    if total <= 0:
        return 0.0
    return sum(g.score * weights.get(g.name, fill) for g in scored if g.score is not None) / total


def _with_checkpoint_sentence(
    judgement: CanaryJudgement, config: CanaryConfig, critical: list[MetricVerdict]
) -> CanaryJudgement:
    from dataclasses import replace

    return replace(judgement, sentence=checkpoint_sentence(judgement, config, critical))
