"""Missing or implausible data holds: it never decides in either direction.

The rule (``vigil.analysis.data_quality``) is tested as a property over generated series, and through the
evaluation over generated cohorts read from files: a window short of real values, or holding a value the
metric cannot take, makes the metric "no data", the checkpoint "unknown" and the decision "hold" — never
"healthy", never "critical", never a rollback.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from malformed_prometheus import malformed_prometheus
from plan_text import plan_header
from vigil.analysis.data_quality import plausible_range, window_problem
from vigil.metrics.base import Series
from vigil.metrics.registry import expected_samples
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import Checkpoint, MetricReading, RollbackEvent

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STEP = 15.0
POINTS = 20  # a 5-minute window at 15 s
_SERIAL = itertools.count()


def _metric(unit: str, compare: str = "continuous", plausible: str = "") -> object:
    extra = ", exposure: throughput" if compare in ("share", "count") else ""
    text = plan_header(T0) + f"""metrics:
  - {{name: custom, label: Custom, unit: "{unit}", compare: {compare}{extra}{plausible}}}
  - {{name: throughput}}
"""
    return parse_plan(text).metrics[0]


@pytest.mark.parametrize(("unit", "compare", "expected"), [
    ("%", "continuous", (0.0, 100.0)), ("", "share", (0.0, 1.0)), ("ratio", "continuous", (0.0, 1.0)),
    ("ms", "continuous", (0.0, None)), ("/s", "continuous", (0.0, None)), ("$/hour", "continuous", (0.0, None)),
    ("", "count", (0.0, None)), ("users", "continuous", (0.0, None)), ("°C", "continuous", (None, None)),
])
def test_what_a_unit_lets_a_metric_be(unit: str, compare: str, expected: tuple[float | None, float | None]) -> None:
    assert plausible_range(_metric(unit, compare)) == expected  # type: ignore[arg-type]


def test_the_plan_can_say_what_a_metric_can_be() -> None:
    metric = _metric("%", plausible=", plausible: {min: 0, max: 800}")  # CPU over eight cores
    assert plausible_range(metric) == (0.0, 800.0)  # type: ignore[arg-type]


samples = st.one_of(st.floats(min_value=-50, max_value=150, allow_nan=False),
                    st.sampled_from([math.nan, math.inf, -math.inf]))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(samples, max_size=80), expected=st.one_of(st.none(), st.integers(1, 120)),
       coverage=st.floats(min_value=0.05, max_value=1.0), unit=st.sampled_from(["%", "ms", "°C"]))
def test_a_window_is_evidence_exactly_when_covered_and_plausible(values: list[float], expected: int | None,
                                                                 coverage: float, unit: str) -> None:
    metric = _metric(unit)
    series = Series(STEP * np.arange(len(values), dtype=np.float64), np.array(values, dtype=np.float64))
    finite = [v for v in values if math.isfinite(v)]
    low, high = plausible_range(metric)  # type: ignore[arg-type]
    plausible = all((low is None or v >= low) and (high is None or v <= high) for v in finite)
    covered = len(finite) >= max(1, math.ceil(coverage * max(expected or 0, len(values))))
    problem = window_problem(metric, series, expected, coverage)  # type: ignore[arg-type]
    assert (problem is None) == (plausible and covered)
    if not plausible:
        assert problem is not None and problem.startswith("implausible data")
    elif not covered:
        assert problem is not None and problem.startswith("insufficient data")


def _write(data: Path, name: str, cohorts: dict[str, list[float]]) -> None:
    rows = ["timestamp,value,cohort"]
    end = T0 + timedelta(minutes=15)
    for cohort, values in cohorts.items():
        for i, value in enumerate(values):
            at = end - timedelta(seconds=STEP * (len(values) - 1 - i))
            rows.append(f"{at.isoformat()},{value},{cohort}")
    data.mkdir(parents=True, exist_ok=True)
    (data / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _evaluate(store: Store, root: Path, baseline: list[float], new: list[float],
              policy: str = "") -> tuple[str | None, str | None, MetricReading, bool]:
    data = root / f"d{next(_SERIAL)}"
    _write(data, "p99_latency", {"baseline": baseline, "new": new})
    text = plan_header(T0) + f"""source: {{kind: file, path: "{data}"}}
