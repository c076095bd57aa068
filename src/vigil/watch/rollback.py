"""Executing a decided rollback exactly once, and verifying the service afterwards.

The event moves decided → started → completed | failed, and a completed one is then verified. Claiming it
is a conditional UPDATE, so only one worker ever runs the action; the claim carries a lease
(``lease_until`` = start + the action's timeout + ``ROLLBACK_GRACE``). A worker that dies inside the action
leaves it "started"; once the lease has passed, any watcher marks it "interrupted" (``rollback_settle``)
rather than running the action a second time. The outcome is stored at once, with the verification queued
as durable work due ``verification_delay`` later (``vigil.watch.work``): nothing here sleeps.

Stakeholders hear of it twice, through the notification outbox and on the communication timeline: when
the rollback starts and when its action ends (with the outcome), each queued in the same transaction as
the state it announces, so a notice is never sent for a state that was not stored.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from vigil.analysis import judge
from vigil.analysis.judgement import fmt
from vigil.clock import Clock
from vigil.errors import Conflict, NotFound, RollbackError, SourceError
from vigil.metrics.base import Series
from vigil.metrics.registry import SourceSet
from vigil.plan.schema import Plan, RollbackAction
from vigil.releases.closed import ensure_open
from vigil.releases.models import Release
from vigil.releases.roles import authorize
from vigil.releases.service import SYSTEM_ACTOR, get_release, plan_of
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.models import RollbackEvent, RollbackState
from vigil.watch.work import Claimed, finish, queue_work
from vigil.watch.work_models import WorkKind

# Beyond the action's own timeout, how long a started rollback's worker is given before it is taken for
# dead: the bound on noticing an interrupted rollback is its action timeout plus this (docs/watch.md).
ROLLBACK_GRACE = timedelta(minutes=2)

CLAIM_LAPSES = timedelta(minutes=5)


def pending_rollback(store: Store, release_id: int, *, include_manual: bool = False) -> int | None:
    """The id of a rollback waiting to run for this release, if any."""
    with store.read() as session:
        query = select(RollbackEvent.id).where(RollbackEvent.release_id == release_id,
                                               RollbackEvent.state == "decided")
        if not include_manual:
            query = query.where(RollbackEvent.method == "automatic")
        return session.scalar(query)


def manual_rollback_for(store: Store, release_ref: str | int, actor: str, now: datetime) -> int:
    """The rollback ``actor`` may carry out now: Release Owner only (refusals audited), one must be waiting.

    The CLI's ``vigil rollback`` and the web server's rollback button both come through here.
    """
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, ["release_owner"], "execute a rollback", now)
    event_id = pending_rollback(store, release_id, include_manual=True)
    if event_id is None:
        raise Conflict("no rollback is waiting to be carried out for this release")
    # Claimed here, before anyone is answered, so of several requests at once only one is accepted (the
    # others get 409); the run itself may start later, in the background. A claim whose run never
    # started (its worker died) lapses after CLAIM_LAPSES.
    with store.write() as session:
        ensure_open(session, release_id, "carrying out a rollback")  # a bulk update passes no flush guard
        result = session.execute(
            update(RollbackEvent)
            .where(RollbackEvent.id == event_id, RollbackEvent.state == "decided",
                   or_(RollbackEvent.started_at.is_(None), RollbackEvent.started_at < now - CLAIM_LAPSES))
            .values(started_at=now))
        if not cast(CursorResult[Any], result).rowcount:
            raise Conflict("this release's rollback is already being carried out")
        audit(session, at=now, actor=actor, action="rollback.requested", entity="rollback", entity_id=event_id,
              release_id=release_id, payload={})
    return event_id


def execute_rollback(store: Store, event_id: int, clock: Clock, actor: str = SYSTEM_ACTOR) -> RollbackEvent:
    started = clock.now()
    with store.write() as session:
        result = session.execute(
            update(RollbackEvent).where(RollbackEvent.id == event_id, RollbackEvent.state == "decided")
            .values(state=RollbackState.STARTED, started_at=started))
        claimed = cast(CursorResult[Any], result).rowcount
        event = session.get(RollbackEvent, event_id)
        if event is None:
            raise NotFound(f"no rollback event {event_id}")
        if not claimed:
            return event
        release = session.get(Release, event.release_id)
        assert release is not None
        plan = plan_of(release)
        event.lease_until = started + plan.rollback.action.timeout + ROLLBACK_GRACE
        audit(session, at=started, actor=actor, action="rollback.started", entity="rollback",
              entity_id=event_id, release_id=release.id, payload={"action": event.action})
        notify_rollback(session, release, event, now=started)
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
        if event.state not in (RollbackState.STARTED, RollbackState.INTERRUPTED):
            return event  # a person settled it meanwhile: theirs stands
        late = event.state == RollbackState.INTERRUPTED  # taken for dead meanwhile: the outcome still stands
        if late:
            from vigil.watch.rollback_settle import clear_interruption  # it builds on this module

            clear_interruption(session, event, clock.now())
        record_outcome(session, release, event, state, output, clock.now(), actor, late=late)
    return event


def record_outcome(session: Session, release: Release, event: RollbackEvent, state: str, output: str,
                   now: datetime, actor: str, *, late: bool = False, note: str = "") -> None:
    """Store how the action ended (its worker, or a person settling it), announce it, and queue the
    verification of a completed one."""
    event.state, event.output, event.completed_at, event.lease_until = state, output, now, None
    if state == RollbackState.FAILED:
        event.verification = "Not verified: the rollback action failed."
    payload: dict[str, object] = {"output": output[:500]}
    if late or note:
        payload.update(after_interruption=late, note=note)
    audit(session, at=now, actor=actor, action=f"rollback.{state}", entity="rollback",
          entity_id=event.id, release_id=release.id, payload=payload)
    notify_rollback(session, release, event, now=now)
    if state == RollbackState.COMPLETED:
        queue_verification(session, release, event)


def queue_verification(session: Session, release: Release, event: RollbackEvent) -> None:
    assert event.completed_at is not None
    due = event.completed_at + plan_of(release).rollback.verification_delay
    queue_work(session, release.id, WorkKind.VERIFY_ROLLBACK, str(event.id), due)


def notify_rollback(session: Session, release: Release, event: RollbackEvent, *, now: datetime) -> None:
    """Tell the plan's stakeholders that the rollback started, or how its action ended (by its state)."""
    from vigil.alerts.communication import announce  # here: vigil.alerts itself reads watch models

    what = f"{event.method} rollback decided at {event.checkpoint.name}: {event.reason}"
    target = f"to {release.baseline_version}" if release.baseline_version else "to the previous version"
    if event.state == "started":
        announce(session, release, step="rollback-start", kind="rollback_start", now=now,
                 subject=f"rollback {target} started",
                 body=f"Rollback of {release.name} {target} started at {now.isoformat()} ({what}).")
        return
    outcome = {"completed": "completed", "failed": "FAILED"}.get(event.state, event.state)
    delay = plan_of(release).rollback.verification_delay.total_seconds() / 60
    follow = (f"The service is verified on the previous version {delay:g} min after completion."
              if event.state == "completed" else "The deployment team must check the service by hand.")
    # An interruption, and then how a person settled it, are two announcements (one per step).
    step = "rollback-interrupted" if event.state == RollbackState.INTERRUPTED else "rollback-end"
    announce(session, release, step=step, kind="rollback_end", now=now,
             subject=f"rollback {target} {outcome}",
             body=f"Rollback of {release.name} {target} {outcome} at {now.isoformat()} ({what}). "
                  f"Outcome: {event.output.strip()[:300] or 'no output'}. {follow}")


def verify_rollback(store: Store, work: Claimed, now: datetime, actor: str = SYSTEM_ACTOR) -> RollbackEvent:
    """Read the service on the previous version (``work`` is due: completion + the plan's delay), and store
    the verification with the work marked done, once."""
    event_id = int(work.key)
    with store.read() as session:
        event = session.get(RollbackEvent, event_id)
        if event is None:
            raise NotFound(f"no rollback event {event_id}")
        release = session.get(Release, event.release_id)
        assert release is not None
        plan, completed = plan_of(release), event.completed_at
    if completed is None or event.verified is not None:
        with store.write() as session:
            finish(session, work, now, "nothing to verify")
        return event
    verified, verification, post = _verify(plan, completed, now)
    with store.write() as session:
        event = session.get(RollbackEvent, event_id)
        stored_release = session.get(Release, release.id)
        assert event is not None and stored_release is not None
        finish(session, work, now, verification)
        event.verified, event.verification, event.post_rollback_metrics = verified, verification, post
        stored_release.status = "rolled_back"
        audit(session, at=now, actor=actor, action="rollback.verified", entity="rollback",
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
