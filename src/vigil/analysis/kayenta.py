"""Kayenta-compatible judgement: the NetflixACAJudge semantics, for teams leaving Spinnaker.

Per metric (MannWhitneyClassifier): NaNs removed or replaced by 0 (``nan_strategy``), optional IQR outlier
removal, then

* either cohort empty → NoData, or NodataFailMetric when ``must_have_data``;
* identical samples, or a single distinct value across both → Pass (ratio 1);
* the asymptotic Mann–Whitney test of R's ``wilcox.test(experiment, control, conf.int=TRUE,
  conf.level=0.98, correct=TRUE)``: the Hodges–Lehmann estimate and the interval are the roots of the
  continuity-corrected standardised rank statistic of ``experiment − d`` against ``control``, as R and
  Kayenta's Java port find them (here with Brent's method, tolerance 1e-4 like R's ``uniroot``);
* the allowed range is ±``tolerance``·|estimate| (0.25); High if the interval's lower end is above it and
  the direction is increase/either and the effect size reaches ``allowed_increase``; Low symmetrically;
  otherwise Pass. Effect size: ``meanRatio`` (experiment mean / control mean) or ``cles`` (the common
  language effect size, P(experiment > control) + ½·P(tie)).

Scoring (WeightedSumScorer): muted metrics are left out; per group, score = 100·Pass / (Pass + High + Low
+ NodataFailMetric); groups without a weight share what the weighted ones leave of 100 equally; the summary
is Σ score·weight/100 over groups that have a scored metric; a critical metric that is High, Low or
NodataFailMetric sets the score to 0; and when half or more of the metrics have no data, the score is 0.
The summary is Pass at ``pass_threshold``, Marginal at ``marginal_threshold``, else Fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import optimize, special, stats

from vigil.analysis.models import FloatArray


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EffectSize(_Strict):
    measure: Literal["meanRatio", "cles"] = "meanRatio"
    allowed_increase: float = 1.0
    allowed_decrease: float = 1.0


class KayentaMetric(_Strict):
    name: str = Field(min_length=1)
    groups: list[str] = Field(default_factory=lambda: ["default"])
    direction: Literal["increase", "decrease", "either"] = "either"
    nan_strategy: Literal["remove", "replace"] = "remove"
    critical: bool = False
    must_have_data: bool = False
    muted: bool = False
    effect_size: EffectSize = EffectSize()
    outliers: Literal["keep", "remove"] = "keep"
    outlier_factor: float = Field(default=3.0, gt=0)


class KayentaConfig(_Strict):
    metrics: list[KayentaMetric] = Field(min_length=1)
    group_weights: dict[str, float] = Field(default_factory=dict)
    confidence: float = Field(default=0.98, gt=0.5, lt=1)
    tolerance: float = Field(default=0.25, ge=0)
    pass_threshold: float = 95.0
    marginal_threshold: float = 75.0


KClass = Literal["Pass", "High", "Low", "Nodata", "NodataFailMetric", "Error"]


@dataclass(frozen=True)
class KayentaVerdict:
    name: str
    classification: KClass
    n_control: int
    n_experiment: int
    p_value: float | None
    estimate: float | None
    interval: tuple[float, float] | None
    bounds: tuple[float, float] | None  # the allowed range ±tolerance·|estimate|
    effect_size: float | None
    critical: bool
    muted: bool
    groups: tuple[str, ...]
    sentence: str


@dataclass(frozen=True)
class KayentaResult:
    score: float
    classification: Literal["Pass", "Marginal", "Fail"]
    group_scores: dict[str, float]
    verdicts: list[KayentaVerdict]
    reason: str


def _prepare(values: FloatArray, metric: KayentaMetric) -> FloatArray:
    values = np.asarray(values, dtype=np.float64)
    values = np.where(np.isnan(values), 0.0, values) if metric.nan_strategy == "replace" else values[~np.isnan(values)]
    if metric.outliers == "remove" and values.size:
        q1, q3 = np.percentile(values, [25, 75])
        spread = metric.outlier_factor * (q3 - q1)
        values = values[(values >= q1 - spread) & (values <= q3 + spread)]
    return values


def _wdiff(d: float, experiment: FloatArray, control: FloatArray, zq: float) -> float:
    """R's ``wdiff``: the standardised, continuity-corrected rank statistic of experiment − d, minus zq."""
    n_x, n_y = experiment.size, control.size
    dr = np.concatenate([experiment - d, control])
    ranks = stats.rankdata(dr)
    _, ties = np.unique(dr, return_counts=True)
    dz = ranks[:n_x].sum() - n_x * (n_x + 1) / 2 - n_x * n_y / 2
    correction = np.sign(dz) * 0.5
    sigma = np.sqrt((n_x * n_y / 12) * ((n_x + n_y + 1) - np.sum(ties**3 - ties) / ((n_x + n_y) * (n_x + n_y - 1))))
    return float((dz - correction) / sigma - zq)


def _root(experiment: FloatArray, control: FloatArray, zq: float, lo: float, hi: float) -> float:
    f_lo, f_hi = _wdiff(lo, experiment, control, zq), _wdiff(hi, experiment, control, zq)
    if f_lo <= 0:
        return lo
    if f_hi >= 0:
        return hi
    return float(optimize.brentq(_wdiff, lo, hi, args=(experiment, control, zq), xtol=1e-4))


