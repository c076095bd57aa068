"""The default judge never passes a large multiplicative shift seen in few points (spinnaker#6278).

Kayenta passes 7 of 10 canary points at 100× the baseline: with 10 points the rank test is not
significant at 98 %, and "not significant" was read as "no change". vigil's default judge reads it as what
it is — not enough evidence — unless the interval rules out a ``max_plausible_ratio``-fold change.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.analysis.canary import judge_canary
from vigil.analysis.models import CanaryConfig, MetricData, MetricJudgeConfig


def _judge(control: np.ndarray, canary: np.ndarray, direction: str = "increase") -> tuple[str, str]:
    config = CanaryConfig(metrics=[MetricJudgeConfig(name="latency", direction=direction, min_samples=10)])
    result = judge_canary(config, {"latency": MetricData(control, canary)})
    return result.outcome, result.verdicts[0].classification


def test_the_6278_case_is_not_passed() -> None:
    canary = np.array([100.0] * 7 + [1.0] * 3)
    outcome, classification = _judge(np.ones(10), canary)
    assert (outcome, classification) == ("insufficient", "insufficient")


@settings(max_examples=80, deadline=None)
@given(level=st.floats(min_value=1e-3, max_value=1e4), n=st.integers(min_value=10, max_value=30),
       share=st.floats(min_value=0.5, max_value=1.0), factor=st.floats(min_value=3.0, max_value=1000.0),
       up=st.booleans(), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_large_multiplicative_shifts_in_small_samples_are_never_passed(
        level: float, n: int, share: float, factor: float, up: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    control = level * (1 + rng.uniform(-0.05, 0.05, n))
    canary = level * (1 + rng.uniform(-0.05, 0.05, n))
    moved = rng.permutation(n)[: max(1, round(share * n))]
    canary[moved] *= factor if up else 1 / factor
    outcome, classification = _judge(control, canary, "increase" if up else "decrease")
    assert classification in ("high", "low", "insufficient") and outcome != "pass"


@settings(max_examples=40, deadline=None)
@given(level=st.floats(min_value=1e-3, max_value=1e4), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_steady_metrics_still_pass_with_few_points(level: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    control, canary = level * (1 + rng.uniform(-0.05, 0.05, (2, 12)))
    assert _judge(control, canary) == ("pass", "pass")
