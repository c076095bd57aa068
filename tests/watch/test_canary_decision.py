"""The statistical canary judge inside checkpoint decisions: it catches a regression that every threshold
misses, and its numbers are stored with the reading."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from vigil.clock import ManualClock
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import MetricReading

# A 15 % slower P99 on the canary: below the 20 % relative warning and far from the 300 ms limit.
REGRESSION = "    - kind: latency_regression\n      start: 0m\n      magnitude: 0.15\n"


def plan_text(demo_plan_text: str, extra: str = "") -> str:
    text = demo_plan_text.replace("magnitude: 5.5\n", "magnitude: 0.001\n" + REGRESSION)
    return text + extra


def evaluate_30m(store: Store, text: str) -> tuple[str | None, str | None]:
    plan = parse_plan(text)
    release = create_release(store, plan, text, "p", now=plan.release.date)
    clock = ManualClock(plan.release.date + timedelta(minutes=30))
    outcome = evaluate_checkpoint(store, release.id, "T+30m", clock.now())
    return outcome.health, outcome.go_no_go


def test_small_latency_regression_fails_the_canary_and_rolls_back(sqlite_url: str, demo_plan_text: str) -> None:
    store = Store(sqlite_url)
    assert evaluate_30m(store, plan_text(demo_plan_text)) == ("critical", "rollback")
    with store.read() as session:
        p99 = session.scalar(select(MetricReading).where(MetricReading.metric == "p99_latency"))
        assert p99 is not None and p99.status == "critical"
        numbers = p99.details["canary"]
        assert numbers["classification"] == "high" and numbers["failed"] is True
        assert numbers["n_baseline"] >= 20 and numbers["n_new"] >= 20
        assert numbers["p_value"] < 0.02 and numbers["threshold"] > 0
        assert "P99 Latency" in p99.reason
        # Thresholds alone saw nothing wrong: the change is inside the relative warning limit.
        assert p99.change_pct is not None and p99.change_pct < 20


def test_same_regression_passes_when_only_thresholds_judge(sqlite_url: str, demo_plan_text: str) -> None:
    store = Store(sqlite_url)
    text = plan_text(demo_plan_text, "canary:\n  enabled: false\n")
    assert evaluate_30m(store, text) == ("healthy", "continue")
