"""The default canary judge: direction-aware verdicts, rates for counts, and no silent passes."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from vigil.analysis.canary import JudgeInputError, judge_canary
from vigil.analysis.models import CanaryConfig, MetricData, MetricJudgeConfig

RNG = np.random.default_rng(11)


def _normal(mean: float, n: int = 400, sd: float = 5.0) -> np.ndarray:
    return RNG.normal(mean, sd, n)


def _judge(*metrics: MetricJudgeConfig, **data: MetricData):  # type: ignore[no-untyped-def]
    return judge_canary(CanaryConfig(metrics=list(metrics)), data)


def test_zero_baseline_with_a_few_canary_errors_is_not_a_pass() -> None:
    errors = MetricJudgeConfig(name="errors", kind="count")
    canary = np.zeros(120)
    canary[[5, 50, 90]] = 1
    j = _judge(errors, errors=MetricData(np.zeros(120), canary, np.full(120, 500.0), np.full(120, 500.0)))
    v = j.verdicts[0]
    assert v.classification == "insufficient"
    assert j.outcome != "pass"
    assert "baseline had none" in v.sentence


def test_zero_baseline_with_many_canary_errors_is_high_and_fails() -> None:
    errors = MetricJudgeConfig(name="errors", kind="count", critical=True)
    canary = np.zeros(120)
    canary[:15] = 1
    j = _judge(errors, errors=MetricData(np.zeros(120), canary))
    assert j.verdicts[0].classification == "high" and j.verdicts[0].failed
    assert j.outcome == "fail" and j.score == 0.0


def test_count_rates_pass_when_a_doubling_is_ruled_out() -> None:
    errors = MetricJudgeConfig(name="errors", kind="count")
    base = RNG.poisson(20, 200).astype(float)
    same = RNG.poisson(20, 200).astype(float)
    j = _judge(errors, errors=MetricData(base, same))
    v = j.verdicts[0]
    assert v.classification == "pass" and v.interval is not None and v.interval[1] < 2.0
    assert j.outcome == "pass"


def test_no_events_in_either_cohort_is_a_pass_but_no_samples_is_not() -> None:
    errors = MetricJudgeConfig(name="errors", kind="count")
    assert _judge(errors, errors=MetricData(np.zeros(50), np.zeros(50))).outcome == "pass"
    empty = _judge(errors, errors=MetricData(np.array([]), np.zeros(50)))
    assert empty.verdicts[0].classification == "no_data"
    assert empty.outcome != "pass"


def test_no_data_is_never_healthy() -> None:
    latency = MetricJudgeConfig(name="latency")
    optional = MetricJudgeConfig(name="cpu", must_have_data=False)
    j = _judge(
        latency,
        optional,
        latency=MetricData(_normal(100), _normal(100)),
        cpu=MetricData(np.array([np.nan] * 30), _normal(50)),
    )
    cpu = j.verdicts[1]
    assert cpu.classification == "no_data" and not cpu.failed
    assert j.outcome == "insufficient"
    missing = _judge(latency, optional, latency=MetricData(_normal(100), _normal(100)))  # cpu absent
    assert missing.outcome == "insufficient"
    required = _judge(latency)  # required metric with no data at all
    assert required.verdicts[0].failed and required.outcome == "fail"


def test_source_error_is_its_own_outcome() -> None:
    latency = MetricJudgeConfig(name="latency", critical=True)
    j = _judge(latency, latency=MetricData(np.array([]), np.array([]), error="prometheus timed out"))
    assert j.verdicts[0].classification == "error"
    assert "prometheus timed out" in j.verdicts[0].sentence
    assert j.outcome == "fail"


def test_too_few_points_is_insufficient_evidence_and_pauses() -> None:
    latency = MetricJudgeConfig(name="latency", min_samples=30)
    j = _judge(latency, latency=MetricData(_normal(100, 12), _normal(300, 12)))
    assert j.verdicts[0].classification == "insufficient"
    assert not j.verdicts[0].failed
    assert j.outcome == "insufficient"


def test_only_the_bad_direction_fails() -> None:
    latency = MetricJudgeConfig(name="latency", direction="increase")
    throughput = MetricJudgeConfig(name="throughput", direction="decrease")
    j = _judge(
        latency,
        throughput,
        latency=MetricData(_normal(100), _normal(70)),
        throughput=MetricData(_normal(100), _normal(130)),
    )
    assert [v.classification for v in j.verdicts] == ["low", "high"]
    assert not any(v.failed for v in j.verdicts)
    assert j.outcome == "pass"
    worse = _judge(latency, latency=MetricData(_normal(100), _normal(130)))
    assert worse.verdicts[0].classification == "high" and worse.verdicts[0].failed
    assert worse.verdicts[0].effect["cles"] > 0.95 and worse.verdicts[0].effect["mean_ratio"] > 1.2


def test_a_change_within_tolerance_passes_and_stores_its_numbers() -> None:
    latency = MetricJudgeConfig(name="latency", tolerance=0.1, unit="ms")
    j = _judge(latency, latency=MetricData(_normal(100, 2000), _normal(103, 2000)))
    v = j.verdicts[0]
    assert v.classification == "pass"  # 3 % shift, significant, but inside the 10 % tolerance
    assert v.threshold == pytest.approx(10.0, rel=0.05)
    assert v.interval is not None and v.interval[0] < 3.5 < v.interval[1] + 0.5
    assert v.n_control == v.n_canary == 2000
    assert "tolerance" in v.sentence and "pass" in v.sentence


def test_zero_baseline_continuous_metric_counts_any_significant_increase() -> None:
    queue = MetricJudgeConfig(name="queue")
    j = _judge(queue, queue=MetricData(np.zeros(200), np.r_[np.zeros(150), np.ones(50)]))
    assert j.verdicts[0].classification == "high" and j.verdicts[0].failed


def test_critical_failure_fails_the_checkpoint_despite_a_high_score() -> None:
    metrics = [MetricJudgeConfig(name=f"m{i}") for i in range(9)] + [MetricJudgeConfig(name="errors_p", critical=True)]
    data = {f"m{i}": MetricData(_normal(50), _normal(50)) for i in range(9)}
    data["errors_p"] = MetricData(_normal(10), _normal(20))
    j = judge_canary(CanaryConfig(metrics=metrics), data)
    assert j.outcome == "fail" and j.score == 0.0
    assert "critical" in j.sentence


def test_group_weights_and_muted_metrics() -> None:
    metrics = [
        MetricJudgeConfig(name="a", group="latency"),
        MetricJudgeConfig(name="b", group="latency"),
        MetricJudgeConfig(name="c", group="errors"),
        MetricJudgeConfig(name="d", group="errors", muted=True),
    ]
    data = {
        "a": MetricData(_normal(50), _normal(80)),
        "b": MetricData(_normal(50), _normal(50)),
        "c": MetricData(_normal(50), _normal(50)),
        "d": MetricData(_normal(50), _normal(90)),
    }
    j = judge_canary(CanaryConfig(metrics=metrics, group_weights={"latency": 75, "errors": 25}), data)
    groups = {g.name: g.score for g in j.groups}
    assert groups == {"latency": 50.0, "errors": 100.0}  # the muted failure does not count
    assert j.score == pytest.approx(0.75 * 50 + 0.25 * 100)
    assert j.outcome == "fail"  # 62.5 < marginal 75


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(JudgeInputError, match="not in the canary config"):
        _judge(MetricJudgeConfig(name="a"), b=MetricData(np.ones(3), np.ones(3)))
    with pytest.raises(ValidationError):
        MetricJudgeConfig(name="a", direction="up")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CanaryConfig(metrics=[MetricJudgeConfig(name="a")], pass_threshold=50, marginal_threshold=80)
