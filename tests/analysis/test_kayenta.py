"""Kayenta-compatible mode: NetflixACAJudge's classification and scoring rules, over generated inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from vigil.analysis.kayenta import (
    EffectSize,
    KayentaConfig,
    KayentaMetric,
    KayentaVerdict,
    KClass,
    classify,
    judge,
    score,
)
from vigil.analysis.kayenta_mw import shift_interval

RNG = np.random.default_rng(2)
CFG = KayentaConfig(metrics=[KayentaMetric(name="x")])
FAST = settings(max_examples=60, deadline=None)


def _n(mean: float, n: int = 300) -> np.ndarray:
    return RNG.normal(mean, 10, n)


def test_estimate_and_interval_follow_the_rank_statistic() -> None:
    x, y = RNG.normal(0, 1, 300), RNG.normal(0.5, 1, 300)
    low, high, estimate = shift_interval(y, x, 0.98)
    diffs = np.sort((y[:, None] - x[None, :]).ravel())
    assert estimate == pytest.approx(np.median(diffs), abs=2e-3)
    # The rank-based interval is the pair of order statistics of the differences at k and nm+1−k.
    k = int(diffs.size / 2 - 2.326 * np.sqrt(300 * 300 * 601 / 12))
    assert low == pytest.approx(diffs[k], abs=5e-3) and high == pytest.approx(diffs[-k - 1], abs=5e-3)


def test_classifications() -> None:
    m = KayentaMetric(name="x")
    assert classify(m, _n(100), _n(130), CFG).classification is KClass.HIGH
    assert classify(m, _n(100), _n(70), CFG).classification is KClass.LOW
    assert classify(KayentaMetric(name="x", direction="increase"), _n(100), _n(70), CFG).classification is KClass.PASS
    assert classify(m, np.array([]), _n(1), CFG).classification is KClass.NODATA
    required = KayentaMetric(name="x", must_have_data=True)
    assert classify(required, np.array([np.nan]), _n(100), CFG).classification is KClass.NODATA_FAIL
    replaced = KayentaMetric(name="x", nan_strategy="replace")
    assert classify(replaced, np.array([np.nan] * 50), np.zeros(50), CFG).classification is KClass.PASS


def test_tolerance_is_a_quarter_of_the_estimate() -> None:
    v = classify(KayentaMetric(name="x"), _n(100), _n(104), CFG)
    assert v.bounds is not None and v.estimate is not None and v.interval is not None
    assert v.bounds[1] == pytest.approx(0.25 * abs(v.estimate))
    assert v.classification is (KClass.HIGH if v.interval[0] > v.bounds[1] else KClass.PASS)


def test_effect_size_threshold_can_veto_a_high() -> None:
    lenient = KayentaMetric(name="x", effect_size=EffectSize(allowed_increase=1.5))
    assert classify(lenient, _n(100), _n(130), CFG).classification is KClass.PASS
    cles = KayentaMetric(name="x", effect_size=EffectSize(measure="cles", allowed_increase=0.9))
    v = classify(cles, _n(100), _n(110), CFG)
    assert 0.5 < (v.effect_size or 0) < 0.9 and v.classification is KClass.PASS


def test_outlier_removal_keeps_the_1st_to_99th_percentile_at_least() -> None:
    values = np.r_[np.linspace(10, 11, 200), 1e6]
    kept = KayentaMetric(name="x", outliers="remove")
    v = classify(kept, values, values[:-1], CFG)  # the outlier is removed: both cohorts are then identical
    assert v.classification is KClass.PASS and v.n_control == 200


# --- the rules behind the mismatches issue 17 names, each over generated inputs -----------------

levels = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-3 or v == 0)
sizes = st.integers(min_value=1, max_value=40)


@FAST
@given(control=levels, experiment=levels, n0=sizes, n1=sizes)
def test_two_single_valued_cohorts_classify_by_their_difference(control: float, experiment: float, n0: int,
                                                                  n1: int) -> None:
    """All a vs all b never raises: b > a is High and b < a is Low (Kayenta's noisy test separates them
    completely), unless the mean-ratio gate vetoes it: Kayenta's ratio of two negative means is above 1
    for a decrease, so on a negative metric a decrease is a Pass (kept, as Kayenta)."""
    v = classify(KayentaMetric(name="x"), np.full(n0, control), np.full(n1, experiment), CFG)
    ratio = experiment / control if control and experiment else float("nan")
    ungated = np.isnan(ratio)
    if experiment > control and (ungated or ratio >= 1):
        assert v.classification is KClass.HIGH
    elif experiment < control and (ungated or ratio <= 1):
        assert v.classification is KClass.LOW
    else:
        assert v.classification is KClass.PASS
    if min(control, experiment) >= 0:  # non-negative levels (most metrics): the difference alone decides
        assert v.classification is {1: KClass.HIGH, -1: KClass.LOW, 0: KClass.PASS}[int(np.sign(experiment - control))]


def _verdict(name: str, cls: KClass, groups: tuple[str, ...], critical: bool = False,
             muted: bool = False) -> KayentaVerdict:
    return KayentaVerdict(name=name, classification=cls, critical=critical, muted=muted, groups=groups,
                          n_control=0, n_experiment=0, estimate=None, interval=None, bounds=None,
                          deviation=1.0, effect_size=None, reason="")


samples = st.lists(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=1, max_size=30)


@FAST
@given(others=st.lists(samples, min_size=0, max_size=4), must_have=st.booleans())
def test_a_critical_metric_without_data_fails_the_canary(others: list[list[float]], must_have: bool) -> None:
    metrics = [KayentaMetric(name="c", critical=True, must_have_data=must_have)]
    metrics += [KayentaMetric(name=f"m{i}") for i in range(len(others))]
    data = {f"m{i}": (np.array(v), np.array(v)) for i, v in enumerate(others)}
    data["c"] = (np.array([np.nan, np.nan]), np.array([1.0, 2.0]))  # NaNs removed: no data
    result = judge(KayentaConfig(metrics=metrics), data)
    assert result.score == 0.0 and result.classification == "Fail"


classes = st.sampled_from([KClass.PASS, KClass.HIGH, KClass.LOW, KClass.NODATA_FAIL])


@FAST
@given(scored=st.lists(st.tuples(classes, st.sampled_from(["a", "b", "c"])), min_size=3, max_size=12),
       empty=st.integers(min_value=1, max_value=2))
def test_a_group_without_data_counts_as_a_passing_group(scored: list[tuple[KClass, str]], empty: int) -> None:
    """Nodata-only group G: the summary equals that of the same canary with G's metrics all Pass."""
    config = KayentaConfig(metrics=[KayentaMetric(name="x")])
    base = [_verdict(f"s{i}", cls, (group,)) for i, (cls, group) in enumerate(scored)]
    with_nodata = base + [_verdict(f"n{i}", KClass.NODATA, ("nodata",)) for i in range(empty)]
    with_pass = base + [_verdict(f"n{i}", KClass.PASS, ("nodata",)) for i in range(empty)]
    reported = score(with_nodata, config)
    assert reported.score == score(with_pass, config).score
    assert reported.group_scores["nodata"] == 0.0 and reported.nodata_groups == ("nodata",)


