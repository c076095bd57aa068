"""Kayenta-compatible judgement: NetflixACAJudge's metric classification, for teams leaving Spinnaker.

Per metric (MannWhitneyClassifier), after NaNs are removed or replaced by 0 (``nan_strategy``) and,
optionally, outliers removed (Kayenta's reduced-sensitivity IQR fence):

* a cohort empty: with ``remove``, NodataFailMetric if ``must_have_data`` and not critical, else Nodata
  (critical when the metric is); with ``replace``, Pass — as Kayenta;
* identical samples, or one distinct value across both → Pass (ratio 1);
* otherwise the shift interval of R's ``wilcox.test`` (:mod:`vigil.analysis.kayenta_mw`); the allowed
  range is ±``tolerance``·|estimate|; High when the interval's lower end is above it, the direction is
  increase/either and the effect size reaches ``allowed_increase``; Low symmetrically; else Pass. The
  effect size is ``meanRatio`` (NaN when a mean is zero: the effect-size gate is then skipped) or ``cles``
  (default thresholds 0.5 instead of 1.0). A critical metric is a *critical* failure when High/Low and its
  effect reaches ``critical_increase``/``critical_decrease`` (or is NaN).

Two constant cohorts with different values: Kayenta adds Gaussian noise of 1e-5 × the value so the rank
test can run, which makes the two cohorts completely separated; the interval is then the difference
itself to within that noise. vigil uses the difference exactly (no randomness in evidence), which gives
Kayenta's classification.

Scoring is in :mod:`vigil.analysis.kayenta_score`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vigil.analysis.kayenta_models import EffectSize, KayentaConfig, KayentaMetric, KayentaVerdict, KClass
from vigil.analysis.kayenta_mw import TiedObservations, cles, mean_ratio, shift_interval
from vigil.analysis.kayenta_score import KayentaResult, score
from vigil.analysis.models import FloatArray

__all__ = ["EffectSize", "KClass", "KayentaConfig", "KayentaMetric", "KayentaResult", "KayentaVerdict",
           "classify", "judge", "prepare", "score"]


def prepare(values: FloatArray, metric: KayentaMetric) -> FloatArray:
    """NaN handling, then optional outlier removal, as Kayenta's transforms."""
    values = np.asarray(values, dtype=np.float64)
    nan = np.isnan(values)
    values = np.where(nan, 0.0, values) if metric.nan_strategy == "replace" else values[~nan]
    # ±inf is not a measurement (Kayenta's root finder cannot bracket it): left out, never a crash.
    values = values[np.isfinite(values)]
    if metric.outliers == "remove" and values.size:
        values = _remove_outliers(values, metric.outlier_factor)
    return values


def _remove_outliers(values: FloatArray, factor: float) -> FloatArray:
    # Kayenta's IQRDetector(reduceSensitivity = true): Tukey's fences widened to the 1st/99th percentiles,
    # with the (n+1)p percentile estimate of Commons Math.
    p1, q1, q3, p99 = np.percentile(values, [1, 25, 75, 99], method="weibull")
    spread = factor * (q3 - q1)
    low, high = min(p1, q1 - spread), max(p99, q3 + spread)
    kept: FloatArray = values[(values >= low) & (values <= high)]
    return kept


def classify(metric: KayentaMetric, control: FloatArray, experiment: FloatArray,
             config: KayentaConfig) -> KayentaVerdict:
    control, experiment = prepare(control, metric), prepare(experiment, metric)
    base: dict[str, Any] = dict(name=metric.name, muted=metric.muted, groups=tuple(metric.groups),
                                n_control=int(control.size), n_experiment=int(experiment.size))
    plain: dict[str, Any] = dict(estimate=None, interval=None, bounds=None, deviation=1.0, effect_size=None)
    if control.size == 0 or experiment.size == 0:
        if metric.nan_strategy == "replace":
            return KayentaVerdict(classification=KClass.PASS, critical=False, reason="", **plain, **base)
        reason = f"Missing data for {metric.name}"
        if metric.must_have_data and not metric.critical:
            return KayentaVerdict(classification=KClass.NODATA_FAIL, critical=False, reason=reason, **plain, **base)
        return KayentaVerdict(classification=KClass.NODATA, critical=metric.critical, reason=reason, **plain, **base)
    if np.array_equal(np.sort(control), np.sort(experiment)):
        reason = "The Canary and Baseline data are identical"
        return KayentaVerdict(classification=KClass.PASS, critical=False, reason=reason, **plain, **base)
    if np.unique(np.concatenate([control, experiment])).size == 1:
        return KayentaVerdict(classification=KClass.PASS, critical=False, reason="", **plain, **base)
    try:
        return _compare(metric, control, experiment, config, base)
    except TiedObservations as exc:  # float precision can tie every value at a shift (values near 2**53)
        # Kayenta's judge records a failed classification as Error without a critical flag: it decides nothing.
        return KayentaVerdict(classification=KClass.ERROR, critical=False,
                              reason=f"Metric Classification Failed: {exc}", **plain, **base)


def _compare(metric: KayentaMetric, control: FloatArray, experiment: FloatArray, config: KayentaConfig,
             base: dict[str, Any]) -> KayentaVerdict:
    if np.ptp(control) == 0 and np.ptp(experiment) == 0:
        shift = float(experiment[0] - control[0])  # see the module docstring: Kayenta's noise, without noise
        low, high, estimate = shift, shift, shift
    else:
        low, high, estimate = shift_interval(experiment, control, config.confidence)
    bound = config.tolerance * abs(estimate)
    deviation = mean_ratio(control, experiment)
    effect = cles(control, experiment) if metric.effect_size.measure == "cles" else deviation
    allowed_decrease, allowed_increase = metric.effect_size.thresholds()
    unknown_effect = bool(np.isnan(effect))
    is_high = (metric.direction in ("increase", "either") and low > bound
               and (unknown_effect or effect >= allowed_increase))
    is_low = (metric.direction in ("decrease", "either") and high < -bound
              and (unknown_effect or effect <= allowed_decrease))
    cls = KClass.HIGH if is_high else KClass.LOW if is_low else KClass.PASS
    critical = metric.critical and (
        (cls is KClass.HIGH and (unknown_effect or effect >= metric.effect_size.critical_increase))
        or (cls is KClass.LOW and (unknown_effect or effect <= metric.effect_size.critical_decrease)))
    reason = "" if cls is KClass.PASS else f"{metric.name} was classified as {cls.value}"
    if critical:
        reason = f"The metric {metric.name} was classified as {cls.value} (Critical)"
    return KayentaVerdict(classification=cls, critical=critical, estimate=estimate, interval=(low, high),
                          bounds=(-bound, bound), deviation=deviation, effect_size=effect, reason=reason, **base)


def judge(config: KayentaConfig, data: dict[str, tuple[FloatArray, FloatArray]]) -> KayentaResult:
    """``data`` maps metric name to (control, experiment) samples; a missing metric has no data."""
    empty = np.empty(0)
    verdicts = [classify(m, *data.get(m.name, (empty, empty)), config) for m in config.metrics]
    return score(verdicts, config)