metrics: [{{name: p99_latency}}]
checkpoints: [T+0, T+15m]
canary: {{min_samples: 10}}
{policy}"""
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0, slug=data.name)
    outcome = evaluate_checkpoint(store, release.slug, "T+15m", T0 + timedelta(minutes=15))
    with store.read() as session:
        reading = session.scalars(select(MetricReading).join(Checkpoint)
                                  .where(Checkpoint.id == outcome.checkpoint_id)).one()
        rolled = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id)) is not None
    return outcome.health, outcome.go_no_go, reading, rolled


def test_an_all_nan_baseline_holds_and_never_rolls_back(sqlite_store: Store, tmp_path: Path) -> None:
    """The reported case: an all-NaN baseline with a plausible canary gave critical and a rollback."""
    health, go, reading, rolled = _evaluate(sqlite_store, tmp_path, [math.nan] * POINTS, [150.0] * POINTS)
    assert (health, go, rolled) == ("unknown", "hold", False)
    assert reading.status == "no_data" and "baseline's window" in reading.reason


def test_negative_latency_holds(sqlite_store: Store, tmp_path: Path) -> None:
    health, go, reading, _ = _evaluate(sqlite_store, tmp_path, [150.0] * POINTS, [-5.0] + [150.0] * (POINTS - 1))
    assert (health, go) == ("unknown", "hold")
    assert reading.reason.startswith("No data (implausible data: 1 of 20 values")


def test_one_real_sample_of_sixty_one_from_prometheus_holds(sqlite_store: Store) -> None:
    """The reported case: Prometheus omits missing points, so one sample came back where 60 were due."""
    end = T0 + timedelta(minutes=15)
    one = {"status": "success", "data": {"resultType": "matrix",
                                         "result": [{"metric": {}, "values": [[end.timestamp(), "120"]]}]}}
    with malformed_prometheus() as (url, answers):
        answers.body = json.dumps(one).encode()
        text = plan_header(T0) + f"""source: {{kind: prometheus, url: "{url}", options: {{retries: 0}}}}
metrics: [{{name: p99_latency, query: 'p99{{version="$cohort"}}'}}]
checkpoints: [T+0, T+15m]
"""
        plan = parse_plan(text)
        assert expected_samples(plan.source, plan.evaluation_window) == 60
        release = create_release(sqlite_store, plan, text, "plan.yaml", now=T0)
        outcome = evaluate_checkpoint(sqlite_store, release.slug, "T+15m", end)
    assert (outcome.health, outcome.go_no_go) == ("unknown", "hold")
    with sqlite_store.read() as session:
        reading = session.scalars(select(MetricReading)).one()
    assert "insufficient data: 1 real value of 60 expected" in reading.reason


cohort = st.lists(st.one_of(st.floats(min_value=100, max_value=400), st.just(math.nan), st.just(-1.0)),
                  min_size=POINTS, max_size=POINTS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(baseline=cohort, new=cohort, policy=st.sampled_from(["", "rollback: {on_unknown: hold}"]))
def test_a_window_that_is_not_evidence_never_decides(sqlite_store: Store, tmp_path: Path, baseline: list[float],
                                                     new: list[float], policy: str) -> None:
    health, go, reading, rolled = _evaluate(sqlite_store, tmp_path, baseline, new, policy)
    negative = any(v < 0 for v in baseline + new)
    short = min(sum(math.isfinite(v) for v in values) for values in (baseline, new)) < POINTS / 2
    if negative or short:
        assert reading.status == "no_data"
        assert (health, go, rolled) == ("unknown", "hold", False)
    else:
        assert reading.status != "no_data"
