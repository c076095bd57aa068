"""Waits are due times, never sleeps: a rollback's verification does not hold up another release, an idle
watcher sleeps until something is due, and a rollback whose worker died is noticed within its bound."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from vigil.alerts.models import Alert
from vigil.clock import ManualClock
from vigil.errors import Conflict, PermissionDenied
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import AuditEntry
from vigil.store.verification import verify_store
from vigil.watch.models import Checkpoint, RollbackEvent
from vigil.watch.rollback import ROLLBACK_GRACE
from vigil.watch.rollback_settle import settle_rollback
from vigil.watch.work_models import DueWork

LEAK_T0 = datetime.fromisoformat("2026-11-24T08:00:00+00:00")  # the demo plan's T+0
ROLLED_BACK = LEAK_T0 + timedelta(hours=2)  # where the demo's leak is rolled back


def steady_plan(demo: str, start: datetime, checkpoints: str) -> str:
    """The demo plan without its leak, for another service, starting at ``start``."""
    text = demo.replace("service: checkout", "service: search").replace(
        "2026-11-24T09:00:00+01:00", start.isoformat())
    head, tail = text.split("  faults:\n", 1)
    text = head + "\n" + tail.split("\n\n", 1)[1]  # no faults
    text = text.replace("checkpoints: [T+0, T+15m, T+30m, T+1h, T+2h, T+4h, T+8h, T+24h]",
                        f"checkpoints: [{checkpoints}]").replace("evaluation_window: 5m", "evaluation_window: 1m")
    return text


def register(store: Store, text: str, slug: str) -> Release:
    plan = parse_plan(text)
    return create_release(store, plan, text, "plan.yaml", now=plan.release.date, slug=slug)


def test_a_rollback_verification_does_not_delay_another_release(store: Store, demo_plan_text: str) -> None:
    leak = register(store, demo_plan_text, "leaky")
    # The other release's checkpoints fall due every minute through the leak's 5-minute verification wait.
    other = register(store, steady_plan(demo_plan_text, ROLLED_BACK - timedelta(minutes=1),
                                        "T+0, T+1m, T+2m, T+3m, T+4m, T+5m, T+6m, T+7m"), "steady")
    watch(store, ManualClock(LEAK_T0), ["leaky", "steady"])
    with store.read() as s:
        on_time = {c.name: (c.evaluated_at, c.due_at)
                   for c in s.scalars(select(Checkpoint).where(Checkpoint.release_id == other.id))}
        event = s.scalars(select(RollbackEvent).where(RollbackEvent.release_id == leak.id)).one()
        work = s.scalars(select(DueWork).where(DueWork.kind == "verify_rollback")).one()
    assert len(on_time) == 8 and all(evaluated == due for evaluated, due in on_time.values()), on_time
    assert event.completed_at is not None and event.verified is True
    assert work.due_at == event.completed_at + timedelta(minutes=5) and work.done_at == work.due_at
    with store.write() as s:
        assert verify_store(s) == []


class CountingClock(ManualClock):
    """A manual clock that counts the watcher's sleeps and stops it past ``until``."""

    def __init__(self, start: datetime, until: datetime) -> None:
        super().__init__(start)
        self.until, self.sleeps = until, 0

    def sleep_until(self, when: datetime) -> None:
        self.sleeps += 1
        super().sleep_until(when)
        if self.now() > self.until:
            raise StopIteration


def test_an_idle_watch_sleeps_until_the_next_due_time(store: Store, demo_plan_text: str) -> None:
    start = LEAK_T0
    register(store, steady_plan(demo_plan_text, start, "T+0, T+8h, T+24h"), "steady")
    clock = CountingClock(start, until=start + timedelta(days=3))
    with pytest.raises(StopIteration):
        watch(store, clock, None, until_done=False)  # the service mode: it never returns by itself
    with store.read() as s:
        assert len(list(s.scalars(select(Checkpoint)))) == 3
    # Three checkpoints and the plan's communication steps while watching; after that, nothing is due for
    # two days: polling for new releases backs off to one look every IDLE_POLL_MAX (10 min), never every
    # 30 s (5,760 looks).
    assert clock.sleeps < 3 + 10 + (2 * 24 * 6) + 10, clock.sleeps


