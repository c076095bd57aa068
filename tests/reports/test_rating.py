"""The rating rule over generated checkpoint outcomes: a release is never rated better than its evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigil.alerts.communication import step_key
from vigil.alerts.models import Communication, Notification
from vigil.plan import parse_plan
from vigil.releases.service import create_release, get_release, plan_of
from vigil.reports.monitoring_log import CheckpointView
from vigil.reports.rating import Rating, Result, communication_criterion, rate
from vigil.store import Store

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ORDER = [Rating.POOR, Rating.NEEDS_IMPROVEMENT, Rating.SATISFACTORY, Rating.GOOD, Rating.EXCELLENT]


def views(healths: list[str], pending: int) -> tuple[list[CheckpointView], list[CheckpointView]]:
    done = [CheckpointView(f"T+{i}m", T0 + timedelta(minutes=i), "evaluated", health=h)
            for i, h in enumerate(healths)]
    later = [CheckpointView(f"T+{100 + i}m", T0 + timedelta(minutes=100 + i), "pending") for i in range(pending)]
    return done, later


@given(healths=st.lists(st.sampled_from(["healthy", "warning", "critical", "unknown"]), max_size=12),
       pending=st.integers(0, 3), rollback=st.sampled_from([None, True, False]))
def test_no_rating_is_better_than_the_evidence(healths: list[str], pending: int, rollback: bool | None) -> None:
    done, later = views(healths, pending)
    event: Any = None if rollback is None else SimpleNamespace(verified=rollback)
    result, rating = rate(done, later, event)
    unknown = healths.count("unknown")
    if event is not None:
        assert result is Result.ROLLBACK and rating in (Rating.NEEDS_IMPROVEMENT, Rating.POOR)
        return
    if not healths or pending:
        assert result is Result.IN_PROGRESS and rating is None  # nothing is rated before it is due
        return
    assert rating is not None
    if 2 * unknown > len(healths):
        assert result is Result.NOT_ESTABLISHED and rating is Rating.POOR
    if unknown or "critical" in healths:
        assert ORDER.index(rating) <= ORDER.index(Rating.SATISFACTORY) and result is not Result.SUCCESS
    if "warning" in healths:
        assert rating is not Rating.EXCELLENT and result is not Result.SUCCESS
    if result is Result.SUCCESS:
        assert set(healths) == {"healthy"}


@pytest.mark.unaudited_writes  # the communication records are written here as test data, not by vigil
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outcomes=st.lists(st.sampled_from(["sent", "failed", "queued", "none", "missing"]), min_size=5, max_size=5),
       hours=st.sampled_from([0.1, 0.5, 2, 5, 30]), notice=st.sampled_from([None, "sent", "failed", "none"]))
def test_communication_is_successful_only_when_every_due_update_was_delivered(
        tmp_path_factory: pytest.TempPathFactory, demo_plan_text: str, outcomes: list[str], hours: float,
        notice: str | None) -> None:
    """Each default timeline step is recorded with its notification sent, failed or queued, recorded with no
    channel, or not recorded, and a rollback notice outside the timeline may be recorded too; the criterion
    is met exactly when every step due by then, and the notice, was delivered."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('comm') / 'v.db'}")
    try:
        plan = parse_plan(demo_plan_text)
        release = create_release(store, plan, demo_plan_text, "p", now=plan.release.date)
        now = release.started_at + timedelta(hours=hours)
        steps = sorted(plan.communication.timeline, key=lambda s: s.at)
        with store.write() as session:
            records = [(step_key(s), s.kind, release.started_at + s.at, o)
                       for s, o in zip(steps, outcomes, strict=True)]
            if notice is not None:
                records.append(("rollback-started", "rollback", release.started_at, notice))
            for key, kind, due, outcome in records:
                if outcome == "missing" or due > now:
                    continue
                ids = []
                if outcome != "none":
                    note = Notification(release_id=release.id, event="communication", channel="email", kind="c",
                                        recipients=["x@example.com"], subject="s", body="b", data={},
                                        status=outcome, attempts=[], created_at=due)
                    session.add(note)
                    session.flush()
                    ids = [note.id]
                session.add(Communication(release_id=release.id, step=key, kind=kind, due_at=due,
                                          sent_at=due, audiences=[], recipients=["x"], subject="s", body="b",
                                          delivery="", notification_ids=ids))
        with store.read() as session:
            stored = get_release(session, release.slug)
            criterion = communication_criterion(session, stored, plan_of(stored), now)
        due_outcomes = [o for s, o in zip(steps, outcomes, strict=True) if release.started_at + s.at <= now]
        delivered = all(o == "sent" for o in due_outcomes) and notice in (None, "sent")
        assert criterion.met == ((bool(due_outcomes) or notice is not None) and delivered), criterion
    finally:
        store.dispose()
