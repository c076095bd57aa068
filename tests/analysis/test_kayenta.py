"""Kayenta-compatible mode: NetflixACAJudge's classification and scoring rules."""

from __future__ import annotations

import numpy as np
import pytest

from vigil.analysis.kayenta import EffectSize, KayentaConfig, KayentaMetric, classify, judge, mann_whitney_r

RNG = np.random.default_rng(2)
CFG = KayentaConfig(metrics=[KayentaMetric(name="x")])


def _n(mean: float, n: int = 300) -> np.ndarray:
    return RNG.normal(mean, 10, n)


def test_estimate_and_interval_follow_the_rank_statistic() -> None:
    x, y = RNG.normal(0, 1, 300), RNG.normal(0.5, 1, 300)
    p, estimate, low, high = mann_whitney_r(y, x, 0.98)
    diffs = np.sort((y[:, None] - x[None, :]).ravel())
    assert estimate == pytest.approx(np.median(diffs), abs=2e-3)
    # The rank-based interval is the pair of order statistics of the differences at k and nm+1−k.
    k = int(diffs.size / 2 - 2.326 * np.sqrt(300 * 300 * 601 / 12))
    assert low == pytest.approx(diffs[k], abs=5e-3) and high == pytest.approx(diffs[-k - 1], abs=5e-3)
    assert p < 1e-6


def test_classifications() -> None:
    m = KayentaMetric(name="x")
    assert classify(m, _n(100), _n(130), CFG).classification == "High"
    assert classify(m, _n(100), _n(70), CFG).classification == "Low"
    assert classify(KayentaMetric(name="x", direction="increase"), _n(100), _n(70), CFG).classification == "Pass"
    same = _n(100)
    assert classify(m, same, same[::-1].copy(), CFG).classification == "Pass"
    assert classify(m, np.full(20, 3.0), np.full(30, 3.0), CFG).classification == "Pass"
    assert classify(m, np.array([]), _n(1), CFG).classification == "Nodata"
    required = KayentaMetric(name="x", must_have_data=True)
    assert classify(required, np.array([np.nan]), _n(100), CFG).classification == "NodataFailMetric"
    replaced = KayentaMetric(name="x", nan_strategy="replace")
    assert classify(replaced, np.array([np.nan] * 50), np.zeros(50), CFG).classification == "Pass"


def test_tolerance_is_a_quarter_of_the_estimate() -> None:
    v = classify(KayentaMetric(name="x"), _n(100), _n(104), CFG)
    assert v.bounds is not None and v.estimate is not None and v.interval is not None
    assert v.bounds[1] == pytest.approx(0.25 * abs(v.estimate))
    assert v.classification == ("High" if v.interval[0] > v.bounds[1] else "Pass")


def test_effect_size_threshold_can_veto_a_high() -> None:
    lenient = KayentaMetric(name="x", effect_size=EffectSize(allowed_increase=1.5))
    assert classify(lenient, _n(100), _n(130), CFG).classification == "Pass"
    cles = KayentaMetric(name="x", effect_size=EffectSize(measure="cles", allowed_increase=0.9))
    v = classify(cles, _n(100), _n(110), CFG)
    assert 0.5 < (v.effect_size or 0) < 0.9 and v.classification == "Pass"


def test_scoring_groups_critical_and_no_data() -> None:
    metrics = [
        KayentaMetric(name="a", groups=["lat"]),
        KayentaMetric(name="b", groups=["lat"]),
        KayentaMetric(name="c", groups=["err"]),
        KayentaMetric(name="d", groups=["err"], muted=True),
    ]
    cfg = KayentaConfig(metrics=metrics, group_weights={"lat": 60})
    data = {"a": (_n(100), _n(140)), "b": (_n(100), _n(100)), "c": (_n(100), _n(100)), "d": (_n(1), _n(90))}
    r = judge(cfg, data)
    assert r.group_scores == {"lat": 50.0, "err": 100.0}
    assert r.score == pytest.approx(50 * 0.6 + 100 * 0.4)
    assert r.classification == "Fail"
    critical = KayentaConfig(metrics=[KayentaMetric(name="a", critical=True), KayentaMetric(name="b")])
    r = judge(critical, {"a": (_n(100), _n(140)), "b": (_n(100), _n(100))})
    assert r.score == 0.0 and r.classification == "Fail"
    half = KayentaConfig(metrics=[KayentaMetric(name="a"), KayentaMetric(name="b")])
    r = judge(half, {"a": (_n(100), _n(100))})
    assert r.score == 0.0 and "no data" in r.reason