@pytest.mark.unaudited_writes  # the dead worker's claim is written past the services
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timeout_s=st.integers(min_value=1, max_value=900), late_start_s=st.integers(min_value=0, max_value=600))
def test_a_dead_workers_rollback_is_noticed_by_a_running_watcher_when_its_lease_passes(
        tmp_path_factory: pytest.TempPathFactory, demo_plan_text: str, timeout_s: int, late_start_s: int) -> None:
    """A rollback left "started" is flagged by a watcher that is already running (not only by a new one),
    exactly when its lease passes: the action's timeout + ROLLBACK_GRACE after it started."""
    text = demo_plan_text.replace("automatic: true", "automatic: false").replace(
        '    command: "echo rolling back checkout to 2.2.4"',
        f'    command: "echo rolling back checkout to 2.2.4"\n    timeout: {timeout_s}s')
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('lease') / 'v.db'}")
    register(store, text, "leaky")
    clock = ManualClock(LEAK_T0)
    watch(store, clock, ["leaky"])  # decided at T+2h, waiting for a person (manual)
    started = clock.now() + timedelta(seconds=late_start_s)
    bound = timedelta(seconds=timeout_s) + ROLLBACK_GRACE
    with store.write() as s:  # a worker claimed it (with its lease) and was killed inside the action
        event = s.scalars(select(RollbackEvent)).one()
        event.state, event.started_at, event.lease_until = "started", started, started + bound
    clock.sleep_until(started)
    watch(store, clock, ["leaky"])  # a watcher that was running all along: it wakes for the lease
    with store.read() as s:
        event = s.scalars(select(RollbackEvent)).one()
        flagged = s.scalars(select(AuditEntry).where(AuditEntry.action == "rollback.interrupted")).one()
        alerts = [a.rule for a in s.scalars(select(Alert).where(Alert.status == "firing"))]
    assert event.state == "interrupted" and "rollback_interrupted" in alerts
    assert flagged.at == started + bound and clock.now() == started + bound
    store.dispose()


@pytest.mark.unaudited_writes  # the dead worker's claim is written past the services
def test_the_release_owner_settles_an_interrupted_rollback(store: Store, demo_plan_text: str) -> None:
    text = demo_plan_text.replace("automatic: true", "automatic: false")
    register(store, text, "leaky")
    clock = ManualClock(LEAK_T0)
    watch(store, clock, ["leaky"])
    with store.write() as s:
        event = s.scalars(select(RollbackEvent)).one()
        event.state, event.started_at, event.lease_until = "started", clock.now(), clock.now()
    clock.advance(timedelta(seconds=1))
    watch(store, clock, ["leaky"])  # flags it
    with pytest.raises(PermissionDenied):
        settle_rollback(store, "leaky", "completed", "checked", actor="Sam Okafor", now=clock.now())
    settled = settle_rollback(store, "leaky", "completed", "2.2.4 serves all traffic (kubectl)",
                              actor="Ana Costa", now=clock.now())
    assert settled.state == "completed"
    with pytest.raises(Conflict):
        settle_rollback(store, "leaky", "failed", "again", actor="Ana Costa", now=clock.now())
    clock.advance(timedelta(minutes=5))
    watch(store, clock, ["leaky"])  # verifies it like any completed rollback, after the plan's delay
    with store.read() as s:
        event = s.scalars(select(RollbackEvent)).one()
        firing = [a.rule for a in s.scalars(select(Alert).where(Alert.status == "firing"))]
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "rollback"))]
        status = s.scalars(select(Release)).one().status
    assert event.verified is True and status == "rolled_back" and "rollback_interrupted" not in firing
    assert actions.count("rollback.interrupted") == 1 and actions.count("rollback.completed") == 1
    assert "Ana Costa" in event.output
    with store.write() as s:
        assert verify_store(s) == []


@pytest.mark.unaudited_writes  # the dead worker's claim is written past the services
def test_vigil_rollback_settle_from_the_command_line(tmp_path: Path, demo_plan_text: str) -> None:
    db = tmp_path / "v.db"
    store = Store(f"sqlite:///{db}")
    register(store, demo_plan_text.replace("automatic: true", "automatic: false"), "leaky")
    clock = ManualClock(LEAK_T0)
    watch(store, clock, ["leaky"])
    with store.write() as s:
        event = s.scalars(select(RollbackEvent)).one()
        event.state, event.started_at, event.lease_until = "started", clock.now(), clock.now()
    watch(store, clock, ["leaky"])  # flags it
    store.dispose()

    def vigil(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "vigil", "rollback", *args, "--db", str(db)],
                              capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)

    wrong = vigil("settle", "leaky", "--outcome", "maybe", "--note", "x", "--as", "Ana Costa")
    assert wrong.returncode == 2 and "completed, failed" in wrong.stderr
    refused = vigil("settle", "leaky", "--outcome", "failed", "--note", "x", "--as", "Sam Okafor")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    done = vigil("settle", "leaky", "--outcome", "failed", "--note", "still on 2.3.0", "--as", "Ana Costa")
    assert done.returncode == 0, done.stderr
    assert "settled as failed by Ana Costa" in done.stdout
    store = Store(f"sqlite:///{db}")
    with store.read() as s:
        assert s.scalars(select(RollbackEvent)).one().state == "failed"
    store.dispose()
