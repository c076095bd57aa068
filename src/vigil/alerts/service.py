"""The single entry point for every alert producer, and the alert lifecycle.

Metric rules, the Alertmanager receiver, log signals and source outages all call ``fire_alert`` and
``resolve_alert`` inside the caller's transaction. Firing is idempotent by fingerprint while the alert is
open (a repeat only bumps ``last_seen_at``), so producers can re-send freely. The lifecycle is
firing → acknowledged → resolved; resolving records whether the alert was a real problem.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.alerts.models import RESOLUTIONS, Alert
from vigil.errors import Conflict, NotFound, VigilError
from vigil.releases.closed import ensure_open
from vigil.releases.models import Release
from vigil.releases.service import SYSTEM_ACTOR, plan_of
from vigil.store.audit import append as audit

SEVERITY_ALIASES = {
    "critical": "critical",
    "page": "critical",
    "error": "critical",
    "high": "critical",
    "warning": "warning",
    "warn": "warning",
    "medium": "warning",
}


def normalise_severity(raw: str | None) -> str:
    """Producers say 'page', 'error', 'warn'…; vigil keeps critical, warning or info."""
    return SEVERITY_ALIASES.get((raw or "").strip().lower(), "info")


def fire_alert(
    session: Session,
    *,
    release_id: int | None,
    rule: str,
    severity: str,
    fingerprint: str,
    summary: str,
    labels: dict[str, Any],
    now: datetime,
    source: str,
    service: str = "",
) -> Alert:
    """Record that an alert is firing; return the open alert with this fingerprint (new or existing)."""
    severity = normalise_severity(severity)
    alert = session.scalar(select(Alert).where(Alert.open_key == fingerprint))
    ensure_open(session, alert.release_id if alert is not None else release_id, f"recording alert {rule}")
    if alert is not None:
        return _repeat(session, alert, now)
    if release_id is not None and not service:
        release = session.get(Release, release_id)
        service = release.service if release else ""
    created = _create(session, release_id=release_id, service=service, rule=rule, severity=severity,
                      fingerprint=fingerprint, summary=summary, labels=labels, now=now, source=source)
    if created is None:  # another receiver created it meanwhile: this fire is a repeat of theirs
        raced = session.scalar(select(Alert).where(Alert.open_key == fingerprint))
        if raced is None:
            raise Conflict(f"alert {fingerprint} was created and closed by another receiver meanwhile; resend it")
        return _repeat(session, raced, now)
    return created


def _repeat(session: Session, alert: Alert, now: datetime) -> Alert:
    """Count one more occurrence in the database itself: concurrent receivers each add theirs (a
    read-modify-write here lost 2,413 of 6,000 on PostgreSQL). ORM-enabled, so the store's seal sees it."""
    seen = literal(now, Alert.__table__.c.last_seen_at.type)  # bound as the column stores it (microseconds)
    session.execute(
        update(Alert)
        .where(Alert.id == alert.id)
        .values(occurrences=Alert.occurrences + 1,
                last_seen_at=case((Alert.last_seen_at < seen, seen), else_=Alert.last_seen_at))
        .execution_options(synchronize_session=False)
    )
    session.refresh(alert, ["occurrences", "last_seen_at"])
    return alert


