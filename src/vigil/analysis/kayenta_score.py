"""Kayenta's WeightedSumScorer and ThresholdScoreClassifier over Kayenta-mode verdicts.

* Muted metrics are left out of everything below.
* Group score = 100 · Pass / (Pass + High + Low + NodataFailMetric); a group with none of those (only
  Nodata) is *reported* as 0 but counts as 100 in the summary — a metric that is allowed to have no data
  never penalises the canary.
* Groups without a configured weight share what the configured weights leave of 100, equally.
* Summary = Σ effective group score × weight / 100, rounded half-up to two decimals (Commons Math
  ``MathUtils.round(x, 2)``, which rounds the decimal string of the double).
* Canary fails with score 0 when any verdict is a critical failure (critical and not Pass), or when half
  or more of the metrics are Nodata.
* Pass at ``pass_threshold``, Marginal at ``marginal_threshold``, else Fail (inclusive). Unlike Kayenta,
  a canary failed by a critical metric or by missing data is Fail even if a threshold is set to 0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from vigil.analysis.kayenta_models import KayentaConfig, KayentaVerdict, KClass

NODATA_THRESHOLD = 50.0  # percent of metrics classified Nodata at which the canary fails
_SCORED = (KClass.PASS, KClass.HIGH, KClass.LOW, KClass.NODATA_FAIL)

Summary = Literal["Pass", "Marginal", "Fail"]


@dataclass(frozen=True)
class KayentaResult:
    score: float
    classification: Summary
    group_scores: dict[str, float]  # as Kayenta reports them (a no-data group shows 0)
    nodata_groups: tuple[str, ...]  # groups with no scored metric (counted as 100 in the summary)
    verdicts: list[KayentaVerdict]
    reason: str


def round_half_up(value: float, places: int = 2) -> float:
    """Commons Math ``MathUtils.round``: the double's decimal string rounded half-up."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def group_scores(verdicts: list[KayentaVerdict]) -> tuple[dict[str, float], set[str]]:
    """Each group's reported score, and the groups that have no scored metric."""
    labels: dict[str, list[KClass]] = {}
    for verdict in verdicts:
        for group in verdict.groups:
            labels.setdefault(group, []).append(verdict.classification)
    scores: dict[str, float] = {}
    empty: set[str] = set()
    for group, classes in labels.items():
        counts = Counter(classes)
        total = sum(counts[c] for c in _SCORED)
        scores[group] = 100.0 * counts[KClass.PASS] / total if total else 0.0
        if not total:
            empty.add(group)
    return scores, empty


def summary_score(scores: dict[str, float], empty: set[str], weights: dict[str, float]) -> float:
    unweighted = set(scores) - set(weights)
    share = (100.0 - sum(weights.values())) / len(unweighted) if unweighted else 0.0
    total = 0.0
    for group, value in scores.items():
        effective = 100.0 if group in empty else value
        total += effective * (weights.get(group, share) / 100)
    return round_half_up(total)


def score(verdicts: list[KayentaVerdict], config: KayentaConfig) -> KayentaResult:
    active = [v for v in verdicts if not v.muted]
    scores, empty = group_scores(active)
    critical = [v for v in active if v.critical and v.classification is not KClass.PASS]
    nodata = sum(v.classification is KClass.NODATA for v in active)
    if critical:
        value, reason = 0.0, f"Canary Failed: {critical[0].reason or critical[0].name}"
    elif active and 100.0 * nodata / len(active) >= NODATA_THRESHOLD:
        value, reason = 0.0, f"Canary Failed: {NODATA_THRESHOLD:.0f}% or more metrics returned NODATA"
    else:
        value, reason = summary_score(scores, empty, config.group_weights), ""
    label: Summary = ("Pass" if value >= config.pass_threshold
                      else "Marginal" if value >= config.marginal_threshold else "Fail")
    if reason:
        label = "Fail"
    return KayentaResult(value, label, scores, tuple(sorted(empty)), verdicts, reason or f"Score {value:g}.")
