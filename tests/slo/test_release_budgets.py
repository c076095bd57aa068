"""A release with an SLO, watched through checkpoints: the budget figures stored with each checkpoint
match a hand computation, the log shows what is stored, the page alert fires through the rule
evaluator, and a fast burn rolls back only when the plan says so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from slo_streams import T0, plan_text, write_streams
from vigil.alerts.evaluation import evaluate_rules
from vigil.alerts.models import Alert
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.budget_models import SloBudget
from vigil.watch.models import Checkpoint, RollbackEvent

HOUR = timedelta(hours=1)


def release_of(store: Store, data: Path, **parts: str) -> int:
    text = plan_text(data, **parts)
    return create_release(store, parse_plan(text), text, "plan.yaml", now=T0).id


def budgets(store: Store, release_id: int) -> dict[str, SloBudget]:
    with store.read() as session:
        rows = session.execute(select(Checkpoint.name, SloBudget).join(SloBudget, SloBudget.checkpoint_id
                                                                       == Checkpoint.id)
                               .where(Checkpoint.release_id == release_id)).all()
        return {name: budget for name, budget in rows}


def test_budget_figures_match_a_hand_computation(store: Store, tmp_path: Path) -> None:
    # 0.5 % of requests fail from deployment on, at 100 requests a second.
    data = write_streams(tmp_path / "data", lambda s: np.where(s > 0, 0.005, 0.0))
    release_id = release_of(store, data)
    for name, at in (("T+0", 0), ("T+1h", 1), ("T+2h", 2)):
        evaluate_checkpoint(store, release_id, name, T0 + at * HOUR)
    stored = budgets(store, release_id)
    at_1h, at_2h = stored["T+1h"], stored["T+2h"]
    # By hand, T+1h: 240 samples of 15 s at 100 req/s = 360,000 requests, 0.5 % bad = 1,800.
    assert at_1h.total == pytest.approx(360_000) and at_1h.total - at_1h.good == pytest.approx(1_800)
    # The 30-day budget is 0.1 % of the month's requests: 0.001 × 360,000 × 720 hours = 259,200.
    assert at_1h.consumed == pytest.approx(1_800 / (0.001 * 360_000 * 720))  # 0.694 %
    assert at_1h.remaining == pytest.approx(1 - 1_800 / 259_200)
    assert at_1h.burn_rate == pytest.approx(5.0)
    assert at_2h.consumed == pytest.approx(2 * at_1h.consumed)  # twice the time at the same burn
    assert stored["T+0"].consumed is None and stored["T+0"].note  # no traffic yet: no data, not 0 %
    assert at_2h.burning == []  # 5x burns neither page pair

    log = render_monitoring_log(store, release_id, T0 + 2 * HOUR)
    assert "## SLOs and Error Budgets" in log
    assert ("| T+1h | checkout-availability | 358,200 | 360,000 | 1,800 | 5.00× | "
            f"{at_1h.consumed * 100:.2f}% | {at_1h.remaining * 100:.2f}% | no |") in log
    assert f"| T+2h | checkout-availability | 716,400 | 720,000 | 3,600 | 5.00× | {at_2h.consumed * 100:.2f}%" in log


def test_a_total_outage_pages_through_the_rule_evaluator_within_the_detection_time(
        sqlite_store: Store, tmp_path: Path) -> None:
    outage = 2 * 3600.0
    data = write_streams(tmp_path / "data", lambda s: np.where(s > outage, 1.0, 0.0))
    release_id = release_of(sqlite_store, data)
    evaluate_rules(sqlite_store, release_id, T0 + 90 * timedelta(minutes=1))  # before: nothing fires
    evaluate_rules(sqlite_store, release_id, T0 + 3 * HOUR)
    with sqlite_store.read() as session:
        alerts = {a.rule: a for a in session.scalars(select(Alert).where(Alert.release_id == release_id))}
    page = alerts["checkout-availability.burn.1h-5m"]
    assert page.severity == "critical" and page.labels["slo"] == "checkout-availability"
    # 1000x burn: 3600 s × 14.4 / 1000 = 51.84 s; the next 15-second sample is 60 s after the outage.
    assert (page.started_at - (T0 + timedelta(seconds=outage))).total_seconds() == 60.0
    assert "burning at" in page.summary
    # 6x over 6 h and 30 m: the 6 h window reaches back only to the release start (2 h of traffic), so
    # 7200 s × 6 / 1000 = 43.2 s, the 3rd sample (45 s).
    six_hour = alerts["checkout-availability.burn.6h-30m"]
    assert (six_hour.started_at - (T0 + timedelta(seconds=outage))).total_seconds() == 45.0


def test_evaluating_in_small_steps_fires_at_the_same_sample(sqlite_store: Store, tmp_path: Path) -> None:
    outage = 2 * 3600.0
    data = write_streams(tmp_path / "data", lambda s: np.where(s > outage, 1.0, 0.0))
    release_id = release_of(sqlite_store, data)
    for minute in range(100, 140, 7):
        evaluate_rules(sqlite_store, release_id, T0 + timedelta(minutes=minute))
    with sqlite_store.read() as session:
        page = session.scalar(select(Alert).where(Alert.rule == "checkout-availability.burn.1h-5m"))
    assert page is not None
    assert (page.started_at - (T0 + timedelta(seconds=outage))).total_seconds() == 60.0


@pytest.mark.parametrize(("rollback", "slo", "rolls_back"), [
    (", on_fast_burn: true", "", True),
    ("", "", False),
    ("", "    rollback_on_fast_burn: true\n", True),
    (", on_fast_burn: true", "    rollback_on_fast_burn: false\n", False),
])
def test_a_fast_burn_rolls_back_only_under_the_policy(sqlite_store: Store, tmp_path: Path, rollback: str,
                                                      slo: str, rolls_back: bool) -> None:
    data = write_streams(tmp_path / "data", lambda s: np.where(s > 1.5 * 3600, 1.0, 0.0))
    release_id = release_of(sqlite_store, data, rollback=rollback, slo=slo)
    for name, at in (("T+0", 0), ("T+1h", 1), ("T+2h", 2)):
        evaluate_checkpoint(sqlite_store, release_id, name, T0 + at * HOUR)
    stored = budgets(sqlite_store, release_id)
    assert stored["T+2h"].burning == ["14.4× over 1h and 5m", "6× over 6h and 30m"]
    assert stored["T+1h"].burning == []
    with sqlite_store.read() as session:
        event = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release_id))
        if rolls_back:
            assert event is not None and event.checkpoint.name == "T+2h"
            assert event.reason.startswith("fast burn: SLO checkout-availability")
        else:
            assert event is None
