"""Everything the release dashboard (page and API) shows, read from the store in one session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from vigil.plan import Plan, format_offset
from vigil.releases.models import Release, ReleaseRole
from vigil.releases.roles import ROLE_TITLES
from vigil.releases.service import get_release
from vigil.reports.formatting import Clockface
from vigil.reports.monitoring_log import CheckpointView, checkpoint_view
from vigil.signoffs.models import CheckpointAcknowledgement
from vigil.signoffs.service import ACK_ROLES, acknowledgements
from vigil.watch.models import Checkpoint, RollbackEvent
from vigil.watch.schedule import ACTIVE
from vigil.web.charts import ChartSet, group_of, release_charts
from vigil.web.freshness import LruCache
from vigil.web.incidents import ReleaseIncidents, incidents_version, release_incidents
from vigil.web.plans import cached_plan, database_of


@dataclass
class TimelineEntry:
    view: CheckpointView
    acks: list[CheckpointAcknowledgement] = field(default_factory=list)


@dataclass
class ReleaseDashboard:
    release: Release
    plan: Plan
    clock: Clockface
    timeline: list[TimelineEntry]
    rollback: RollbackEvent | None
    traffic_now: float
    people: dict[str, list[str]]
    incidents: ReleaseIncidents
    charts: ChartSet
    active: bool
    version: str  # changes whenever anything shown here changes; the live fragment polls against it

    @property
    def latest(self) -> CheckpointView | None:
        done = [e.view for e in self.timeline if e.view.state == "evaluated"]
        return done[-1] if done else None

    @property
    def next_pending(self) -> CheckpointView | None:
        return next((e.view for e in self.timeline if e.view.state == "pending"), None)

    def charts_in(self, group: str | None) -> list[dict[str, Any]]:
        return self.charts.of(group)


_CACHE: LruCache[tuple[Any, ...], ReleaseDashboard] = LruCache(256)


def release_dashboard(session: Session, ref: str | int, now: datetime) -> ReleaseDashboard:
    """The dashboard of one release, rebuilt only when something it shows has changed.

    One cheap query tells whether anything changed (checkpoints, rollback, status, sign-offs, incidents,
    and the minute while the release runs); if not, the dashboard built last time is returned. Everything
    the pages read is loaded before the session closes, so a cached dashboard never touches the database.
    """
    release = get_release(session, ref)
    key = _change_key(session, release, now)
    return _CACHE.get_or_build(key, lambda: _build(session, release, now, ".".join(str(k) for k in key[2:])))


def _change_key(session: Session, release: Release, now: datetime) -> tuple[Any, ...]:
    checkpoints = select(func.count(Checkpoint.id)).where(Checkpoint.release_id == release.id).scalar_subquery()
    rollback = select(RollbackEvent.state).where(RollbackEvent.release_id == release.id).scalar_subquery()
    acks = (
        select(func.count(CheckpointAcknowledgement.id))
        .where(CheckpointAcknowledgement.release_id == release.id)
        .scalar_subquery()
    )
    roles = select(func.count(ReleaseRole.id)).where(ReleaseRole.release_id == release.id).scalar_subquery()
    n_checkpoints, rollback_state, n_acks, n_roles = session.execute(select(checkpoints, rollback, acks, roles)).one()
    minute = int(now.timestamp() // 60) if release.status in ACTIVE else 0
    return (
        database_of(session),
        release.id,
        n_checkpoints,
        rollback_state or "-",
        release.status,
        n_acks,
        n_roles,
        incidents_version(session, release.id) or "-",
        minute,
    )


def _build(session: Session, release: Release, now: datetime, version: str) -> ReleaseDashboard:
    plan = cached_plan(session, release)
    stored = list(
        session.scalars(
            select(Checkpoint)
            .where(Checkpoint.release_id == release.id)
            .order_by(Checkpoint.offset_seconds)
            .options(selectinload(Checkpoint.readings), selectinload(Checkpoint.decision))
        )
    )
    by_name = {c.name: c for c in stored}
    acks = acknowledgements(session, release.id)
    timeline = []
    for offset in plan.checkpoints:
        found = by_name.get(format_offset(offset))
        timeline.append(
            TimelineEntry(
                checkpoint_view(release, plan, offset, found),
                acks.get(found.id, []) if found is not None else [],
            )
        )
    rollback = session.scalar(
        select(RollbackEvent)
        .where(RollbackEvent.release_id == release.id)
        .options(joinedload(RollbackEvent.checkpoint))
    )
    people: dict[str, list[str]] = {}
    for role in release.roles:
        people.setdefault(ROLE_TITLES.get(role.role, role.role), []).append(role.person.name)
    active = release.status in ACTIVE
    traffic = 0.0 if rollback is not None and rollback.state == "completed" else _traffic(release, plan, stored, now)
    return ReleaseDashboard(
        release=release,
        plan=plan,
        clock=Clockface(release.timezone),
        timeline=timeline,
        rollback=rollback,
        traffic_now=traffic,
        people=people,
        incidents=release_incidents(session, release.id),
        charts=release_charts(database_of(session), release, plan, stored, rollback, now),
        active=active,
        version=version,
    )


def _traffic(release: Release, plan: Plan, stored: list[Checkpoint], now: datetime) -> float:
    """The new version's share now: per the rollout while running, as at the end once finished."""
    if release.status not in ACTIVE:
        return stored[-1].traffic_percent if stored else 0.0
    moment = max(now, stored[-1].due_at) if stored else now
    return plan.traffic_percent(max(moment - release.started_at, timedelta(0)))


