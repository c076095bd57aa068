"""Views of incidents, alert effectiveness and the communication timeline for reports, and the
stand-alone incident report / RCA document (Markdown).

Everything is computed from the store at render time, so reports always agree with what is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.models import Alert, Communication, Feedback, Notification
from vigil.incidents import effectiveness
from vigil.incidents.dora import reporting_clocks
from vigil.incidents.models import Incident
from vigil.incidents.service import CLOCK_LABELS, alerts_of, clock_of, get_incident
from vigil.plan import format_offset
from vigil.plan.alerting import DEFAULT_TIMELINE
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.reports.formatting import Clockface, checkboxes
from vigil.store import Store

SEVERITY_WORDS = ["Critical", "High", "Medium", "Low"]
STATUS_WORDS = ["Open", "Investigating", "Resolved"]


@dataclass(frozen=True)
class IncidentView:
    ticket: str
    title: str
    hm: str
    offset: str
    severity_line: str
    status_line: str
    description: str
    impact: str
    actions: list[str]
    root_cause: str
    prevention: str
    alerts: list[str]
    clock: list[tuple[str, str]]
    major: bool
    rca: dict[str, Any] | None
    dora: dict[str, Any]
    dora_clocks: list[str]
    checkpoint: str


def incident_view(
    session: Session, incident: Incident, face: Clockface, started: datetime | None, now: datetime
) -> IncidentView:
    def when(moment: datetime) -> str:
        offset = f" (T+{_offset(moment, started)})" if started is not None else ""
        return f"{face.hm(moment)}{offset}"

    status = "Resolved" if incident.status == "closed" else incident.status.capitalize()
    status_line = checkboxes(STATUS_WORDS, status) + (
        f" — closed {face.full(incident.closed_at)}" if incident.status == "closed" else ""
    )
    impact = (
        "; ".join(
            p
            for p in (
                f"Users: {incident.user_impact}" if incident.user_impact else "",
                f"Business: {incident.business_impact}" if incident.business_impact else "",
            )
            if p
        )
        or "not yet assessed"
    )
    root = incident.root_cause or "not yet identified"
    if incident.root_cause_category:
        root = (
            f"{incident.root_cause_category}"
            + (f", caused by {incident.root_cause_change}" if incident.root_cause_change else "")
            + f" — {root}"
        )
    clocks = [
        f"{c.report}: {c.state}"
        + (f", due {face.full(c.due_at)}" if c.due_at else "")
        + (f", sent {face.full(c.sent_at)}" if c.sent_at else "")
        for c in reporting_clocks(incident, now)
    ]
    return IncidentView(
        ticket=incident.ticket,
        title=incident.title,
        hm=face.hm(incident.detected_at),
        offset=_offset(incident.detected_at, started) if started else "",
        severity_line=checkboxes(SEVERITY_WORDS, incident.severity.capitalize()),
        status_line=status_line,
        description=incident.description or incident.title,
        impact=impact,
        actions=[f"{when(e.at)} — {e.author}: {e.text}" for e in sorted(incident.events, key=lambda e: (e.at, e.id))],
        root_cause=root,
        prevention=incident.prevention or "not yet decided",
        alerts=[
            f"#{a.id} {a.rule} ({a.severity}, {a.source}) fired {face.full(a.started_at)}"
            for a in alerts_of(session, incident)
        ],
        clock=[
            (CLOCK_LABELS[k].capitalize(), face.full(v) if v else "not recorded") for k, v in clock_of(incident).items()
        ],
        major=incident.major,
        rca=incident.rca,
        dora=dict(incident.dora or {}),
        dora_clocks=clocks,
        checkpoint=_checkpoint_name(session, incident.checkpoint_id),
    )


def incident_views(session: Session, release: Release, now: datetime) -> list[IncidentView]:
    face = Clockface(release.timezone)
    incidents = session.scalars(
        select(Incident).where(Incident.release_id == release.id).order_by(Incident.detected_at, Incident.id)
    )
    return [incident_view(session, i, face, release.started_at, now) for i in incidents]


def effectiveness_view(session: Session, release: Release) -> dict[str, Any]:
    figures = effectiveness.for_release(session, release.id)
    alerts = session.scalars(select(Alert).where(Alert.release_id == release.id)).all()
    acked = [(a.acknowledged_at - a.started_at).total_seconds() / 60 for a in alerts if a.acknowledged_at]
    return {
        "e": figures,
        "alert_ack_minutes": acked,
        "alert_never_acked": len(alerts) - len(acked),
        "fmt_minutes": fmt_minutes,
        "fmt_pct": fmt_pct,
    }


def communication_view(session: Session, release: Release) -> dict[str, Any]:
    plan = plan_of(release)
    face = Clockface(release.timezone)
    sent = {c.step: c for c in session.scalars(select(Communication).where(Communication.release_id == release.id))}
    timeline = sorted(plan.communication.timeline or DEFAULT_TIMELINE, key=lambda s: s.at)
    planned = {f"{format_offset(step.at)}-{step.kind}" for step in timeline}
    # Notices outside the plan's timeline (a rollback starting and ending) take their place by time.
    extra = sorted((c for key, c in sent.items() if key not in planned), key=lambda c: c.sent_at)
    timed: list[tuple[timedelta, tuple[str, str, str]]] = [
        (c.sent_at - release.started_at, (format_offset(c.sent_at - release.started_at), c.kind.replace("_", " "),
                                          _sent_text(session, c, face))) for c in extra]
    for step in timeline:
        key = f"{format_offset(step.at)}-{step.kind}"
        comm = sent.get(key)
        if comm is None:
            timed.append((step.at, (format_offset(step.at), step.kind,
                                    f"not sent (due {face.full(release.started_at + step.at)})")))
            continue
        timed.append((step.at, (format_offset(step.at), step.kind, _sent_text(session, comm, face))))
    rows = [row for _, row in sorted(timed, key=lambda pair: pair[0])]
    feedback = session.scalars(select(Feedback).where(Feedback.release_id == release.id).order_by(Feedback.at)).all()
    return {"rows": rows, "feedback": feedback, "stakeholders": plan.stakeholders, "face": face}


def _sent_text(session: Session, comm: Communication, face: Clockface) -> str:
    """What happened to one sent message: when, to whom, and each channel's delivery outcome."""
    notes = session.scalars(select(Notification).where(Notification.id.in_(comm.notification_ids or [-1])))
    outcome = ", ".join(
        f"{n.channel} {n.status}" + (f" after {len(n.attempts)} attempts" if len(n.attempts) > 1 else "")
        for n in notes
    )
    late = f" (due {face.hm(comm.due_at)})" if (comm.sent_at - comm.due_at).total_seconds() >= 60 else ""
    who = ", ".join(comm.recipients) or "no stakeholder (none named in the plan)"
    if outcome:
        return f"{comm.subject} — sent {face.hm(comm.sent_at)}{late} to {who} ({outcome})"
    return (
        f"{comm.subject} — recorded {face.hm(comm.sent_at)}{late} for {who}; "
        "not delivered: no notification channel in the plan reaches them"
    )