@FAST
@given(control=st.lists(st.floats(min_value=-50, max_value=50, allow_nan=False), min_size=2, max_size=20),
       shift=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
       allowed=st.tuples(st.floats(0.1, 5), st.floats(0.1, 5)))
def test_a_zero_mean_ignores_the_effect_size_and_mirrors_under_negation(
        control: list[float], shift: float, allowed: tuple[float, float]) -> None:
    """Control mean 0: the ratio is NaN, the effect-size gate is skipped, and negating the data mirrors
    the verdict (High ↔ Low) — it never flips to Pass because the metric is negative."""
    base = np.array(control) - np.mean(control)
    if np.mean(base) != 0.0:
        base = np.r_[base, -np.sum(base)]  # make the mean exactly zero where float sums were not
    if np.mean(base) != 0.0:
        return
    experiment = base + shift
    metric = KayentaMetric(name="x", effect_size=EffectSize(allowed_decrease=allowed[0], allowed_increase=allowed[1]))
    gateless = KayentaMetric(name="x", effect_size=EffectSize(allowed_decrease=1e9, allowed_increase=-1e9))
    up, down = classify(metric, base, experiment, CFG), classify(metric, -base, -experiment, CFG)
    if up.interval is not None:  # compared (not the identical-samples shortcut): the ratio is undefined
        assert np.isnan(up.deviation) and np.isnan(down.deviation)
    assert up.classification is classify(gateless, base, experiment, CFG).classification
    mirror = {KClass.HIGH: KClass.LOW, KClass.LOW: KClass.HIGH, KClass.PASS: KClass.PASS}
    assert down.classification is mirror[up.classification]


