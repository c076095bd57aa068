"""A rollback whose worker died inside its action: noticed within a bound, flagged, settled by a person.

A started rollback holds a lease (``vigil.watch.rollback``); every watcher, on every round of the release,
marks one whose lease has passed "interrupted", so it is noticed at most the action's timeout plus
``ROLLBACK_GRACE`` after it started, plus one watcher round, whichever watcher is alive. The action is
never run a second time (nobody knows how far it got): a critical alert is raised and the stakeholders
told, and the Release Owner settles it with ``vigil rollback settle`` once the deployment was checked by
hand. A settled "completed" rollback is verified like any other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigil.alerts.service import fire_alert, resolve_alert
from vigil.errors import Conflict, UsageError
from vigil.releases.models import Release
from vigil.releases.roles import authorize
from vigil.releases.service import SYSTEM_ACTOR, get_release
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.models import RollbackEvent, RollbackState
from vigil.watch.rollback import notify_rollback, record_outcome

OUTCOMES = (RollbackState.COMPLETED, RollbackState.FAILED)


def _fingerprint(event: RollbackEvent) -> str:
    return f"rollback-interrupted:{event.release_id}"


def expire_rollback_lease(store: Store, release_id: int, now: datetime) -> bool:
    """Mark this release's started rollback interrupted if its lease has passed (a row with no lease was
    started before leases existed: its worker is gone too)."""
    with store.write() as session:
        event = session.scalar(select(RollbackEvent).where(
            RollbackEvent.release_id == release_id, RollbackEvent.state == RollbackState.STARTED,
            or_(RollbackEvent.lease_until.is_(None), RollbackEvent.lease_until <= now)))
        if event is None:
            return False
        event.state, event.lease_until = RollbackState.INTERRUPTED, None
        event.verification = ("The worker running this rollback stopped before it finished; it was not run "
                              "again. Check the deployment by hand, then settle it (vigil rollback settle).")
        audit(session, at=now, actor=SYSTEM_ACTOR, action="rollback.interrupted", entity="rollback",
              entity_id=event.id, release_id=release_id, payload={})
        fire_alert(session, release_id=release_id, rule="rollback_interrupted", severity="critical",
                   fingerprint=_fingerprint(event), labels={"rollback": str(event.id)}, now=now,
                   source="watch", summary="The rollback was interrupted inside its action; the deployment "
                                           "must be checked by hand and the rollback settled.")
        release = session.get(Release, release_id)
        assert release is not None
        notify_rollback(session, release, event, now=now)  # the end stakeholders hear of: nobody knows how
        return True


def clear_interruption(session: Session, event: RollbackEvent, now: datetime, actor: str = SYSTEM_ACTOR) -> None:
    resolve_alert(session, fingerprint=_fingerprint(event), now=now, actor=actor)


def settle_rollback(store: Store, release_ref: str | int, outcome: str, note: str, *, actor: str,
                    now: datetime) -> RollbackEvent:
    """The Release Owner's word on how an interrupted rollback ended (refusals audited)."""
    if outcome not in OUTCOMES:
        raise UsageError(f"--outcome must be one of {', '.join(OUTCOMES)}, not '{outcome}'")
    if not note.strip():
        raise UsageError("say what was checked (--note)")
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, ["release_owner"], "settle an interrupted rollback", now)
    with store.write() as session:
        event = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release_id))
        if event is None or event.state != RollbackState.INTERRUPTED:
            state = event.state if event is not None else "none"
            raise Conflict(f"no interrupted rollback to settle for this release (rollback: {state})")
        release = session.get(Release, release_id)
        assert release is not None
        clear_interruption(session, event, now, actor)
        record_outcome(session, release, event, outcome, f"settled by {actor}: {note.strip()}", now, actor,
                       note=note.strip())
        return event
