"""Incident lifecycle: open (from alerts or by hand), acknowledge, investigate, resolve, close.

Status moves open → investigating → resolved → closed (a resolved incident may be re-opened into
investigating); anything else is refused. The clock keeps the order of the steps that really are ordered
(``vigil.incidents.clock``: a rollback may mitigate before anyone acknowledges);
editing a timestamp afterwards is allowed, audited and added to the timeline. A major incident cannot be
closed without a complete root-cause analysis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.models import Alert
from vigil.errors import Conflict, NotFound, VigilError
from vigil.incidents.clock import CLOCK_LABELS, check_order
from vigil.incidents.models import CLOCK, SEVERITIES, STATUSES, Incident, IncidentEvent
from vigil.plan.schema import Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.store.audit import append as audit
from vigil.store.types import record_number

TRANSITIONS: dict[str, set[str]] = {
    "open": {"investigating", "resolved"},
    "investigating": {"resolved"},
    "resolved": {"closed", "investigating"},
    "closed": set(),
}
RootCauseCategory = Literal["code", "configuration", "infrastructure", "dependency", "capacity", "data", "process",
                            "security", "unknown"]
ROOT_CAUSE_CATEGORIES: tuple[str, ...] = get_args(RootCauseCategory)


def open_incident(
    session: Session,
    *,
    release_id: int | None,
    title: str,
    severity: str,
    actor: str,
    now: datetime,
    description: str = "",
    user_impact: str = "",
    business_impact: str = "",
    detected_at: datetime | None = None,
    impact_started_at: datetime | None = None,
    alert_ids: Iterable[int] = (),
    checkpoint_id: int | None = None,
    evidence: Iterable[str] = (),
) -> Incident:
    """Open a ticket; linked alerts point at it, so it counts as detected by monitoring."""
    _check_severity(severity)
    if not title.strip():
        raise VigilError("an incident needs a title")
    plan = _plan(session, release_id)
    prefix = plan.incidents.ticket_prefix if plan else "INC"
    incident = Incident(
        ticket=f"new-{uuid.uuid4().hex}",
        release_id=release_id,
        checkpoint_id=checkpoint_id,
        title=title.strip(),
        severity=severity,
        status="open",
        major=_is_major(plan, severity),
        description=description,
        user_impact=user_impact,
        business_impact=business_impact,
        opened_by=actor,
        source="alert" if alert_ids else "manual",
        detected_at=detected_at or now,
        impact_started_at=impact_started_at,
        evidence=list(evidence),
        dora={},
    )
    _check_order(incident)
    session.add(incident)
    session.flush()
    incident.ticket = f"{prefix}-{incident.id:05d}"
    alerts = _link_alerts(session, incident, alert_ids)
    _event(
        session,
        incident,
        now,
        actor,
        "opened",
        f"Opened ({severity})" + (f" from alert(s) {', '.join(a.rule for a in alerts)}" if alerts else " by hand"),
    )
    audit(
        session,
        at=now,
        actor=actor,
        action="incident.opened",
        entity="incident",
        entity_id=incident.id,
        release_id=release_id,
        payload={
            "ticket": incident.ticket,
            "severity": severity,
            "title": title,
            "alerts": [a.id for a in alerts],
            "major": incident.major,
        },
    )
    if plan is not None:
        from vigil.alerts.notify.outbox import queue_event

        queue_event(
            session,
            plan,
            release_id,
            "incident.opened",
            subject=f"[{incident.ticket}] {severity.upper()}: {incident.title}",
            body=description or incident.title,
            now=now,
            data={"ticket": incident.ticket, "severity": severity, "status": "open"},
        )
    return incident


def get_incident(session: Session, ref: str | int) -> Incident:
    text = str(ref).strip()
    number = record_number(text)
    query = select(Incident).where(Incident.id == number if number is not None else Incident.ticket == text.upper())
    incident = session.scalar(query)
    if incident is None:
        raise NotFound(f"no incident '{ref}' (give its ticket, e.g. INC-00001; `vigil incident list`)")
    return incident


def list_incidents(session: Session, release_id: int | None = None) -> list[Incident]:
    query = select(Incident).order_by(Incident.detected_at, Incident.id)
    if release_id is not None:
        query = query.where(Incident.release_id == release_id)
    return list(session.scalars(query))


def acknowledge(session: Session, ref: str | int, *, actor: str, now: datetime) -> Incident:
    incident = get_incident(session, ref)
    if incident.acknowledged_at is not None:
        raise Conflict(f"{incident.ticket} was already acknowledged by {incident.acknowledged_by}")
    if incident.status == "closed":
        raise Conflict(f"{incident.ticket} is closed")
    _set_clock(incident, "acknowledged_at", now)
    incident.acknowledged_by = actor
    for alert in _alerts(session, incident):
        if alert.status == "firing":
            alert.status, alert.acknowledged_at, alert.acknowledged_by = "acknowledged", now, actor
    _event(session, incident, now, actor, "status", "Acknowledged")
    _audit(session, incident, now, actor, "incident.acknowledged", {})
    return incident


def set_status(session: Session, ref: str | int, status: str, *, actor: str, now: datetime, note: str = "") -> Incident:
    incident = get_incident(session, ref)
    if status not in STATUSES:
        raise VigilError(f"unknown status '{status}' (use {', '.join(STATUSES)})")
    if status not in TRANSITIONS[incident.status]:
        allowed = ", ".join(sorted(TRANSITIONS[incident.status])) or "nothing (it is closed)"
        raise Conflict(f"{incident.ticket} is {incident.status}; it can move to {allowed}, not {status}")
    if status == "closed":
        _check_closable(incident)
    field = {"investigating": "investigating_at", "resolved": "resolved_at", "closed": "closed_at"}[status]
    if status == "investigating" and incident.status == "resolved":
        incident.resolved_at = None  # re-opened: it is not resolved any more
    elif getattr(incident, field) is None or status != "investigating":
        _set_clock(incident, field, now)
    previous, incident.status = incident.status, status
    if status == "resolved":
        from vigil.alerts.service import resolve_alert

        for alert in _alerts(session, incident):
            resolve_alert(session, alert_id=alert.id, now=now, actor=actor, resolution="fixed")
    _event(session, incident, now, actor, "status", f"{previous} → {status}" + (f": {note}" if note else ""))
    _audit(session, incident, now, actor, f"incident.{status}", {"from": previous, "note": note})
    return incident


def add_note(
    session: Session,
    ref: str | int,
    text: str,
    *,
    actor: str,
    now: datetime,
    kind: str = "action",
    at: datetime | None = None,
) -> Incident:
    """A timeline entry (an action taken, a finding); ``at`` when it happened if not just now."""
    incident = get_incident(session, ref)
    if not text.strip():
        raise VigilError("the note is empty")
    _event(session, incident, at or now, actor, kind, text.strip())
    _audit(session, incident, now, actor, "incident.note", {"kind": kind, "text": text.strip()})
    return incident


def edit_clock(
    session: Session, ref: str | int, field: str, value: datetime, *, actor: str, now: datetime, reason: str
) -> Incident:
    """Correct one timestamp (impact often starts before anyone notices); audited, never out of order."""
    incident = get_incident(session, ref)
    name = field if field.endswith("_at") else f"{field}_at"
    if name not in CLOCK:
        raise VigilError(f"unknown clock field '{field}' (use {', '.join(f.removesuffix('_at') for f in CLOCK)})")
    if not reason.strip():
        raise VigilError("say why the time is being changed (--reason)")
    old = getattr(incident, name)
    _set_clock(incident, name, value)
    _event(
        session,
        incident,
        now,
        actor,
        "clock",
        f"{CLOCK_LABELS[name]} changed from {old.isoformat() if old else 'unset'} to {value.isoformat()}: {reason}",
    )
    _audit(
        session,
        incident,
        now,
        actor,
        "incident.clock_edited",
        {"field": name, "old": old.isoformat() if old else None, "new": value.isoformat(), "reason": reason},
    )
    return incident


def record_mitigation(session: Session, incident: Incident, at: datetime, *, actor: str, how: str) -> bool:
    """Set "mitigated" to when it really happened (an automatic rollback), unless a person already set it.

    Returns whether it was set. It may precede the acknowledgement: only the ordered steps are checked.
    """
    if incident.mitigated_at is not None:
        return False
    _set_clock(incident, "mitigated_at", at)
    _event(session, incident, at, actor, "clock", f"mitigated at {at.isoformat()}: {how}")
    _audit(session, incident, at, actor, "incident.mitigated", {"at": at.isoformat(), "how": how})
    return True


def update_details(session: Session, ref: str | int, *, actor: str, now: datetime, **fields: Any) -> Incident:
    """Change description, impacts, severity, root cause, prevention, evidence or links; audited."""
    incident = get_incident(session, ref)
    allowed = {
        "title",
        "description",
        "user_impact",
        "business_impact",
        "severity",
        "root_cause_category",
        "root_cause_change",
        "root_cause",
        "prevention",
    }
    changed: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key == "evidence":
            incident.evidence = [*incident.evidence, *[v for v in value if v not in incident.evidence]]
            changed[key] = list(value)
        elif key == "alert_ids":
            changed[key] = [a.id for a in _link_alerts(session, incident, value)]
        elif key == "checkpoint":
            incident.checkpoint_id = checkpoint_id(session, incident.release_id, value)
            changed[key] = value
        elif key in allowed:
            if key == "severity":
                _check_severity(value)
                incident.major = _is_major(_plan(session, incident.release_id), value)
            if key == "root_cause_category" and value not in ROOT_CAUSE_CATEGORIES:
                raise VigilError(f"unknown root-cause category '{value}' (use {', '.join(ROOT_CAUSE_CATEGORIES)})")
            setattr(incident, key, value)
            changed[key] = value
        else:
            raise VigilError(f"'{key}' cannot be changed this way")
    if changed:
        _event(session, incident, now, actor, "update", "Updated " + ", ".join(sorted(changed)))
        _audit(session, incident, now, actor, "incident.updated", changed)
    return incident


def checkpoint_id(session: Session, release_id: int | None, name: str) -> int:
    """The id of the release's stored checkpoint called ``name`` (e.g. T+2h)."""
    from vigil.plan import format_offset, parse_duration
    from vigil.watch.models import Checkpoint

    try:
        label = format_offset(parse_duration(name))
    except ValueError as exc:
        raise VigilError(str(exc)) from None
    found = session.scalar(select(Checkpoint.id).where(Checkpoint.release_id == release_id, Checkpoint.name == label))
    if found is None:
        raise NotFound(f"checkpoint {label} of this release has not been evaluated (or is not in its plan)")
    return int(found)


