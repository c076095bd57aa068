"""What the watch loop calls between checkpoints: evaluate rules, send due communications, deliver.

Returns when the loop should wake for alerting next. On the wall clock that is every evaluation
interval; a ``ManualClock`` jumps, and since rules catch up over the whole elapsed series in one pass,
waking it every minute would only cost time, so it is woken for communications only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from vigil.alerts.communication import send_due
from vigil.alerts.evaluation import evaluate_rules
from vigil.alerts.log_signals import fire_log_signals
from vigil.alerts.notify.outbox import deliver_pending
from vigil.clock import Clock, ManualClock
from vigil.incidents.models import Incident, IncidentEvent
from vigil.incidents.service import record_mitigation
from vigil.releases.service import get_release, plan_of
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.models import RollbackEvent
from vigil.watch.schedule import pending_checkpoints


def alerting_tick(store: Store, release_id: int, clock: Clock) -> datetime | None:
    now = clock.now()
    evaluate_rules(store, release_id, now)
    fire_log_signals(store, release_id, now)
    note_rollback(store, release_id)
    next_comm = send_due(store, release_id, now, finishing=not pending_checkpoints(store, release_id))
    deliver_pending(store, clock, release_id=release_id)
    with store.read() as session:
        plan = plan_of(get_release(session, release_id))
    wakes = [t for t in (next_comm,) if t is not None]
    if (plan.alerting.rules or plan.slos) and not isinstance(clock, ManualClock):
        wakes.append(now + plan.alerting.evaluation_interval)
    return min(wakes) if wakes else None


def note_rollback(store: Store, release_id: int) -> None:
    """Put a completed rollback on the timeline of the release's open incidents (once each), and, once
    the rollback is verified, record it as the mitigation at its real time (even before a person's
    acknowledgement: those two steps are not ordered, see ``vigil.incidents.clock``)."""
    with store.write() as session:
        event = session.scalar(
            select(RollbackEvent).where(RollbackEvent.release_id == release_id, RollbackEvent.state == "completed")
        )
        if event is None or event.completed_at is None:
            return
        incidents = session.scalars(
            select(Incident).where(Incident.release_id == release_id, Incident.status.in_(("open", "investigating")))
        )
        for incident in incidents:
            if incident.detected_at > event.completed_at:
                continue
            if event.verified:
                record_mitigation(session, incident, event.completed_at, actor="vigil",
                                  how=f"{event.method} rollback completed and verified")
            if any(e.kind == "rollback" for e in incident.events):
                continue
            text = (f"Rollback ({event.method}) completed: {event.verification or 'not verified'}").strip()
            session.add(
                IncidentEvent(
                    incident_id=incident.id, at=event.completed_at, author="vigil", kind="rollback", text=text
                )
            )
            audit(
                session,
                at=event.completed_at,
                actor="vigil",
                action="incident.note",
                entity="incident",
                entity_id=incident.id,
                release_id=release_id,
                payload={"kind": "rollback", "text": text},
            )
