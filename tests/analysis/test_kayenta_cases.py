"""Kayenta's own judge test suites (ClassifierSuite, MannWhitneySuite, ScorerSuite), every literal case.

The cases are data (tests/data/kayenta/cases.json, Apache-2.0, see NOTICE). Where vigil deliberately
differs, tests/data/kayenta/differences.json says how and why, and the case asserts that difference.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vigil.analysis.kayenta import (
    EffectSize,
    KayentaConfig,
    KayentaMetric,
    KayentaVerdict,
    KClass,
    classify,
    score,
)
from vigil.analysis.kayenta_mw import shift_interval, wilcoxon_diff, z_quantile

DATA = Path(__file__).parent.parent / "data" / "kayenta"
CASES: dict[str, list[dict[str, Any]]] = json.loads((DATA / "cases.json").read_text())
DIFFERENCES: dict[str, Any] = json.loads((DATA / "differences.json").read_text())


def _ids(suite: str) -> list[str]:
    return [f"{c['line']}:{c['name']}" for c in CASES[suite]]


def _key(case: dict[str, Any]) -> str:
    return f"{case['suite']}/{case['name']}"


def test_every_literal_case_is_here() -> None:
    assert {k: len(v) for k, v in CASES.items()} == {"classifier": 37, "mannwhitney": 7, "scorer": 13}
    names = {_key(c) for cases in CASES.values() for c in cases}
    assert set(DIFFERENCES) - {"_about"} <= names  # every documented difference names a real case


def _metric(case: dict[str, Any]) -> tuple[KayentaMetric, KayentaConfig]:
    p = case["params"]
    (decrease, increase), (critical_decrease, critical_increase) = p["effectSizeThresholds"], p["criticalThresholds"]
    metric = KayentaMetric(
        name="m", direction=case["direction"], nan_strategy=case["nan_strategy"], critical=case["critical"],
        must_have_data=case["data_required"],
        effect_size=EffectSize(measure=p["effectSizeMeasure"], allowed_decrease=decrease, allowed_increase=increase,
                               critical_decrease=critical_decrease, critical_increase=critical_increase))
    return metric, KayentaConfig(metrics=[metric], confidence=p["confLevel"], tolerance=p["tolerance"])


@pytest.mark.parametrize("case", CASES["classifier"], ids=_ids("classifier"))
def test_classifier_suite(case: dict[str, Any]) -> None:
    metric, config = _metric(case)
    verdict = classify(metric, np.array(case["control"], dtype=float), np.array(case["experiment"], dtype=float),
                       config)
    expected = case["expected"]
    if "classification" in expected:
        assert verdict.classification.value == expected["classification"]
    if "critical" in expected:
        assert verdict.critical is expected["critical"]
    if expected.get("deviation") == "NaN":
        assert math.isnan(verdict.deviation)
    elif "deviation" in expected:
        assert verdict.deviation == expected["deviation"]
    if expected.get("reason_nonempty"):
        assert verdict.reason
    if _key(case) in DIFFERENCES:  # the Mean Inequality cases: judged by the one classifier vigil has
        assert case["classifier"] == "MeanInequalityClassifier"


@pytest.mark.parametrize("case", CASES["mannwhitney"], ids=_ids("mannwhitney"))
def test_mannwhitney_suite(case: dict[str, Any]) -> None:
    expected = case["expected"]
    if "zQuant" in expected:
        assert _key(case) in DIFFERENCES
        assert z_quantile(0.98) == pytest.approx(expected["zQuant"], abs=1e-6)
        assert z_quantile(case["confidence"]) == pytest.approx(-1.959964, abs=1e-6)
        return
    experiment = np.array(case.get("experiment", case.get("experimentData", case.get("x"))), dtype=float)
    control = np.array(case.get("control", case.get("controlData", case.get("y"))), dtype=float)
    if "wilcoxonDiff" in expected:
        for point in expected["wilcoxonDiff"]:
            value = wilcoxon_diff(point["mu"], point["quantile"], experiment, control)
            assert value == pytest.approx(point["value"], abs=1e-5)
        return
    low, high, estimate = shift_interval(experiment, control, case["confidence"])
    if "rMumin" in expected:  # R's intermediate values: the search range, the end values and the roots
        _assert_intermediates(expected, experiment, control, case["confidence"], (low, high, estimate))
        return
    for name, value in (("ci_low", low), ("ci_high", high), ("estimate", estimate)):
        target, tolerance = expected[name]
        assert value == pytest.approx(target, abs=tolerance), name


def _assert_intermediates(expected: dict[str, float], x: np.ndarray, y: np.ndarray, confidence: float,
                          roots: tuple[float, float, float]) -> None:
    mu_min, mu_max = float(x.min() - y.max()), float(x.max() - y.min())
    assert mu_min == pytest.approx(expected["rMumin"], abs=1e-9)
    assert mu_max == pytest.approx(expected["rMumax"], abs=1e-9)
    z_lower, z_upper = -z_quantile(confidence), z_quantile(confidence)
    assert (z_lower, z_upper) == pytest.approx((expected["rZqLower"], expected["rZqUpper"]), abs=1e-9)
    ends = [wilcoxon_diff(mu, z, x, y) for z in (z_lower, z_upper) for mu in (mu_min, mu_max)]
    assert ends == pytest.approx([expected[k] for k in ("rFlower1", "rFupper1", "rFlower2", "rFupper2")], abs=1e-6)
    assert roots[0] == pytest.approx(expected["rCil"], abs=1e-6)
    assert roots[1] == pytest.approx(expected["rCiu"], abs=1e-6)
    assert roots[2] == pytest.approx(expected["rEst"], abs=1e-4)


def _scored(metric: dict[str, Any]) -> KayentaVerdict:
    return KayentaVerdict(name=metric["name"], classification=KClass(metric["classification"]),
                          critical=metric["critical"], muted=False, groups=tuple(metric["groups"]), n_control=0,
                          n_experiment=0, estimate=None, interval=None, bounds=None, deviation=1.0,
                          effect_size=None, reason="")


@pytest.mark.parametrize("case", CASES["scorer"], ids=_ids("scorer"))
def test_scorer_suite(case: dict[str, Any]) -> None:
    config = KayentaConfig(metrics=[KayentaMetric(name=m["name"]) for m in case["metrics"]],
                           group_weights=case["weights"])
    result = score([_scored(m) for m in case["metrics"]], config)
    assert result.score == case["expected"]["summary"]  # exact: Kayenta rounds to two decimals
    if "group_scores" in case["expected"]:
        assert sorted(result.group_scores.values()) == case["expected"]["group_scores"]
