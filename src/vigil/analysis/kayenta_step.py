"""The Kayenta-compatible judge applied to one checkpoint, for a plan with ``judge: kayenta``.

The plan's Kayenta canary config says what to judge and how; each Kayenta metric reads the window of the
plan metric with its name (or label). The result is given to the watch in the same shape as vigil's own
judge (:class:`CanaryJudgement`), so the decision, the readings and the record are built the same way:
Kayenta's Fail is a failed canary, Marginal a marginal one, Pass a pass. Kayenta has no "not enough
evidence" outcome, so this judge never holds on its own; missing data still holds through the readings.
"""

from __future__ import annotations

import numpy as np

from vigil.analysis.canary_step import Window, judge_window
from vigil.analysis.kayenta import KayentaConfig, KayentaMetric, KayentaVerdict, KClass, classify, score
from vigil.analysis.kayenta_models import EffectSize
from vigil.analysis.kayenta_score import KayentaResult
from vigil.analysis.models import CanaryJudgement, Classification, GroupScore, MetricVerdict, Outcome
from vigil.analysis.traffic import Shares
from vigil.plan.kayenta_config import CanaryMetricDoc, KayentaSetup
from vigil.plan.schema import Metric, Plan

_CLASS: dict[KClass, Classification] = {KClass.PASS: "pass", KClass.HIGH: "high", KClass.LOW: "low",
                                        KClass.NODATA: "no_data", KClass.NODATA_FAIL: "no_data",
                                        KClass.ERROR: "error"}
_OUTCOME: dict[str, Outcome] = {"Pass": "pass", "Marginal": "marginal", "Fail": "fail"}


def judge_for_plan(plan: Plan, windows: dict[str, Window], traffic: dict[str, Shares] | None = None
                   ) -> CanaryJudgement:
    """The plan's canary judge on one checkpoint's windows: Kayenta's rules (which, like Kayenta, compare
    the samples as they are) or vigil's own (``traffic``: volume metrics compared per full traffic)."""
    setup = plan.kayenta()
    if plan.judge == "kayenta" and setup is not None:
        return judge_kayenta(plan, setup, windows)
    return judge_window(plan, windows, traffic)


def kayenta_config(plan: Plan, setup: KayentaSetup) -> KayentaConfig:
    """The judge's configuration from the canary config, with the score thresholds of the request (when
    the file had them) or of the plan's ``canary`` options."""
    thresholds = setup.thresholds
    return KayentaConfig(
        metrics=[_metric(m) for m in setup.config.metrics],
        group_weights=dict(setup.config.classifier.groupWeights),
        pass_threshold=thresholds.pass_ if thresholds else plan.canary.pass_threshold,
        marginal_threshold=thresholds.marginal if thresholds else plan.canary.marginal_threshold)


def _metric(doc: CanaryMetricDoc) -> KayentaMetric:
    canary = doc.analysisConfigurations.canary
    effect = canary.effectSize
    return KayentaMetric(
        name=doc.name, groups=list(doc.groups), direction=canary.direction, nan_strategy=canary.nanStrategy,
        critical=canary.critical, must_have_data=canary.mustHaveData, muted=canary.muted,
        effect_size=EffectSize(measure=effect.measure, allowed_increase=effect.allowedIncrease,
                               allowed_decrease=effect.allowedDecrease, critical_increase=effect.criticalIncrease,
                               critical_decrease=effect.criticalDecrease),
        outliers=canary.outliers.strategy, outlier_factor=canary.outliers.outlierFactor)


def plan_metric(plan: Plan, kayenta_name: str) -> Metric:
    """The plan metric a Kayenta metric reads: the one with that name, else with that label."""
    by_name = {m.name: m for m in plan.metrics}
    return by_name.get(kayenta_name) or next(m for m in plan.metrics if m.label == kayenta_name)


def judge_kayenta(plan: Plan, setup: KayentaSetup, windows: dict[str, Window]) -> CanaryJudgement:
    config = kayenta_config(plan, setup)
    verdicts = []
    for metric in config.metrics:
        window = windows.get(plan_metric(plan, metric.name).name)
        # A source that could not answer is no data (Kayenta gets an empty series), never a sample.
        control, experiment = ((window[0].values, window[1].values) if isinstance(window, tuple)
                               else (np.empty(0), np.empty(0)))
        verdicts.append(classify(metric, control, experiment, config))
    return as_judgement(plan, score(verdicts, config), config)


def as_judgement(plan: Plan, result: KayentaResult, config: KayentaConfig) -> CanaryJudgement:
    verdicts = [_verdict(plan, v) for v in result.verdicts]
    groups = [GroupScore(name, value, *_counts(result.verdicts, name)) for name, value in result.group_scores.items()]
    sentence = (f"Kayenta judge (NetflixACAJudge rules): score {result.score:g} — {result.classification} "
                f"(pass ≥ {config.pass_threshold:g}, marginal ≥ {config.marginal_threshold:g}).")
    if result.reason and not result.reason.startswith("Score"):
        sentence += f" {result.reason}."
    reasons = [v.sentence for v in verdicts if v.failed or v.critical]
    return CanaryJudgement(_OUTCOME[result.classification], result.score, groups, verdicts, reasons, sentence)


def _counts(verdicts: list[KayentaVerdict], group: str) -> tuple[float, float]:
    members = [v for v in verdicts if group in v.groups and not v.muted]
    scored = [v for v in members if v.classification in (KClass.PASS, KClass.HIGH, KClass.LOW, KClass.NODATA_FAIL)]
    return float(sum(v.classification is KClass.PASS for v in scored)), float(len(scored))


def _verdict(plan: Plan, v: KayentaVerdict) -> MetricVerdict:
    metric = plan_metric(plan, v.name)
    failed = v.classification in (KClass.HIGH, KClass.LOW, KClass.NODATA_FAIL)
    effect = {"mean_ratio": v.deviation} if v.effect_size is None else {"mean_ratio": v.deviation,
                                                                        "effect_size": v.effect_size}
    return MetricVerdict(
        name=metric.name, label=metric.label, kind="continuous", classification=_CLASS[v.classification],
        failed=failed, critical=v.critical, muted=v.muted, group=v.groups[0] if v.groups else "", weight=1.0,
        n_control=v.n_control, n_canary=v.n_experiment, control_value=None, canary_value=None, statistic=None,
        p_value=None, p_exact=True, estimate=v.estimate, interval=v.interval,
        threshold=v.bounds[1] if v.bounds else None, effect=effect, method="kayenta", sentence=_sentence(metric, v))


def _sentence(metric: Metric, v: KayentaVerdict) -> str:
    text = f"{metric.label}: Kayenta {v.classification.value}"
    if v.interval is not None and v.bounds is not None and v.estimate is not None:
        text += (f" (shift {v.estimate:.4g}, interval [{v.interval[0]:.4g}, {v.interval[1]:.4g}] against "
                 f"±{v.bounds[1]:.4g}, mean ratio {v.deviation:.3g})")
    elif v.reason:
        text += f" ({v.reason})"
    return text + (" — critical failure." if v.critical else ".")