@FAST
@given(control=samples, experiment=samples)
def test_cles_thresholds_default_to_one_half(control: list[float], experiment: list[float]) -> None:
    default = KayentaMetric(name="x", effect_size=EffectSize(measure="cles"))
    half = KayentaMetric(name="x", effect_size=EffectSize(measure="cles", allowed_increase=0.5, allowed_decrease=0.5))
    c, e = np.array(control), np.array(experiment)
    assert classify(default, c, e, CFG).classification is classify(half, c, e, CFG).classification
    assert default.effect_size.thresholds() == (0.5, 0.5)


@FAST
@given(scored=st.lists(st.tuples(classes, st.sampled_from(["a", "b", "c"])), min_size=1, max_size=15),
       weight=st.floats(min_value=0, max_value=100))
def test_the_summary_score_is_rounded_half_up_to_two_decimals(scored: list[tuple[KClass, str]],
                                                                weight: float) -> None:
    config = KayentaConfig(metrics=[KayentaMetric(name="x")], group_weights={"a": weight})
    result = score([_verdict(f"s{i}", cls, (group,)) for i, (cls, group) in enumerate(scored)], config)
    share = (100 - weight) / len({g for _, g in scored} - {"a"}) if {g for _, g in scored} - {"a"} else 0
    raw = sum(s * (weight if g == "a" else share) / 100 for g, s in result.group_scores.items())
    assert round(result.score * 100) == pytest.approx(result.score * 100, abs=1e-6)  # two decimals
    assert abs(result.score - raw) <= 0.005 + 1e-9
    if abs(raw * 100 - round(raw * 100)) > 1e-6 and abs((raw * 100) % 1 - 0.5) > 1e-6:
        assert result.score == pytest.approx(round(raw, 2), abs=1e-9)  # away from a tie: nearest


def test_a_half_is_rounded_up_as_commons_math_does() -> None:
    from vigil.analysis.kayenta_score import round_half_up

    assert (round_half_up(12.345), round_half_up(0.125), round_half_up(2.675)) == (12.35, 0.13, 2.68)


@given(names=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=2, max_size=6).filter(
    lambda n: len(set(n)) < len(n)))
def test_duplicate_metric_names_are_refused(names: list[str]) -> None:
    with pytest.raises(ValidationError, match="metric names must be unique; repeated"):
        KayentaConfig(metrics=[KayentaMetric(name=n) for n in names])


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
    assert r.score == 0.0 and "NODATA" in r.reason


anything = st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=25)


@FAST
@given(control=anything, experiment=anything, strategy=st.sampled_from(["remove", "replace"]),
       measure=st.sampled_from(["meanRatio", "cles"]))
def test_any_samples_get_a_classification_never_an_exception(control: list[float], experiment: list[float],
                                                              strategy: str, measure: str) -> None:
    metric = KayentaMetric(name="x", nan_strategy=strategy, effect_size=EffectSize(measure=measure))  # type: ignore[arg-type]
    result = judge(KayentaConfig(metrics=[metric]), {"x": (np.array(control), np.array(experiment))})
    # Error is Kayenta's own outcome when the interval cannot be computed (every value tied at a shift, as
    # float precision does to values near 2**53): a classification that decides nothing, never an exception.
    verdict = result.verdicts[0]
    assert verdict.classification in set(KClass)
    assert verdict.classification is not KClass.ERROR or (not verdict.critical and "tied" in verdict.reason)
    assert 0.0 <= result.score <= 100.0
