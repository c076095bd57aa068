"""Rule evaluation over series: exact firing times, resolution, no-data policies, split = one pass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.alerts.rules import RuleRun, evaluate, observed
from vigil.analysis.anomaly import score_series
from vigil.analysis.sensitivity import settings_for
from vigil.metrics.base import Series
from vigil.plan.alerting import AlertRule


def rule(**kw: object) -> AlertRule:
    data = {"name": "r", "metric": "m", "value": 10.0, **kw}
    return AlertRule.model_validate(data)


def series(values: list[float], step: float = 60.0, start: float = 60.0) -> Series:
    ts = start + step * np.arange(len(values), dtype=float)
    return Series(ts, np.asarray(values, dtype=float))


def test_threshold_fires_only_after_the_for_duration_and_resolves_when_the_condition_clears() -> None:
    r = rule(op=">", value=10, **{"for": "3m"})
    s = series([5, 11, 12, 13, 14, 15, 9, 8])  # samples at 60, 120, …, 480 s
    out, state = evaluate(r, s, RuleRun(), since=0, until=480)
    assert [(t.kind, t.at) for t in out] == [("fire", 300.0), ("resolve", 420.0)]
    assert not state.firing and state.pending_since is None


def test_a_run_broken_before_for_elapses_never_fires() -> None:
    r = rule(value=10, **{"for": "3m"})
    out, _ = evaluate(r, series([11, 12, 5, 11, 12, 5]), RuleRun(), since=0, until=360)
    assert out == []


def test_relative_rule_compares_against_the_baseline_cohort() -> None:
    r = rule(condition="relative", value=10)
    new = series([50, 54, 56, 57])
    base = series([50, 50, 50, 50])
    obs = observed(r, new, base)
    assert obs.values.tolist() == pytest.approx([0, 8, 12, 14])
    out, _ = evaluate(r, obs, RuleRun(), since=0, until=240)
    assert [(t.kind, t.at) for t in out] == [("fire", 180.0)]


def test_relative_rule_with_no_baseline_never_fires() -> None:
    obs = observed(rule(condition="relative", value=1), series([50, 60]), None)
    assert np.isnan(obs.values).all()
    assert evaluate(rule(condition="relative", value=1), obs, RuleRun(), 0, 120)[0] == []


def test_rate_rule_measures_change_per_hour_over_its_window() -> None:
    r = rule(condition="rate", value=5, window="10m")
    values = [50 + 0.1 * i for i in range(30)]  # +0.1 per minute = 6 per hour
    obs = observed(r, series(values), None)
    assert np.isnan(obs.values[:10]).all()
    assert obs.values[10:] == pytest.approx(6.0)
    out, _ = evaluate(r, obs, RuleRun(), 0, 1800)
    assert out[0].kind == "fire" and out[0].at == 660.0


def test_no_data_ok_resolves_a_firing_alert_after_the_gap() -> None:
    r = rule(value=10, no_data="ok", no_data_after="5m")
    out, _ = evaluate(r, series([20, 20]), RuleRun(), 0, 1200)
    assert [(t.kind, t.at) for t in out] == [("fire", 60.0), ("resolve", 420.0)]


def test_no_data_alerting_fires_a_no_data_alert_and_clears_it_when_data_returns() -> None:
    r = rule(value=10, no_data="alerting", no_data_after="5m")
    s = Series(np.array([60.0, 1200.0]), np.array([1.0, 1.0]))
    out, _ = evaluate(r, s, RuleRun(), 0, 1200)
    assert [(t.kind, t.at) for t in out] == [("nodata_fire", 360.0), ("nodata_resolve", 1200.0)]


def test_no_data_keep_holds_the_state() -> None:
    r = rule(value=10, no_data="keep")
    out, state = evaluate(r, series([20]), RuleRun(), 0, 3600)
    assert [t.kind for t in out] == ["fire"] and state.firing


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0, 20), min_size=2, max_size=60),
    cut=st.integers(1, 59),
    hold=st.integers(0, 5),
    policy=st.sampled_from(["ok", "alerting", "keep"]),
)
def test_evaluating_in_two_calls_gives_the_same_transitions_as_one(
    values: list[float], cut: int, hold: int, policy: str
) -> None:
    r = rule(value=10, no_data=policy, **{"for": f"{hold}m"})
    s = series(values)
    end = 60.0 * len(values)
    whole, _ = evaluate(r, s, RuleRun(), 0, end)
    split = 60.0 * min(cut, len(values))
    first, state = evaluate(r, s, RuleRun(), 0, split)
    second, _ = evaluate(r, s, state, split, end)
    assert first + second == whole


# --- an obviously-correct sample-by-sample oracle for the run-based evaluator ---------------------------


def oracle(r: AlertRule, s: Series, since: float, until: float) -> list[tuple[str, float]]:
    hold, gap = r.for_.total_seconds(), r.no_data_after.total_seconds()
    out: list[tuple[str, float]] = []
    pending: float | None = None
    firing = nodata = False
    last = since

    def no_data(at: float) -> None:
        nonlocal pending, firing, nodata
        if r.no_data == "keep" or nodata:
            return
        if firing:
            out.append(("resolve", at))
        pending, firing = None, False
        if r.no_data == "alerting":
            out.append(("nodata_fire", at))
            nodata = True

    for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True):
        if not since < t <= until:
            continue
        if t - last > gap:
            no_data(last + gap)
        if nodata:
            out.append(("nodata_resolve", t))
            nodata = False
        hit = v == v and v > r.value  # NaN is never a hit
        if not hit:
            if firing:
                out.append(("resolve", t))
            pending, firing = None, False
        else:
            pending = t if pending is None else pending
            if not firing and t - pending >= hold:
                out.append(("fire", t))
                firing = True
        last = t
    if until - last > gap:
        no_data(last + gap)
    return out


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.sampled_from([60.0, 60.0, 60.0, 120.0, 420.0]), min_size=1, max_size=80),
    values=st.lists(st.one_of(st.floats(0, 20), st.just(float("nan"))), min_size=80, max_size=80),
    hold=st.integers(0, 6),
    policy=st.sampled_from(["ok", "alerting", "keep"]),
    tail=st.sampled_from([0.0, 60.0, 600.0]),
)
def test_run_based_evaluation_matches_the_sample_by_sample_oracle(
    steps: list[float], values: list[float], hold: int, policy: str, tail: float
) -> None:
    r = rule(value=10, no_data=policy, no_data_after="5m", **{"for": f"{hold}m"})
    ts = np.cumsum(steps)
    s = Series(ts, np.asarray(values[: len(steps)], dtype=float))
    until = float(ts[-1]) + tail
    got, _ = evaluate(r, s, RuleRun(), 0.0, until)
    assert [(t.kind, t.at) for t in got] == oracle(r, s, 0.0, until)


def test_anomaly_rule_fires_on_a_level_shift_and_not_on_the_noise_before_it() -> None:
    rng = np.random.default_rng(3)
    values = 100 + rng.standard_normal(600)
    values[450:] += 12  # a step of about twelve standard deviations
    r = rule(condition="anomaly", value=0.999, window="5h")
    obs = observed(r, series(list(values)), None)
    assert obs.values.min() >= 0 and obs.values.max() <= 1
    # Learn from the first 300 samples, evaluate the rest: one alert at the step (sample 450 is at
    # 60 + 450·60 s), resolved once the detector has re-centred on the new level.
    transitions, _ = evaluate(r, obs, RuleRun(), since=300 * 60, until=600 * 60)
    assert [t.kind for t in transitions] == ["fire", "resolve"]
    assert transitions[0].at == 60 + 450 * 60 < transitions[1].at
    calm = observed(r, series(list(values[:450])), None)
    assert evaluate(r, calm, RuleRun(), since=300 * 60, until=450 * 60)[0] == []


def test_an_anomaly_score_is_high_for_one_sample_so_a_for_never_holds() -> None:
    # Why the plan advice warns about ``for`` on an anomaly rule: one event, one alarm.
    rng = np.random.default_rng(3)
    values = 100 + rng.standard_normal(600)
    values[450:] += 12
    held = rule(condition="anomaly", value=0.999, window="5h", **{"for": "2m"})
    transitions, _ = evaluate(held, observed(held, series(list(values)), None), RuleRun(), 300 * 60, 600 * 60)
    assert transitions == []


def test_an_anomaly_rule_scores_with_its_sensitivity_preset() -> None:
    values = list(100 + 5 * np.random.default_rng(2).standard_normal(3_000))
    low = observed(rule(condition="anomaly", value=0.999, sensitivity="low"), series(values), None)
    high = observed(rule(condition="anomaly", value=0.999), series(values), None)
    assert low.values.tolist() == score_series(np.array(values), settings_for("low")).tolist()
    assert low.values.tolist() != high.values.tolist()


def test_sensitivity_is_refused_on_a_rule_that_is_not_an_anomaly_rule() -> None:
    with pytest.raises(ValueError, match="sensitivity applies only to condition: anomaly"):
        rule(condition="threshold", sensitivity="low")
