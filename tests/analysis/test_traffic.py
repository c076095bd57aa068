"""Volume metrics on a partial rollout are compared per full traffic, so less canary traffic by design is
never a regression, and a real loss of volume still is.

Tested through the evaluation over generated rollout shares and service levels, with each cohort's
volume in proportion to its share (as a per-cohort Prometheus query returns it), read from files.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plan_text import plan_header
from vigil.analysis.traffic import cohort_shares, scales_with_traffic
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import Checkpoint, MetricReading, RollbackEvent

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STEP = 15.0
_SERIAL = itertools.count()


def _plan(data: Path, percent: float, baseline: str = "concurrent", metric: str = "{name: throughput}") -> str:
    return plan_header(T0) + f"""source: {{kind: file, path: "{data}"}}
metrics: [{metric}]
checkpoints: [T+0, T+15m]
baseline: {baseline}
rollout: [{{at: T+0, percent: {percent}}}]
"""


@pytest.mark.parametrize(("metric", "scales"), [
    ("{name: throughput}", True), ("{name: signups}", True), ("{name: revenue}", True),
    ("{name: active_users}", True), ("{name: error_rate}", False), ("{name: p99_latency}", False),
    ("{name: cpu_usage}", False), ("{name: restarts, label: Restarts, compare: count}", True),
    ("{name: throughput, scales_with_traffic: false}", False),
])


def test_which_metrics_scale_with_traffic(metric: str, scales: bool, tmp_path: Path) -> None:
    plan = parse_plan(_plan(tmp_path, 20, metric=metric))
    assert scales_with_traffic(plan.metrics[0]) is scales


def test_the_baseline_share_follows_the_kind_of_baseline(tmp_path: Path) -> None:
    for baseline, expected in (("concurrent", 0.8), ("pre_deploy", 1.0), ("week_ago", 1.0)):
        plan = parse_plan(_plan(tmp_path, 20, baseline))
        shares = cohort_shares(plan, plan.metrics[0], timedelta(minutes=15))
        assert shares is not None and (shares.new, shares.baseline) == pytest.approx((0.2, expected))
    simulated = parse_plan(plan_header(T0) + "metrics: [{name: throughput}]\n")
    assert cohort_shares(simulated, simulated.metrics[0], timedelta(0)) is None  # already at full traffic


def _evaluate(store: Store, root: Path, percent: float, level: float, loss: float, seed: int
              ) -> tuple[str | None, str | None, MetricReading, bool]:
    data = root / f"d{next(_SERIAL)}"
    data.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    share = percent / 100
    end = T0 + timedelta(minutes=15)
    rows = ["timestamp,value,cohort"]
    for cohort, volume in (("baseline", level * (1 - share)), ("new", level * share * (1 - loss))):
        for i in range(20):
            at = end - timedelta(seconds=STEP * i)
            rows.append(f"{at.isoformat()},{volume * (1 + 0.01 * rng.standard_normal()):.4f},{cohort}")
    (data / "throughput.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = _plan(data, percent)
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0, slug=data.name)
    outcome = evaluate_checkpoint(store, release.slug, "T+15m", end)
    with store.read() as session:
        reading = session.scalars(select(MetricReading).join(Checkpoint)
                                  .where(Checkpoint.id == outcome.checkpoint_id)).one()
        rolled = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id)) is not None
    return outcome.health, outcome.go_no_go, reading, rolled


def test_the_reported_case_a_20_percent_canary_is_not_a_throughput_drop(sqlite_store: Store, tmp_path: Path) -> None:
    health, go, reading, rolled = _evaluate(sqlite_store, tmp_path, 20, 1000.0, 0.0, seed=1)
    assert (health, go, rolled) == ("healthy", "continue", False)
    assert reading.status == "ok" and reading.current == pytest.approx(1000.0, rel=0.02)  # per full traffic
    assert reading.details["traffic_shares"] == pytest.approx({"new": 0.2, "baseline": 0.8})
    assert "Compared per full traffic" in reading.reason


settings_ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(percent=st.sampled_from([1, 5, 10, 20, 25, 50, 75, 90]), level=st.floats(min_value=50, max_value=1e5),
       seed=st.integers(0, 1000))


def test_less_canary_traffic_by_design_is_never_a_regression(sqlite_store: Store, tmp_path: Path, percent: float,
                                                             level: float, seed: int) -> None:
    health, go, reading, rolled = _evaluate(sqlite_store, tmp_path, percent, level, 0.0, seed)
    assert reading.status == "ok" and (health, go, rolled) == ("healthy", "continue", False)


@settings_
@given(percent=st.sampled_from([5, 20, 50, 75]), level=st.floats(min_value=50, max_value=1e5),
       loss=st.floats(min_value=0.4, max_value=0.9), seed=st.integers(0, 1000))


def test_a_real_loss_of_volume_is_still_critical(sqlite_store: Store, tmp_path: Path, percent: float, level: float,
                                                 loss: float, seed: int) -> None:
    health, go, reading, _ = _evaluate(sqlite_store, tmp_path, percent, level, loss, seed)
    assert reading.status == "critical" and health == "critical" and go == "rollback"