def _create(session: Session, *, release_id: int | None, service: str, rule: str, severity: str,
            fingerprint: str, summary: str, labels: dict[str, Any], now: datetime, source: str) -> Alert | None:
    """The new open alert, or None when a concurrent transaction holds the same open key (its unique
    index refuses ours; the savepoint keeps the rest of this transaction)."""
    alert = Alert(
        release_id=release_id,
        service=service,
        rule=rule,
        severity=severity,
        fingerprint=fingerprint,
        open_key=fingerprint,
        source=source,
        summary=summary,
        labels={str(k): str(v) for k, v in labels.items()},
        status="firing",
        started_at=now,
        last_seen_at=now,
        occurrences=1,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        if session.scalar(select(Alert.id).where(Alert.open_key == fingerprint)) is None:
            raise  # some other constraint: not a race this function can settle
        return None
    audit(
        session,
        at=now,
        actor=SYSTEM_ACTOR,
        action="alert.fired",
        entity="alert",
        entity_id=alert.id,
        release_id=release_id,
        payload={
            "rule": rule,
            "severity": severity,
            "fingerprint": fingerprint,
            "source": source,
            "summary": summary,
        },
    )
    _after_fire(session, alert, now)
    return alert


def _after_fire(session: Session, alert: Alert, now: datetime) -> None:
    """Queue the notifications the plan routes for this alert; open an incident if the plan says so."""
    from vigil.alerts.notify.outbox import queue_event

    release = session.get(Release, alert.release_id) if alert.release_id is not None else None
    if release is None:
        return
    plan = plan_of(release)
    queue_event(
        session,
        plan,
        release.id,
        f"alert.{alert.severity}",
        subject=f"[{alert.severity.upper()}] {alert.rule} on {release.service}",
        body=alert.summary or alert.rule,
        now=now,
        data=_alert_data(alert),
    )
    if alert.severity in plan.alerting.auto_incident:
        from vigil.incidents.service import open_incident

        open_incident(
            session,
            release_id=release.id,
            title=alert.summary or f"Alert {alert.rule}",
            severity="critical" if alert.severity == "critical" else "medium",
            description=f"Opened automatically from {alert.source} alert '{alert.rule}'.",
            actor=SYSTEM_ACTOR,
            now=now,
            detected_at=alert.started_at,
            alert_ids=[alert.id],
        )


def resolve_alert(
    session: Session,
    *,
    fingerprint: str | None = None,
    alert_id: int | None = None,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
    resolution: str = "cleared",
    at: datetime | None = None,
) -> Alert | None:
    """Resolve the open alert with this fingerprint (or id); None if nothing is open (idempotent)."""
    if resolution not in RESOLUTIONS:
        raise VigilError(f"unknown resolution '{resolution}' (use {', '.join(RESOLUTIONS)})")
    if alert_id is not None:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFound(f"no alert #{alert_id}")
    else:
        alert = session.scalar(select(Alert).where(Alert.open_key == fingerprint))
    if alert is not None:
        ensure_open(session, alert.release_id, f"resolving alert #{alert.id}")
    if alert is None or alert.status == "resolved":
        if alert is not None and resolution == "not_an_issue" and alert.resolution != resolution:
            # Classifying an already-cleared alert as a false positive after the fact.
            alert.resolution = resolution
            audit(
                session,
                at=now,
                actor=actor,
                action="alert.classified",
                entity="alert",
                entity_id=alert.id,
                release_id=alert.release_id,
                payload={"resolution": resolution},
            )
        return alert
    when = at or now
    alert.status, alert.open_key = "resolved", None
    alert.resolved_at, alert.resolved_by, alert.resolution = max(when, alert.started_at), actor, resolution
    audit(
        session,
        at=now,
        actor=actor,
        action="alert.resolved",
        entity="alert",
        entity_id=alert.id,
        release_id=alert.release_id,
        payload={"resolution": resolution, "resolved_at": str(alert.resolved_at)},
    )
    return alert


def acknowledge_alert(session: Session, alert_id: int, *, actor: str, now: datetime) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert #{alert_id}")
    ensure_open(session, alert.release_id, f"acknowledging alert #{alert_id}")
    if alert.status != "firing":
        raise Conflict(f"alert #{alert_id} is {alert.status}; only a firing alert can be acknowledged")
    alert.status, alert.acknowledged_at, alert.acknowledged_by = "acknowledged", now, actor
    audit(
        session,
        at=now,
        actor=actor,
        action="alert.acknowledged",
        entity="alert",
        entity_id=alert.id,
        release_id=alert.release_id,
        payload={},
    )
    return alert


def list_alerts(session: Session, release_id: int | None = None, status: str | None = None) -> list[Alert]:
    query = select(Alert).order_by(Alert.started_at, Alert.id)
    if release_id is not None:
        query = query.where(Alert.release_id == release_id)
    if status:
        query = query.where(Alert.status == status)
    return list(session.scalars(query))


def _alert_data(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.id,
        "rule": alert.rule,
        "severity": alert.severity,
        "status": alert.status,
        "fingerprint": alert.fingerprint,
        "source": alert.source,
        "labels": alert.labels,
        "started_at": alert.started_at.isoformat(),
    }
