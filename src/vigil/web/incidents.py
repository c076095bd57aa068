"""Incidents and alerts as the overview and the release dashboard show them.

These three functions are the only place the pages ask for them, so the pages, the API and the benchmark
all read the same figures from the incident and alert tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vigil.alerts.models import Alert
from vigil.incidents.models import Incident
from vigil.store.audit import AuditEntry

NO_DATA = "no incident tracking data"
OPEN_STATES = ("open", "investigating")


@dataclass(frozen=True)
class IncidentItem:
    kind: str  # incident | alert
    ref: str
    title: str
    severity: str
    state: str
    url: str | None = None


@dataclass(frozen=True)
class ReleaseIncidents:
    tracked: bool
    note: str
    incidents: list[IncidentItem] = field(default_factory=list)
    alerts: list[IncidentItem] = field(default_factory=list)


def open_incident_counts(session: Session, release_ids: Sequence[int]) -> dict[int, int] | None:
    """Open (not yet resolved or closed) incidents per release, for the overview."""
    if not release_ids:
        return {}
    rows = session.execute(
        select(Incident.release_id, func.count()).where(Incident.release_id.in_(release_ids),
                                                        Incident.status.in_(OPEN_STATES))
        .group_by(Incident.release_id)).all()
    counts = {int(release_id): int(n) for release_id, n in rows if release_id is not None}
    return {release_id: counts.get(release_id, 0) for release_id in release_ids}


def release_incidents(session: Session, release_id: int) -> ReleaseIncidents:
    """The release's incidents and alerts for its dashboard, newest first."""
    incidents = session.scalars(select(Incident).where(Incident.release_id == release_id)
                                .order_by(Incident.detected_at.desc()))
    alerts = session.scalars(select(Alert).where(Alert.release_id == release_id).order_by(Alert.started_at.desc()))
    incident_items = [IncidentItem("incident", i.ticket, i.title, i.severity, i.status, f"/incidents/{i.ticket}")
                      for i in incidents]
    alert_items = [IncidentItem("alert", f"#{a.id}", a.summary or a.rule, a.severity, a.status) for a in alerts]
    note = "" if incident_items or alert_items else "No incidents or alerts were recorded for this release."
    return ReleaseIncidents(tracked=True, note=note, incidents=incident_items, alerts=alert_items)


def incidents_version(session: Session, release_id: int | None) -> str | None:
    """Changes whenever the release's (None: any release's) incidents or alerts change, so cached pages
    rebuild: the latest audited incident/alert change, plus alert re-fires (which update rows in place)."""
    audited = select(func.max(AuditEntry.seq)).where(
        or_(AuditEntry.action.like("incident.%"), AuditEntry.action.like("alert.%")))
    fired = select(func.coalesce(func.sum(Alert.occurrences), 0), func.count(Alert.id))
    if release_id is not None:
        audited = audited.where(AuditEntry.release_id == release_id)
        fired = fired.where(Alert.release_id == release_id)
    seq = session.scalar(audited)
    occurrences, count = session.execute(fired).one()
    return f"{seq or 0}:{occurrences}:{count}"