def clock_of(incident: Incident) -> dict[str, datetime | None]:
    return {name: getattr(incident, name) for name in CLOCK}


def alerts_of(session: Session, incident: Incident) -> list[Alert]:
    return _alerts(session, incident)


# --- helpers --------------------------------------------------------------------------------------------


def _set_clock(incident: Incident, name: str, value: datetime) -> None:
    old = getattr(incident, name)
    setattr(incident, name, value)
    try:
        _check_order(incident)
    except VigilError:
        setattr(incident, name, old)
        raise


def _check_order(incident: Incident) -> None:
    check_order(clock_of(incident))


def _check_closable(incident: Incident) -> None:
    if incident.major:
        from vigil.incidents.rca import missing_rca_parts

        missing = missing_rca_parts(incident)
        if missing:
            raise Conflict(
                f"{incident.ticket} is a major incident ({incident.severity}) and cannot be closed "
                f"without a root-cause analysis; missing: {', '.join(missing)} "
                f"(`vigil incident rca {incident.ticket} --file rca.yaml`)"
            )


def _check_severity(severity: str) -> None:
    if severity not in SEVERITIES:
        raise VigilError(f"unknown severity '{severity}' (use {', '.join(SEVERITIES)})")


def _is_major(plan: Plan | None, severity: str) -> bool:
    majors = plan.incidents.major_severities if plan else ["critical", "high"]
    return severity in majors


def _plan(session: Session, release_id: int | None) -> Plan | None:
    release = session.get(Release, release_id) if release_id is not None else None
    return plan_of(release) if release is not None else None


def _link_alerts(session: Session, incident: Incident, alert_ids: Iterable[int]) -> list[Alert]:
    alerts = []
    for alert_id in alert_ids:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFound(f"no alert #{alert_id}")
        if alert.incident_id not in (None, incident.id):
            raise Conflict(f"alert #{alert_id} already belongs to another incident")
        alert.incident_id = incident.id
        alerts.append(alert)
    session.flush()
    return alerts


def _alerts(session: Session, incident: Incident) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.incident_id == incident.id).order_by(Alert.id)))


def _event(session: Session, incident: Incident, at: datetime, author: str, kind: str, text: str) -> None:
    session.add(IncidentEvent(incident_id=incident.id, at=at, author=author, kind=kind, text=text))
    session.flush()


def _audit(
    session: Session, incident: Incident, now: datetime, actor: str, action: str, payload: dict[str, Any]
) -> None:
    audit(
        session,
        at=now,
        actor=actor,
        action=action,
        entity="incident",
        entity_id=incident.id,
        release_id=incident.release_id,
        payload={"ticket": incident.ticket, **payload},
    )
