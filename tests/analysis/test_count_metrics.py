"""Error and other count metrics named in the plan are compared as rates over their exposure.

A rank test on per-point error shares sees a zero baseline against a mostly-zero canary as "no
difference"; the plan's ``compare: share`` / ``count`` with ``exposure`` hands the exact rate test the
events and the requests behind them, so a few canary errors over a clean baseline are never a pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from plan_text import plan_header
from vigil.analysis.canary_step import event_counts, judge_window
from vigil.errors import PlanError
from vigil.metrics.base import Series
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import MetricReading

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STEP = 15.0


def _plan(source: str = "{kind: simulator}", errors: str = "compare: share, exposure: throughput",
          window: str = "5m") -> str:
    return plan_header(T0) + f"""source: {source}
metrics:
  - {{name: error_rate, {errors}}}
  # The cohorts' request rates differ by design (5 % vs 95 % of traffic): exposure only, not judged.
  - {{name: throughput, unit: /s, muted: true, thresholds: {{relative: {{}}}}}}
checkpoints: [T+0, T+15m]
evaluation_window: {window}
"""


def _series(values: list[float], start: float = 0.0) -> Series:
    return Series(start + STEP * np.arange(len(values), dtype=np.float64), np.array(values, dtype=np.float64))


def test_a_share_in_percent_becomes_events_over_requests_per_step() -> None:
    metric = parse_plan(_plan()).metrics[0]
    errors = _series([0.0, 0.5, 1.0, 0.0])  # % of requests
    requests_per_second = _series([100.0, 100.0, 200.0, 200.0, 400.0])  # one extra point to align away
    events, exposure = event_counts(metric, errors, requests_per_second, "/s")
    assert exposure is not None
    np.testing.assert_allclose(exposure, [1500.0, 1500.0, 3000.0, 3000.0])  # 15 s steps
    np.testing.assert_allclose(events, [0.0, 7.5, 30.0, 0.0])


def test_counts_without_exposure_convert_a_per_minute_rate_to_events_per_step() -> None:
    metric = parse_plan(_plan(errors="compare: count, unit: /min")).metrics[0]
    events, exposure = event_counts(metric, _series([4.0, 8.0]), None, "")
    assert exposure is None
    np.testing.assert_allclose(events, [1.0, 2.0])


def _windows(baseline_errors: float, canary_errors: float, points: int = 20) -> dict[str, tuple[Series, Series] | str]:
    """Baseline at 95 % and canary at 5 % of 400 req/s, errors given as a total per cohort over the window."""
    base_rps, canary_rps = np.full(points, 380.0), np.full(points, 20.0)
    base_share = np.zeros(points)
    base_share[0] = 100.0 * baseline_errors / (380.0 * STEP)
    canary_share = np.zeros(points)
    canary_share[: int(canary_errors)] = 100.0 / (20.0 * STEP)  # one error in each of the first points
    return {"error_rate": (_series(list(base_share)), _series(list(canary_share))),
            "throughput": (_series(list(base_rps)), _series(list(canary_rps)))}


def _error_verdict(windows: dict[str, tuple[Series, Series] | str]):  # type: ignore[no-untyped-def]
    judgement = judge_window(parse_plan(_plan()), windows)
    return judgement, next(v for v in judgement.verdicts if v.name == "error_rate")


def test_zero_baseline_and_one_canary_error_is_not_enough_evidence() -> None:
    judgement, verdict = _error_verdict(_windows(0, 1))
    assert verdict.method == "conditional-poisson-exact"
    assert verdict.effect["events_control"] == 0 and verdict.effect["events_canary"] == 1
    assert verdict.effect["exposure_canary"] == pytest.approx(20 * 20 * STEP)
    assert (verdict.classification, verdict.failed) == ("insufficient", False)
    assert judgement.outcome == "insufficient"
    assert "pause rather than pass" in verdict.sentence


def test_zero_baseline_and_three_canary_errors_is_worse_beyond_chance() -> None:
    # With equal rates, all three errors landing in the canary's 5 % of requests has p ≈ 0.055³.
    judgement, verdict = _error_verdict(_windows(0, 3))
    assert (verdict.classification, verdict.failed) == ("high", True)
    assert verdict.p_value == pytest.approx((1.1 * 6000 / (1.1 * 6000 + 114000)) ** 3)
    assert judgement.outcome == "fail"


def test_the_same_three_errors_in_a_rank_test_pass() -> None:
    """Why the plan field exists: the default comparison cannot see three errors in 6,000 requests."""
    plan = parse_plan(_plan(errors="compare: continuous"))
    verdict = next(v for v in judge_window(plan, _windows(0, 3)).verdicts if v.name == "error_rate")
    assert verdict.classification == "pass"


def test_equal_error_rates_with_enough_requests_pass() -> None:
    # 19× the requests on the baseline, 19× the errors: the same rate, and a doubling is ruled out.
    windows = _windows(19 * 15, 15)
    _, verdict = _error_verdict(windows)
    assert verdict.classification == "pass" and not verdict.failed
    assert verdict.estimate == pytest.approx(1.0, rel=0.01)


def test_an_unreadable_exposure_is_an_error_not_a_zero() -> None:
    windows = _windows(0, 3)
    windows["throughput"] = "prometheus is down"
    _, verdict = _error_verdict(windows)
    assert verdict.classification == "error" and "throughput" in verdict.sentence


@pytest.mark.parametrize(("errors", "message"), [
    ("compare: share", "needs 'exposure'"),
    ("compare: count, exposure: requests", "unknown exposure metric 'requests'"),
    ("exposure: throughput", "applies only with compare: count or share"),
])
def test_inconsistent_count_settings_are_refused(errors: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan(_plan(errors=errors))


def _write_cohorts(data: Path, name: str, baseline: list[float], canary: list[float]) -> None:
    rows = ["timestamp,value,cohort"]
    for cohort, values in (("baseline", baseline), ("new", canary)):
        for i, value in enumerate(values):
            rows.append(f"{(T0 + timedelta(seconds=STEP * (i + 41))).isoformat()},{value},{cohort}")
    data.mkdir(exist_ok=True)
    (data / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_checkpoint_with_a_few_canary_errors_over_a_clean_baseline_holds(tmp_path: Path) -> None:
    """Through the watch: files with cohorts, the plan's share metric, the stored numbers and decision."""
    data = tmp_path / "data"
    share = [0.0] * 20
    share[11] = 100.0 / (20.0 * STEP)  # one error among 6,000 canary requests
    _write_cohorts(data, "error_rate", [0.0] * 20, share)
    _write_cohorts(data, "throughput", [380.0] * 20, [20.0] * 20)
    text = _plan(source=f'{{kind: file, path: "{data}"}}')
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0)
    outcome = evaluate_checkpoint(store, release.slug, "T+15m", T0 + timedelta(minutes=15))
    assert outcome.go_no_go == "hold"  # not enough evidence to continue, nothing proven worse
    with store.read() as session:
        reading = session.scalars(select(MetricReading).where(MetricReading.metric == "error_rate")).one()
    numbers = reading.details["canary"]
    assert numbers["classification"] == "insufficient" and numbers["statistic"] == 1
    assert "not enough evidence" in reading.reason
