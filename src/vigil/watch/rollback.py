"""Executing a decided rollback exactly once, and verifying the service afterwards.

The event moves decided → started → completed | failed, and a completed one is then verified. Claiming it
is a conditional UPDATE, so only one worker ever runs the action; a worker that dies after claiming and
before recording the outcome leaves it "started", and the next watcher marks it "interrupted" for a
person to check rather than running the action a second time. The outcome is stored before the wait for
verification, so a worker dying during that wait only costs a repeated verification.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, select, update

from vigil.analysis import judge
from vigil.analysis.judgement import fmt
from vigil.clock import Clock
from vigil.errors import NotFound, RollbackError, SourceError
from vigil.metrics.base import Series
from vigil.metrics.registry import SourceSet
from vigil.plan.schema import Plan, RollbackAction
from vigil.releases.models import Release
from vigil.releases.service import SYSTEM_ACTOR, plan_of
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.models import RollbackEvent


def pending_rollback(store: Store, release_id: int, *, include_manual: bool = False) -> int | None:
    """The id of a rollback waiting to run for this release, if any."""
    with store.read() as session:
        query = select(RollbackEvent.id).where(RollbackEvent.release_id == release_id,
                                               RollbackEvent.state == "decided")
        if not include_manual:
            query = query.where(RollbackEvent.method == "automatic")
        return session.scalar(query)


def mark_interrupted(store: Store, release_id: int, now: datetime) -> bool:
    """A rollback left 'started' by a dead worker is never re-run; flag it for a person instead."""
    with store.write() as session:
        event = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release_id,
                                                           RollbackEvent.state == "started"))
        if event is None:
            return False
        event.state = "interrupted"
        event.verification = ("The worker running this rollback stopped before it finished; it was not run "
                              "again. Check the deployment by hand.")
        audit(session, at=now, actor=SYSTEM_ACTOR, action="rollback.interrupted", entity="rollback",
              entity_id=event.id, release_id=release_id, payload={})
        return True


def execute_rollback(store: Store, event_id: int, clock: Clock, actor: str = SYSTEM_ACTOR) -> RollbackEvent:
    started = clock.now()
    with store.write() as session:
        result = session.execute(
            update(RollbackEvent).where(RollbackEvent.id == event_id, RollbackEvent.state == "decided")
            .values(state="started", started_at=started))
        claimed = cast(CursorResult[Any], result).rowcount
        event = session.get(RollbackEvent, event_id)
        if event is None:
            raise NotFound(f"no rollback event {event_id}")
        if not claimed:
            return event
        release = session.get(Release, event.release_id)
        assert release is not None
        plan = plan_of(release)
        audit(session, at=started, actor=actor, action="rollback.started", entity="rollback",
              entity_id=event_id, release_id=release.id, payload={"action": event.action})
    try:
        output = _run_action(plan.rollback.action, release, event)
        state = "completed"
    except RollbackError as exc:
        output, state = str(exc), "failed"
    # Record the action's outcome at once: a worker that dies while waiting to verify must not leave a
    # completed rollback looking interrupted (the next watcher only repeats the verification).
    with store.write() as session:
        event = session.get(RollbackEvent, event_id)
        assert event is not None
        event.state, event.output, event.completed_at = state, output, clock.now()
        if state == "failed":
            event.verification = "Not verified: the rollback action failed."
        audit(session, at=clock.now(), actor=actor, action=f"rollback.{state}", entity="rollback",
              entity_id=event_id, release_id=release.id, payload={"output": output[:500]})
    if state == "completed":
        return verify_rollback(store, event_id, clock, actor)
    return event


def pending_verification(store: Store, release_id: int) -> int | None:
    """The id of a completed rollback of this release whose verification has not been stored yet."""
    with store.read() as session:
        return session.scalar(select(RollbackEvent.id).where(
            RollbackEvent.release_id == release_id, RollbackEvent.state == "completed",
            RollbackEvent.verified.is_(None)))


def verify_rollback(store: Store, event_id: int, clock: Clock, actor: str = SYSTEM_ACTOR) -> RollbackEvent:
    """After the plan's delay, read the service on the previous version; stored once, safe to repeat."""
    with store.read() as session:
        event = session.get(RollbackEvent, event_id)
        if event is None:
            raise NotFound(f"no rollback event {event_id}")
        if event.state != "completed" or event.verified is not None or event.completed_at is None:
            return event
        release = session.get(Release, event.release_id)
        assert release is not None
        plan, completed = plan_of(release), event.completed_at
    clock.sleep_until(completed + plan.rollback.verification_delay)
    verified, verification, post = _verify(plan, completed, clock.now())
    with store.write() as session:
        event = session.get(RollbackEvent, event_id)
        stored_release = session.get(Release, release.id)
        assert event is not None and stored_release is not None
        if event.verified is not None:  # another worker verified it meanwhile; theirs stands
            return event
        event.verified, event.verification, event.post_rollback_metrics = verified, verification, post
        stored_release.status = "rolled_back"
        audit(session, at=clock.now(), actor=actor, action="rollback.verified", entity="rollback",
              entity_id=event_id, release_id=release.id,
              payload={"verified": verified, "verification": verification})
    return event


def _run_action(action: RollbackAction, release: Release, event: RollbackEvent) -> str:
    timeout = action.timeout.total_seconds()
    if action.command:
        try:
            done = subprocess.run(action.command, shell=True, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise RollbackError(f"rollback command timed out after {timeout:g}s") from None
        if done.returncode != 0:
            raise RollbackError(f"rollback command exited {done.returncode}: {done.stderr.strip()[:500]}")
        return done.stdout.strip()[:2000]
    if action.webhook:
        body = {"release": release.slug, "service": release.service, "version": release.version,
                "rollback_to": release.baseline_version, "reason": event.reason}
        try:
            response = httpx.post(action.webhook, json=body, timeout=timeout)
        except httpx.HTTPError as exc:
            raise RollbackError(f"rollback webhook failed: {exc}") from None
        if response.status_code >= 300:
            raise RollbackError(f"rollback webhook answered {response.status_code}")
        return f"webhook answered {response.status_code}"
    return "No rollback action is configured: the decision is recorded for the deployment team to carry out."


def _verify(plan: Plan, completed: datetime, now: datetime) -> tuple[bool, str, dict[str, object]]:
    """Read the service after the rollback and check it against the plan's absolute limits."""
    sources = SourceSet(plan, rolled_back_at=completed)
    post: dict[str, object] = {}
    bad: list[str] = []
    for metric in plan.metrics:
        try:
            series = sources.for_metric(metric).fetch(metric, "baseline", completed, now)
            verdict = judge(metric, series, None, None)
        except SourceError as exc:  # an unreadable service is not a verified one
            verdict = judge(metric, Series.empty(), None, None, unavailable=str(exc))
        post[metric.name] = {"label": metric.label, "value": verdict.current, "unit": metric.unit,
                             "status": verdict.status}
        if verdict.status in {"critical", "no_data"}:
            bad.append(f"{metric.label} {fmt(verdict.current, metric.unit)}")
    minutes = (now - completed).total_seconds() / 60
    if bad:
        return False, f"After {minutes:.0f} min the service is still unhealthy: {', '.join(bad)}.", post
    return True, (f"Confirmed {minutes:.0f} min after completion: all {len(plan.metrics)} metrics are within "
                  "their limits on the previous version."), post