def render_incident_report(store: Store, ref: str | int, now: datetime) -> str:
    """The incident report with its RCA (if recorded), on its own, in Markdown: a preview, not sealed."""
    with store.read() as session:
        return incident_report_text(session, get_incident(session, ref), now)


def incident_report_text(session: Session, incident: Incident, now: datetime, version: int | None = None) -> str:
    release = session.get(Release, incident.release_id) if incident.release_id else None
    face = Clockface(release.timezone if release else "UTC")
    view = incident_view(session, incident, face, release.started_at if release else None, now)
    return (
        _env()
        .get_template("incident_report.md.j2")
        .render(i=view, incident=incident, release=release, face=face, now=now, version=version)
    )


def fmt_minutes(value: float | None) -> str:
    return "not computable" if value is None else f"{value:.1f} minutes"


def fmt_pct(value: float | None) -> str:
    return "not computable" if value is None else f"{value:.0f}%"


def _offset(moment: datetime, started: datetime | None) -> str:
    if started is None:
        return ""
    seconds = max(0, int((moment - started).total_seconds()))
    return format_offset(__import__("datetime").timedelta(seconds=seconds - seconds % 60)).removeprefix("T+")


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("vigil.incidents", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def log_context(session: Session, release: Release, now: datetime) -> dict[str, Any]:
    """What the monitoring log's incidents, effectiveness and communication sections need."""
    return {
        "incidents": incident_views(session, release, now),
        "effectiveness": effectiveness_view(session, release),
        "communication": communication_view(session, release),
    }


def _checkpoint_name(session: Session, checkpoint_id: int | None) -> str:
    from vigil.watch.models import Checkpoint

    checkpoint = session.get(Checkpoint, checkpoint_id) if checkpoint_id is not None else None
    return checkpoint.name if checkpoint is not None else ""
