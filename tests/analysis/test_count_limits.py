"""A count or share metric's limits are judged on its events and exposure, not on a ratio of tiny counts.

Properties over generated events and exposures: an observed rate within a limit never breaks it (a single
5xx among 1,700 requests is not a warning), a rate far beyond it with enough exposure always does, and an
error-free baseline makes no canary "infinitely worse"; the reported case through the evaluation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plan_text import plan_header
from vigil.analysis import judge
from vigil.analysis.count_limits import judge_counts
from vigil.metrics.base import Series
from vigil.plan import parse_plan
from vigil.plan.schema import Plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import MetricReading

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STEP = 15.0
POINTS = 20
LIMIT = 0.1  # % — the catalogue's error-rate limit; warning at 0.09 %, relative 50 % / 200 %


def _plan(source: str = "{kind: simulator}") -> Plan:
    return parse_plan(plan_header(T0) + f"""source: {source}
metrics:
  - {{name: error_rate, compare: share, exposure: throughput}}
  - {{name: throughput, unit: /s, muted: true, thresholds: {{relative: {{}}}}}}
  - {{name: restarts, label: Restarts, unit: /hour, compare: count, thresholds: {{max: 2}}}}
checkpoints: [T+0, T+15m]
""")


def _cohort(errors: int, requests: int) -> tuple[Series, Series]:
    """(error share in %, requests per second) over POINTS steps holding ``errors`` of ``requests``."""
    ts = STEP * np.arange(1, POINTS + 1, dtype=np.float64)
    per_point = requests / POINTS
    share = np.zeros(POINTS)
    share[: min(errors, POINTS)] = 100.0 * (errors / min(errors, POINTS)) / per_point if errors else 0.0
    return Series(ts, share), Series(ts, np.full(POINTS, per_point / STEP))


def _judged(base: tuple[int, int], new: tuple[int, int]) -> tuple[str, str]:
    plan = _plan()
    (base_errors, base_rps), (new_errors, new_rps) = _cohort(*base), _cohort(*new)
    windows = {"error_rate": (base_errors, new_errors), "throughput": (base_rps, new_rps)}
    start = judge(plan.metrics[0], new_errors, base_errors, None)  # the ratio judgement counts replace
    (j,) = judge_counts(plan, [start], windows, {})  # type: ignore[arg-type]
    return j.status, j.reason


def test_the_reported_case_one_5xx_among_1700_requests_is_not_a_warning() -> None:
    status, reason = _judged((0, 30_000), (1, 1_700))
    ratio_status = judge(_plan().metrics[0], _cohort(1, 1_700)[0], _cohort(0, 30_000)[0], None).status
    assert ratio_status == "warning"  # what the ratio threshold said ("against a zero baseline")
    assert status == "ok" and "1 events over an exposure of 1,700" in reason


exposures = st.integers(min_value=200, max_value=200_000)


@settings(max_examples=300, deadline=None)
@given(requests=exposures, base_requests=exposures, rate=st.floats(min_value=0, max_value=0.09 / 100))
def test_a_rate_within_the_warning_level_and_no_worse_than_baseline_is_never_flagged(
        requests: int, base_requests: int, rate: float) -> None:
    errors = int(rate * requests)  # observed at or under the warning level
    base_errors = int(np.ceil(errors / requests * base_requests))  # the baseline at least as bad
    status, _ = _judged((base_errors, base_requests), (errors, requests))
    assert status == "ok"


@settings(max_examples=200, deadline=None)
@given(requests=st.integers(min_value=100_000, max_value=2_000_000), factor=st.floats(min_value=3, max_value=50))
def test_a_rate_far_beyond_the_limit_with_enough_exposure_is_critical(requests: int, factor: float) -> None:
    errors = round(factor * LIMIT / 100 * requests)  # ≥ 300 expected events at 3× the limit
    status, reason = _judged((0, requests * 4), (errors, requests))
    assert status == "critical" and "beyond chance" in reason


@settings(max_examples=200, deadline=None)
@given(errors=st.integers(min_value=0, max_value=3), requests=st.integers(min_value=5_000, max_value=200_000))
def test_a_few_events_over_an_error_free_baseline_of_similar_exposure_are_not_a_regression(
        errors: int, requests: int) -> None:
    """The zero-baseline class: a handful of canary errors is never 'infinitely worse' by itself."""
    status, _ = _judged((0, requests), (errors, requests))
    assert status == "ok"


def test_a_count_over_time_is_judged_with_poisson_against_its_limit() -> None:
    plan = _plan()
    metric = plan.metrics[2]  # restarts, at most 2 per hour
    ts = STEP * np.arange(1, POINTS + 1, dtype=np.float64)

    def status(per_hour: list[float]) -> str:
        new = Series(ts, np.array(per_hour))
        windows = {"restarts": (Series(ts, np.zeros(POINTS)), new)}
        (j,) = judge_counts(plan, [judge(metric, new, windows["restarts"][0], None)], windows, {})  # type: ignore[arg-type]
        return j.status

    # One restart in a 5-minute window reads as 12/hour, six times the limit; as a count it is one event.
    one = [0.0] * POINTS
    one[0] = 3600 / STEP
    assert judge(metric, Series(ts, np.array(one)), None, None).status == "critical"  # the ratio said so
    assert status(one) == "ok"
    assert status([3600 / STEP] * 10 + [0.0] * 10) == "critical"  # ten restarts in five minutes


def test_through_the_evaluation_a_single_error_holds_without_a_warning(sqlite_store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    end = T0 + timedelta(minutes=15)
    for name, cohorts in (("error_rate", {"baseline": _cohort(0, 30_000)[0], "new": _cohort(1, 1_700)[0]}),
                          ("throughput", {"baseline": _cohort(0, 30_000)[1], "new": _cohort(1, 1_700)[1]})):
        rows = ["timestamp,value,cohort"]
        for cohort, series in cohorts.items():
            for t, v in zip(series.timestamps, series.values, strict=True):
                rows.append(f"{(end - timedelta(seconds=STEP * POINTS - t)).isoformat()},{v},{cohort}")
        (data / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = plan_header(T0) + f"""source: {{kind: file, path: "{data}"}}
metrics:
  - {{name: error_rate, compare: share, exposure: throughput}}
  - {{name: throughput, unit: /s, muted: true, thresholds: {{relative: {{}}}}}}
checkpoints: [T+0, T+15m]
"""
    release = create_release(sqlite_store, parse_plan(text), text, "plan.yaml", now=T0)
    outcome = evaluate_checkpoint(sqlite_store, release.slug, "T+15m", end)
    with sqlite_store.read() as session:
        reading = session.scalars(select(MetricReading).where(MetricReading.metric == "error_rate")).one()
    assert reading.status == "ok" and reading.details["counts"]["events_new"] == pytest.approx(1)
    assert outcome.go_no_go == "hold"  # one error is not evidence either way: the canary judge holds
