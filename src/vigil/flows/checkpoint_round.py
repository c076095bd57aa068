"""A checkpoint's round, in one place: evaluate, decide, act (rollback), smoke, alert, notify.

The watch loop (``vigil.flows.watch_loop``), ``vigil checkpoint`` and the web's evaluate-now all come through
here, so a checkpoint evaluated from anywhere has the same consequences. Every side effect is durable work
in the store: the checkpoint's own transaction records what it makes due (a smoke run; a rollback decided),
and this round claims and performs whatever is due with a lease (``vigil.watch.work``), recording each
result exactly once. Waits are due times, never sleeps: a rollback's verification is due
``verification_delay`` after it completed, a notification's retry after its backoff; the round returns
when the release next needs attention, and the loop sleeps until then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.hook import alerting_tick
from vigil.alerts.notify.outbox import next_delivery
from vigil.clock import Clock
from vigil.errors import VigilError
from vigil.evidence.archive import evidence_root
from vigil.releases.models import Release
from vigil.releases.service import SYSTEM_ACTOR, get_release
from vigil.smoke.service import SYSTEM as SMOKE_ACTOR
from vigil.smoke.service import run_smoke
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.evaluate import Outcome, evaluate_checkpoint
from vigil.watch.models import RollbackEvent, RollbackState
from vigil.watch.rollback import execute_rollback, pending_rollback, queue_verification, verify_rollback
from vigil.watch.rollback_settle import expire_rollback_lease
from vigil.watch.schedule import pending_checkpoints
from vigil.watch.work import Claimed, LostClaim, claim_due, finish, finish_alone, next_due, outstanding
from vigil.watch.work_models import WorkKind

OnCheckpoint = Callable[[Release, Outcome], None]
_log = logging.getLogger(__name__)


def release_round(store: Store, clock: Clock, release_id: int,
                  on_checkpoint: OnCheckpoint | None = None) -> datetime | None:
    """Do everything due for one release now; return when it next needs attention (None: nothing left)."""
    settle_actions(store, clock, release_id)
    upcoming: datetime | None = None
    for item in pending_checkpoints(store, release_id):
        if item.due_at > clock.now():
            upcoming = item.due_at
            break
        outcome = evaluate_checkpoint(store, release_id, item.name, clock.now())
        if on_checkpoint is not None:
            with store.read() as session:
                on_checkpoint(get_release(session, release_id), outcome)
        settle_actions(store, clock, release_id)
    wake = alerting_tick(store, release_id, clock)  # rules run continuously; communications on schedule
    later = [t for t in (upcoming, wake, next_due(store, release_id), next_delivery(store, release_id),
                         _rollback_lease(store, release_id)) if t is not None]
    if upcoming is None and not outstanding(store, release_id) and next_delivery(store, release_id) is None:
        _finish(store, release_id, clock.now())
        later = [t for t in later if t != wake]  # a finished release needs no more rule rounds
    return min(later) if later else None


def checkpoint_now(store: Store, clock: Clock, release_ref: str | int, name: str,
                   actor: str = SYSTEM_ACTOR) -> Outcome:
    """Evaluate one checkpoint now (a person's request) and carry out all it made due, as the watch would."""
    outcome = evaluate_checkpoint(store, release_ref, name, clock.now(), actor=actor)
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    settle_actions(store, clock, release_id)
    alerting_tick(store, release_id, clock)
    return outcome


def settle_actions(store: Store, clock: Clock, release_id: int) -> None:
    """The rollback and durable work due now: a dead worker's rollback flagged, a decided automatic
    rollback run, then each due piece of work claimed and done."""
    expire_rollback_lease(store, release_id, clock.now())
    event_id = pending_rollback(store, release_id)
    if event_id is not None:
        execute_rollback(store, event_id, clock)
    _queue_missing_verification(store, release_id)
    for work in claim_due(store, release_id, clock.now()):
        try:
            _perform(store, clock, work)
        except LostClaim:  # our lease ran out and another worker took it over: its result stands
            _log.warning("release %s: %s %s was taken over by another worker", release_id, work.kind, work.key)


def _perform(store: Store, clock: Clock, work: Claimed) -> None:
    if work.kind == WorkKind.SMOKE:
        _smoke(store, clock, work)
    elif work.kind == WorkKind.VERIFY_ROLLBACK:
        verify_rollback(store, work, clock.now())


def _smoke(store: Store, clock: Clock, work: Claimed) -> None:
    """The plan's smoke checks at a checkpoint; the run and the work's completion in one transaction."""
    def mark_done(session: Session) -> None:
        finish(session, work, clock.now(), "smoke run stored")

    try:
        run_smoke(store, evidence_root(store.url), work.release_id, clock, actor=SMOKE_ACTOR, trigger=work.key,
                  in_transaction=mark_done)
    except VigilError as exc:  # no smoke is possible (a closed release, no checks left): say so, once
        finish_alone(store, work, clock.now(), f"not run: {exc}")
        with store.write() as session:
            audit(session, at=clock.now(), actor=SYSTEM_ACTOR, action="smoke.not_run", entity="release",
                  entity_id=work.release_id, release_id=work.release_id,
                  payload={"checkpoint": work.key, "why": str(exc)[:500]})


def _queue_missing_verification(store: Store, release_id: int) -> None:
    """A rollback completed before its verification was durable work (an older store) gets it queued."""
    unverified = (select(RollbackEvent).where(
        RollbackEvent.release_id == release_id, RollbackEvent.state == RollbackState.COMPLETED,
        RollbackEvent.verified.is_(None), RollbackEvent.completed_at.is_not(None)))
    with store.read() as session:
        if session.scalar(unverified) is None:
            return
    with store.write() as session:
        event, release = session.scalar(unverified), session.get(Release, release_id)
        if event is not None and release is not None:
            queue_verification(session, release, event)


def _rollback_lease(store: Store, release_id: int) -> datetime | None:
    """When a started rollback's lease ends (to notice it then if its worker died)."""
    with store.read() as session:
        return session.scalar(select(RollbackEvent.lease_until).where(
            RollbackEvent.release_id == release_id, RollbackEvent.state == RollbackState.STARTED))


def _finish(store: Store, release_id: int, now: datetime) -> None:
    with store.write() as session:
        release = session.get(Release, release_id)
        if release is None or release.status != "watching":
            return
        release.status = "completed"
        audit(session, at=now, actor=SYSTEM_ACTOR, action="release.completed", entity="release",
              entity_id=release_id, release_id=release_id, payload={})