def mann_whitney_r(experiment: FloatArray, control: FloatArray, confidence: float) -> tuple[float, float, float, float]:
    """p-value, estimate and interval as R's asymptotic ``wilcox.test`` with ``conf.int=TRUE``."""
    p = stats.mannwhitneyu(experiment, control, alternative="two-sided", method="asymptotic").pvalue
    lo, hi = float(experiment.min() - control.max()), float(experiment.max() - control.min())
    z = float(-special.ndtri((1 - confidence) / 2))
    low, high = _root(experiment, control, z, lo, hi), _root(experiment, control, -z, lo, hi)
    estimate = _root(experiment, control, 0.0, lo, hi)
    return float(p), estimate, low, high


def classify(
    metric: KayentaMetric, control: FloatArray, experiment: FloatArray, config: KayentaConfig
) -> KayentaVerdict:
    control, experiment = _prepare(control, metric), _prepare(experiment, metric)
    base: dict[str, Any] = dict(
        name=metric.name,
        n_control=int(control.size),
        n_experiment=int(experiment.size),
        critical=metric.critical,
        muted=metric.muted,
        groups=tuple(metric.groups),
    )
    if control.size == 0 or experiment.size == 0:
        cls: KClass = "NodataFailMetric" if metric.must_have_data else "Nodata"
        return KayentaVerdict(
            classification=cls,
            p_value=None,
            estimate=None,
            interval=None,
            bounds=None,
            effect_size=None,
            sentence=f"{metric.name}: no data ({cls}).",
            **base,
        )
    if np.array_equal(np.sort(control), np.sort(experiment)) or np.unique(np.r_[control, experiment]).size == 1:
        return KayentaVerdict(
            classification="Pass",
            p_value=None,
            estimate=0.0,
            interval=None,
            bounds=None,
            effect_size=1.0,
            sentence=f"{metric.name}: identical samples — Pass.",
            **base,
        )
    p, estimate, low, high = mann_whitney_r(experiment, control, config.confidence)
    critical_value = config.tolerance * abs(estimate)
    effect = _effect(metric.effect_size.measure, control, experiment)
    cls = "Pass"
    if (
        metric.direction in ("increase", "either")
        and low > critical_value
        and effect >= metric.effect_size.allowed_increase
    ):
        cls = "High"
    elif (
        metric.direction in ("decrease", "either")
        and high < -critical_value
        and effect <= metric.effect_size.allowed_decrease
    ):
        cls = "Low"
    sentence = (
        f"{metric.name}: estimate {estimate:.4g}, {config.confidence:.0%} interval [{low:.4g}, {high:.4g}] "
        f"against ±{critical_value:.4g}, {metric.effect_size.measure} {effect:.3g} — {cls}."
    )
    return KayentaVerdict(
        classification=cls,
        p_value=p,
        estimate=estimate,
        interval=(low, high),
        bounds=(-critical_value, critical_value),
        effect_size=effect,
        sentence=sentence,
        **base,
    )


def _effect(measure: str, control: FloatArray, experiment: FloatArray) -> float:
    if measure == "cles":
        u = stats.mannwhitneyu(experiment, control, method="asymptotic").statistic
        return float(u / (control.size * experiment.size))
    mean = float(np.mean(control))
    return float(np.mean(experiment) / mean) if mean else float("inf")


def judge(config: KayentaConfig, data: dict[str, tuple[FloatArray, FloatArray]]) -> KayentaResult:
    """``data`` maps metric name to (control, experiment) samples; a missing metric has no data."""
    empty = np.empty(0)
    verdicts = [classify(m, *data.get(m.name, (empty, empty)), config) for m in config.metrics]
    return score(verdicts, config)


def score(verdicts: list[KayentaVerdict], config: KayentaConfig) -> KayentaResult:
    active = [v for v in verdicts if not v.muted]
    labels: dict[str, list[str]] = {}
    for v in active:
        for g in v.groups:
            labels.setdefault(g, []).append(v.classification)
    groups: dict[str, float] = {}
    for name, classes in labels.items():
        scored = [c for c in classes if c in ("Pass", "High", "Low", "NodataFailMetric")]
        if scored:
            groups[name] = 100.0 * scored.count("Pass") / len(scored)
    weights = config.group_weights
    unweighted = set(labels) - set(weights)
    fill = (100.0 - sum(weights.values())) / len(unweighted) if unweighted else 0.0
    summary = sum(s * weights.get(g, fill) / 100 for g, s in groups.items())
    nodata = sum(v.classification in ("Nodata", "NodataFailMetric") for v in active)
    if any(v.critical and v.classification in ("High", "Low", "NodataFailMetric") for v in active):
        summary, reason = 0.0, "At least one critical metric was classified as a failure."
    elif active and nodata / len(active) >= 0.5:
        summary, reason = 0.0, "Half or more of the metrics had no data."
    else:
        reason = ""
    cls: Literal["Pass", "Marginal", "Fail"] = (
        "Pass" if summary >= config.pass_threshold else "Marginal" if summary >= config.marginal_threshold else "Fail"
    )
    if reason:
        cls = "Fail"
    return KayentaResult(summary, cls, groups, verdicts, reason or f"Score {summary:.1f}.")
