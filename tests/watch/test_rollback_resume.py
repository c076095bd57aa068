"""A watcher dying while it waits to verify a rollback: the action is not re-run, only verified."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain
from vigil.watch.models import RollbackEvent


class Died(Exception):
    pass


class DiesWhileWaitingToVerify(ManualClock):
    """Jumps like a manual clock, but 'dies' on the wait right after the rollback action has run."""

    def __init__(self, start: datetime, store: Store) -> None:
        super().__init__(start)
        self._store = store

    def sleep_until(self, when: datetime) -> None:
        with self._store.read() as session:
            if session.scalar(select(RollbackEvent.state)) == "completed":
                raise Died
        super().sleep_until(when)


def test_restart_verifies_a_completed_rollback_without_running_it_again(store: Store,
                                                                      demo_plan_text: str) -> None:
    plan = parse_plan(demo_plan_text)
    release = create_release(store, plan, demo_plan_text, "plan.yaml", now=plan.release.date)
    with pytest.raises(Died):
        watch(store, DiesWhileWaitingToVerify(plan.release.date, store), [release.slug])
    with store.read() as session:
        event = session.scalars(select(RollbackEvent)).one()
        assert (event.state, event.verified) == ("completed", None)
        assert session.get(Release, release.id).status == "rolling_back"  # type: ignore[union-attr]
        died_at = event.completed_at
    assert died_at is not None

    watch(store, ManualClock(died_at), [release.slug])  # the restarted watcher

    with store.read() as session:
        event = session.scalars(select(RollbackEvent)).one()
        actions = list(session.scalars(select(AuditEntry.action)))
        assert event.state == "completed" and event.verified is True
        assert event.post_rollback_metrics["memory_usage"]["status"] == "ok"
        assert session.get(Release, release.id).status == "rolled_back"  # type: ignore[union-attr]
        assert actions.count("rollback.started") == 1 and actions.count("rollback.completed") == 1
        assert actions.count("rollback.verified") == 1 and "rollback.interrupted" not in actions
        assert verify_chain(session) == []
