"""The watch on the simulator: the leak is caught, rollback runs once, missing data is never healthy,
and a watch that dies half-way finishes on restart with each checkpoint stored exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from vigil.alerts.models import Alert
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain
from vigil.watch import evaluate_checkpoint, pending_checkpoints
from vigil.watch.models import Checkpoint, MetricReading, RollbackEvent


def register(store: Store, text: str) -> tuple[Release, ManualClock]:
    plan = parse_plan(text)
    return create_release(store, plan, text, "plan.yaml", now=plan.release.date), ManualClock(plan.release.date)


def decisions(store: Store, release_id: int) -> dict[str, tuple[str, str | None, str | None]]:
    with store.read() as session:
        rows = session.scalars(select(Checkpoint).where(Checkpoint.release_id == release_id))
        return {c.name: (c.state, c.decision.health if c.decision else None,
                         c.decision.go_no_go if c.decision else None) for c in rows}


def test_demo_leak_warns_at_1h_and_rolls_back_once_at_2h(store: Store, demo_plan_text: str) -> None:
    release, clock = register(store, demo_plan_text)
    watch(store, clock, [release.slug])
    got = decisions(store, release.id)
    assert got["T+0"] == ("evaluated", "healthy", "continue")
    assert got["T+30m"] == ("evaluated", "healthy", "continue")
    assert got["T+1h"] == ("evaluated", "warning", "continue")
    assert got["T+2h"] == ("evaluated", "critical", "rollback")
    assert {got[n][0] for n in ("T+4h", "T+8h", "T+24h")} == {"skipped"}
    with store.read() as session:
        event = session.scalar(select(RollbackEvent))
        assert event is not None and event.state == "completed" and event.verified is True
        assert event.method == "automatic" and "Ana Costa" in event.decision_maker
        assert "Memory Usage" in event.reason and event.output == "rolling back checkout to 2.2.4"
        assert event.metrics_at_decision["memory_usage"]["status"] == "critical"
        assert event.post_rollback_metrics["memory_usage"]["status"] == "ok"
        assert session.get(Release, release.id).status == "rolled_back"  # type: ignore[union-attr]
        started = session.scalar(select(func.count()).where(AuditEntry.action == "rollback.started"))
        assert started == 1
        memory = session.scalar(select(MetricReading).join(Checkpoint).where(
            Checkpoint.name == "T+2h", MetricReading.metric == "memory_usage"))
        assert memory is not None and memory.trend == "↑" and memory.change_pct is not None
        assert memory.details["trend"]["significant"] is True
        assert verify_chain(session) == []


def test_healthy_release_completes_without_rollback(store: Store, demo_plan_text: str) -> None:
    healthy = demo_plan_text.replace("magnitude: 5.5", "magnitude: 0.001")
    release, clock = register(store, healthy)
    watch(store, clock, [release.slug])
    got = decisions(store, release.id)
    assert {v[1] for v in got.values()} == {"healthy"} and len(got) == 8
    with store.read() as session:
        assert session.scalar(select(RollbackEvent)) is None
        assert session.get(Release, release.id).status == "completed"  # type: ignore[union-attr]


def test_evaluating_the_same_checkpoint_twice_stores_it_once(store: Store, demo_plan_text: str) -> None:
    release, clock = register(store, demo_plan_text)
    clock.advance(timedelta(minutes=20))
    first = evaluate_checkpoint(store, release.slug, "T+15m", clock.now())
    again = evaluate_checkpoint(store, release.id, "T+15m", clock.now() + timedelta(hours=1))
    assert first.created and not again.created and first.checkpoint_id == again.checkpoint_id
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkpoint)) == 1
        count = session.scalar(select(func.count()).where(AuditEntry.action == "checkpoint.evaluated"))
        assert count == 1


def test_source_down_is_unknown_and_holds_never_healthy(store: Store, demo_plan_text: str) -> None:
    down = demo_plan_text.replace(
        "      magnitude: 5.5\n",
        "      magnitude: 5.5\n    - kind: source_outage\n      start: 10m\n      duration: 10m\n")
    release, clock = register(store, down)
    clock.advance(timedelta(minutes=15))
    outcome = evaluate_checkpoint(store, release.slug, "T+15m", clock.now())
    assert outcome.health == "unknown" and outcome.go_no_go == "hold"
    with store.read() as session:
        readings = session.scalars(select(MetricReading)).all()
        assert readings and all(r.status == "no_data" and r.current is None for r in readings)
        assert all("source unavailable" in r.reason for r in readings)
        alerts = session.scalars(select(Alert).where(Alert.release_id == release.id)).all()
        assert [(a.rule, a.status, a.source) for a in alerts] == [("source_unavailable", "firing", "source-outage")]
        assert "T+15m" in alerts[0].summary


def test_missing_rollback_command_fails_loudly_and_is_not_verified(store: Store, demo_plan_text: str) -> None:
    broken = demo_plan_text.replace('command: "echo rolling back checkout to 2.2.4"', 'command: "exit 3"')
    release, clock = register(store, broken)
    watch(store, clock, [release.slug])
    with store.read() as session:
        event = session.scalar(select(RollbackEvent))
        assert event is not None and event.state == "failed" and event.verified is None
        assert "exited 3" in event.output


class Crash(BaseException):
    """Stands for the process being killed: like KeyboardInterrupt, not an error the loop catches per release."""


def test_watch_killed_half_way_resumes_and_stores_each_checkpoint_once(
        store: Store, demo_plan_text: str) -> None:
    release, clock = register(store, demo_plan_text.replace("magnitude: 5.5", "magnitude: 0.001"))
    seen: list[str] = []

    def die_after_three(_release: Any, outcome: Any) -> None:
        seen.append(outcome.name)
        if len(seen) == 3:
            raise Crash

    with pytest.raises(Crash):
        watch(store, clock, [release.slug], on_checkpoint=die_after_three)
    assert [p.name for p in pending_checkpoints(store, release.id)] == ["T+1h", "T+2h", "T+4h", "T+8h", "T+24h"]
    clock.advance(timedelta(hours=3))  # down for a while: T+1h and T+2h fell due meanwhile
    watch(store, clock, [release.slug])
    with store.read() as session:
        rows = session.execute(select(Checkpoint.name, Checkpoint.due_at, Checkpoint.evaluated_at)
                               .where(Checkpoint.release_id == release.id)).all()
    names = [r.name for r in rows]
    assert sorted(names) == sorted(set(names)) and len(names) == 8
    late = {r.name: r for r in rows}["T+1h"]
    assert late.due_at == release.started_at + timedelta(hours=1)  # the real due time is kept
    assert late.evaluated_at > late.due_at  # and when it was actually evaluated