def can_acknowledge(roles: set[str]) -> bool:
    return bool(roles & set(ACK_ROLES))


def as_json(dash: ReleaseDashboard) -> dict[str, Any]:
    """The dashboard as the API returns it (times in UTC ISO 8601)."""
    r = dash.release
    return {
        "slug": r.slug,
        "name": r.name,
        "service": r.service,
        "version": r.version,
        "baseline_version": r.baseline_version,
        "deployment_method": r.deployment_method,
        "status": r.status,
        "started_at": r.started_at.isoformat(),
        "timezone": r.timezone,
        "traffic_percent_now": dash.traffic_now,
        "people": dash.people,
        "rollout": [{"at": format_offset(s.at), "percent": s.percent} for s in dash.plan.rollout],
        "checkpoints": [checkpoint_json(e) for e in dash.timeline],
        "rollback": rollback_json(dash.rollback),
        "incidents": {
            "tracked": dash.incidents.tracked,
            "note": dash.incidents.note,
            "incidents": [vars(i) for i in dash.incidents.incidents],
            "alerts": [vars(a) for a in dash.incidents.alerts],
        },
        "metrics": [
            {"name": m.name, "label": m.label, "unit": m.unit, "group": group_of(m)} for m in dash.plan.metrics
        ],
    }


def checkpoint_json(entry: TimelineEntry) -> dict[str, Any]:
    v = entry.view
    return {
        "name": v.name,
        "due_at": v.due_at.isoformat(),
        "state": v.state,
        "note": v.note,
        "evaluated_at": v.evaluated_at.isoformat() if v.evaluated_at else None,
        "traffic_percent": v.traffic_percent,
        "decision": None
        if v.state != "evaluated"
        else {
            "health": v.health,
            "go_no_go": v.go_no_go,
            "confidence": v.confidence,
            "risk": v.risk,
            "recommendation": v.recommendation,
            "reasons": v.reasons,
        },
        "readings": [
            {
                "metric": m.metric,
                "label": m.label,
                "unit": m.unit,
                "current": m.current,
                "baseline": m.baseline,
                "change_pct": m.change_pct,
                "trend": m.trend,
                "status": m.status,
                "reason": m.reason,
            }
            for m in v.readings.values()
        ],
        "acknowledgements": [
            {"person": a.person.name, "roles": a.roles.split(","), "at": a.at.isoformat(), "note": a.note}
            for a in entry.acks
        ],
    }


def rollback_json(event: RollbackEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "checkpoint": event.checkpoint.name,
        "decided_at": event.decided_at.isoformat(),
        "reason": event.reason,
        "decision_maker": event.decision_maker,
        "method": event.method,
        "state": event.state,
        "started_at": event.started_at.isoformat() if event.started_at else None,
        "completed_at": event.completed_at.isoformat() if event.completed_at else None,
        "verified": event.verified,
        "verification": event.verification,
    }
