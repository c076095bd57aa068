"""The release's communication timeline: the template's T+0 start notice, T+15 first status, T+1h
business update, T+4h leadership update and T+24h final result, sent on schedule to the stakeholders
the plan names, and recorded (with what happened to each message) as the release's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.models import Alert, Communication, Feedback, Notification
from vigil.alerts.notify.outbox import queue
from vigil.errors import NotFound, VigilError
from vigil.incidents.models import Incident
from vigil.plan import format_offset
from vigil.plan.alerting import CommunicationStep
from vigil.plan.schema import Plan, Stakeholder
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.models import Checkpoint

TITLES = {
    "start": "Deployment start notification",
    "status": "First status update",
    "business": "Business metrics update",
    "leadership": "Comprehensive update to leadership",
    "final": "Final result notification",
}


@dataclass(frozen=True)
class Delivery:
    channel: str | None
    recipient: str
    stakeholder: str


def step_key(step: CommunicationStep) -> str:
    return f"{format_offset(step.at)}-{step.kind}"


def send_due(store: Store, release_id: int, now: datetime, *, finishing: bool = False) -> datetime | None:
    """Record and queue every step that is due; return when the next one falls due (None: all done).

    ``finishing``: the watch is over (its last checkpoint is done), so the final-result notice goes out now
    even if the timeline put it later (a plan whose checkpoints end at T+8h still gets its final notice).
    """
    with store.write() as session:
        release = session.get(Release, release_id)
        if release is None:
            raise NotFound(f"no release #{release_id}")
        plan = plan_of(release)
        done = set(session.scalars(select(Communication.step).where(Communication.release_id == release_id)))
        upcoming: list[datetime] = []
        for step in sorted(plan.communication.timeline, key=lambda s: s.at):
            due = release.started_at + step.at
            if step_key(step) in done:
                continue
            if due > now and not (finishing and step.kind == "final"):
                upcoming.append(due)
                continue
            _send(session, release, plan, step, due, now)
    return min(upcoming) if upcoming else None


def _send(
    session: Session, release: Release, plan: Plan, step: CommunicationStep, due: datetime, now: datetime
) -> Communication:
    audience = [s for s in plan.stakeholders if not step.audiences or s.audience in step.audiences]
    subject = f"{release.service} {release.version} — {format_offset(step.at)}: {TITLES[step.kind]}"
    return _record(session, release, plan, audience, step=step_key(step), kind=step.kind, due=due,
                   audiences=list(step.audiences), subject=subject, body=compose(session, release, plan, step),
                   now=now)


def announce(session: Session, release: Release, *, step: str, kind: str, subject: str, body: str,
             now: datetime) -> Communication:
    """A message to every stakeholder outside the plan's timeline (a rollback starting, ending), queued in
    the outbox and recorded on the release's communication timeline under ``step`` (once per step)."""
    plan = plan_of(release)
    return _record(session, release, plan, list(plan.stakeholders), step=step, kind=kind, due=now, audiences=[],
                   subject=f"{release.service} {release.version}: {subject}", body=body, now=now)


def _record(session: Session, release: Release, plan: Plan, audience: list[Stakeholder], *, step: str,
            kind: str, due: datetime, audiences: list[str], subject: str, body: str,
            now: datetime) -> Communication:
    deliveries = [_route(plan, s) for s in audience]
    notes: list[Notification] = []
    by_channel: dict[str, list[str]] = {}
    for d in deliveries:
        if d.channel is not None:
            by_channel.setdefault(d.channel, []).append(d.recipient)
    for channel, recipients in by_channel.items():
        notes.append(
            queue(
                session,
                plan.notifications,
                release.id,
                f"communication.{kind}",
                channel,
                subject=subject,
                body=body,
                now=now,
                recipients=recipients,
                data={"step": step, "release": release.slug},
            )
        )
    unreachable = [d.stakeholder for d in deliveries if d.channel is None]
    delivery = "; ".join(f"{c}: {', '.join(r)}" for c, r in by_channel.items()) or "no channel"
    if unreachable:
        delivery += f" — recorded only for {', '.join(unreachable)}: no notification channel in the plan reaches them"
    comm = Communication(
        release_id=release.id,
        step=step,
        kind=kind,
        due_at=due,
        sent_at=now,
        audiences=audiences,
        recipients=[s.name for s in audience],
        subject=subject,
        body=body,
        delivery=delivery,
        notification_ids=[n.id for n in notes],
    )
    session.add(comm)
    session.flush()
    audit(
        session,
        at=now,
        actor="vigil",
        action="communication.sent",
        entity="communication",
        entity_id=comm.id,
        release_id=release.id,
        payload={"step": comm.step, "recipients": comm.recipients},
    )
    return comm


