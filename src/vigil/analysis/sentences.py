"""Verdicts in words: one sentence per metric and one per checkpoint, for a release manager."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vigil.analysis.judgement import fmt

if TYPE_CHECKING:
    from vigil.analysis.models import CanaryConfig, CanaryJudgement, MetricJudgeConfig, MetricVerdict


def _p(p: float | None, exact: bool) -> str:
    if p is None:
        return "p n/a"
    if not exact:
        return f"p ≥ {min(p, 0.99):.2g}"
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"


def missing_sentence(metric: MetricJudgeConfig, classification: str, error: str | None, n0: int, n1: int) -> str:
    name = metric.title
    if classification == "error":
        return f"{name}: the source failed ({error}); this is not a pass."
    if classification == "no_data":
        which = "either cohort" if n0 == 0 and n1 == 0 else "the baseline" if n0 == 0 else "the canary"
        tail = (
            "the metric is required, so this counts as a failure"
            if metric.must_have_data
            else "it is left out of the score, and the checkpoint cannot pass"
        )
        return f"{name}: no data from {which}; {tail}."
    if metric.kind == "count":
        return (
            f"{name}: too little exposure to compare rates (baseline {n0}, canary {n1} samples); "
            "wait for more traffic before deciding."
        )
    return (
        f"{name}: only {min(n0, n1)} points in one cohort (at least {metric.min_samples} needed); "
        "not enough evidence yet — pause rather than pass."
    )


def continuous_sentence(v: MetricVerdict, metric: MetricJudgeConfig, confidence: float) -> str:
    unit = metric.unit
    base, canary = fmt(v.control_value, unit), fmt(v.canary_value, unit)
    tol = fmt(v.threshold, unit)
    lo, hi = v.interval if v.interval else (float("nan"), float("nan"))
    shift = f"shift {fmt(v.estimate, unit)} (≈{confidence:.0%} interval {fmt(lo, unit)} to {fmt(hi, unit)})"
    head = f"{v.label}: canary median {canary} vs baseline {base}, {shift}"
    if v.classification == "pass":
        return f"{head}; no change beyond the ±{tol} tolerance ({_p(v.p_value, v.p_exact)}) — pass."
    if v.classification == "insufficient":
        return (f"{head}; not shown beyond the ±{tol} tolerance ({_p(v.p_value, v.p_exact)}, "
                f"n={v.n_control}/{v.n_canary}), but a {metric.max_plausible_ratio:g}-fold change is not ruled "
                "out either — not enough evidence.")
    word = "higher" if v.classification == "high" else "lower"
    verdict = "worse — fails" if v.failed else "better — not a failure"
    return (
        f"{head}; {word} than baseline by more than the {tol} tolerance "
        f"({_p(v.p_value, v.p_exact)}, n={v.n_control}/{v.n_canary}): {verdict}."
    )


def count_sentence(v: MetricVerdict, metric: MetricJudgeConfig, confidence: float) -> str:
    e0, e1 = int(v.effect["events_control"]), int(v.effect["events_canary"])
    t0, t1 = v.effect["exposure_control"], v.effect["exposure_canary"]
    head = f"{v.label}: canary {e1} events over {t1:,.0f} vs baseline {e0} over {t0:,.0f}"
    lo, hi = v.interval if v.interval else (float("nan"), float("nan"))
    ratio = "∞" if v.estimate == float("inf") else f"{v.estimate:.2f}×"
    bounds = f"rate ratio {ratio} ({confidence:.0%} bounds {lo:.2f}–{hi:.2f})"
    if e0 + e1 == 0:
        return f"{head}: no events in either cohort — pass."
    if v.classification == "high":
        worse = "fails" if v.failed else "not a failure for this metric"
        return (
            f"{head}, {bounds}: the canary's rate is above the baseline's by more than "
            f"{metric.tolerance:.0%} ({_p(v.p_value, True)}) — {worse}."
        )
    if v.classification == "low":
        return f"{head}, {bounds}: the canary's rate is lower ({_p(v.p_value, True)})."
    if v.classification == "insufficient":
        why = (
            "the baseline had none, so no ratio can be bounded"
            if e0 == 0
            else f"a rate up to {hi:.1f}× the baseline's cannot be ruled out yet"
        )
        return f"{head}, {bounds}: {why} — not enough evidence, pause rather than pass."
    return (
        f"{head}, {bounds}: within tolerance; a rate {metric.max_plausible_ratio:g}× the baseline's "
        "is ruled out — pass."
    )


def checkpoint_sentence(j: CanaryJudgement, config: CanaryConfig, critical: list[MetricVerdict]) -> str:
    active = [v for v in j.verdicts if not v.muted]
    failed = [v.label for v in active if v.failed]
    unsure = [v.label for v in active if v.classification in ("no_data", "error", "insufficient") and not v.failed]
    if critical:
        return (
            f"Fail: critical metric{'s' if len(critical) > 1 else ''} "
            f"{', '.join(v.label for v in critical)} failed, which fails the checkpoint (score 0)."
        )
    limits = f"pass ≥ {config.pass_threshold:g}, marginal ≥ {config.marginal_threshold:g}"
    score = f"score {j.score:.0f}/100 ({limits})"
    if j.outcome == "fail":
        return f"Fail: {score}; worse: {', '.join(failed) or 'none'}."
    if j.outcome == "insufficient":
        return (
            f"Insufficient evidence: {', '.join(unsure) or 'no metric could be scored'} — pause and "
            f"judge again with more data ({score})."
        )
    if j.outcome == "marginal":
        return f"Marginal: {score}; worse: {', '.join(failed)}."
    return f"Pass: {score}; all {len(active)} metrics within tolerance."