def _route(plan: Plan, stakeholder: Stakeholder) -> Delivery:
    """A stakeholder's channel may name a plan channel, an e-mail address or a #chat channel."""
    channels = plan.notifications.channels
    target = stakeholder.channel
    named = next((c for c in channels if c.name == target), None)
    if named is not None:
        return Delivery(named.name, "", stakeholder.name)
    kind = "smtp" if "@" in target else "slack" if target.startswith("#") else None
    match = next((c for c in channels if c.kind == kind), None)
    return Delivery(match.name if match else None, target, stakeholder.name)


def compose(session: Session, release: Release, plan: Plan, step: CommunicationStep) -> str:
    """The message text, from what is stored at the moment it is sent."""
    last = session.scalar(
        select(Checkpoint)
        .where(Checkpoint.release_id == release.id, Checkpoint.state == "evaluated")
        .order_by(Checkpoint.offset_seconds.desc())
    )
    alerts = session.scalars(select(Alert).where(Alert.release_id == release.id)).all()
    incidents = session.scalars(select(Incident).where(Incident.release_id == release.id)).all()
    lines = [
        f"{release.name} ({release.service} {release.version}, {release.deployment_method}) — "
        f"status: {release.status.replace('_', ' ')}."
    ]
    if step.kind == "start":
        lines.append(
            f"Deployment started at T+0; {len(plan.checkpoints)} checkpoints planned up to "
            f"{plan.checkpoint_names()[-1]}. Monitoring owner: {plan.people.monitoring_owner.name}."
        )
    if last is not None and last.decision is not None:
        lines.append(
            f"Latest checkpoint {last.name}: health {last.decision.health}, decision "
            f"{last.decision.go_no_go}. {' '.join(last.decision.reasons[:2])}"
        )
    if step.kind in {"business", "leadership", "final"} and last is not None:
        business = [r for r in last.readings if any(m.name == r.metric and m.business for m in plan.metrics)]
        if business:
            lines.append(
                "Business metrics: "
                + "; ".join(
                    f"{r.label} {r.current:.4g}{r.unit} ({r.status})" for r in business if r.current is not None
                )
            )
    open_alerts = [a for a in alerts if a.status != "resolved"]
    lines.append(
        f"Alerts: {len(alerts)} triggered, {len(open_alerts)} open. Incidents: {len(incidents)}"
        + (f" ({', '.join(f'{i.ticket} {i.severity} {i.status}' for i in incidents)})." if incidents else ".")
    )
    return "\n".join(lines)


def record_feedback(
    session: Session,
    release_id: int,
    team: str,
    text: str,
    *,
    author: str,
    now: datetime,
    step: str | None = None,
) -> Feedback:
    """Stakeholder feedback, optionally against one message of the timeline (its step: T+1h-business)."""
    if not text.strip() or not team.strip():
        raise VigilError("feedback needs a team and some text")
    comm_id = None
    if step:
        comm_id = session.scalar(
            select(Communication.id).where(Communication.release_id == release_id, Communication.step == step)
        )
        if comm_id is None:
            raise NotFound(f"no communication '{step}' was sent for this release")
    item = Feedback(
        release_id=release_id,
        communication_id=comm_id,
        team=team.strip(),
        author=author,
        text=text.strip(),
        at=now,
    )
    session.add(item)
    session.flush()
    audit(
        session,
        at=now,
        actor=author,
        action="feedback.recorded",
        entity="feedback",
        entity_id=item.id,
        release_id=release_id,
        payload={"team": item.team, "step": step},
    )
    return item
