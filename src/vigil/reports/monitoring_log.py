"""The Post-Release Monitoring Log, written from the store in the template's order and headings.

``build_context`` gathers what is recorded into plain values; the Jinja2 template only lays them out.
Anything without data is said in words, never left as a blank to fill in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.models import Alert
from vigil.governance.logview import log_context
from vigil.incidents import reports as incident_reports
from vigil.plan import Plan, format_offset
from vigil.releases.models import Release
from vigil.releases.roles import ROLE_TITLES
from vigil.releases.service import get_release, people_by_role, plan_of
from vigil.reports import assessment, rating
from vigil.reports.formatting import (
    HEALTH_ICON,
    HEALTH_WORD,
    STATUS_ICON,
    Clockface,
    checkboxes,
    fmt,
    fmt_change,
)
from vigil.reports.sections import check_outline, checkpoint_heading
from vigil.reports.slo import slo_context
from vigil.reports.smoke import deployment_smoke, smoke_view
from vigil.reports.usage_lines import dashboard_usage_lines
from vigil.smoke.service import runs_for
from vigil.store import Store
from vigil.watch.models import Checkpoint, MetricReading, RollbackEvent

METHODS = {"canary": "Canary", "blue-green": "Blue-Green", "rolling": "Rolling", "big-bang": "Big Bang"}


@dataclass
class CheckpointView:
    name: str
    due_at: datetime
    state: str  # evaluated | skipped | pending
    note: str = ""
    evaluated_at: datetime | None = None
    traffic_percent: float = 0.0
    health: str = "unknown"
    go_no_go: str = ""
    confidence: str = ""
    risk: str = ""
    recommendation: str = ""
    reasons: list[str] = field(default_factory=list)
    readings: dict[str, MetricReading] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)  # alerts that fired since the previous checkpoint

    def r(self, metric: str) -> MetricReading | None:
        return self.readings.get(metric)


def build_context(session: Session, release: Release, now: datetime) -> dict[str, Any]:
    plan = plan_of(release)
    clock = Clockface(release.timezone)
    stored = {c.name: c for c in session.scalars(
        select(Checkpoint).where(Checkpoint.release_id == release.id).order_by(Checkpoint.offset_seconds))}
    checkpoints = [checkpoint_view(release, plan, offset, stored.get(format_offset(offset)))
                   for offset in plan.checkpoints]
    _attach_alerts(session, release, checkpoints, clock)
    rollback = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id))
    people = people_by_role(release)
    evaluated = [c for c in checkpoints if c.state == "evaluated"]
    runs = runs_for(session, release.id)
    return {
        "release": release, "plan": plan, "clock": clock, "now": now,
        "method_line": checkboxes(list(METHODS.values()), METHODS[release.deployment_method]),
        "owner": _names(people, "release_owner"), "monitoring_owner": _names(people, "monitoring_owner"),
        "people": {ROLE_TITLES[k]: ", ".join(p.name for p in v) for k, v in people.items()},
        "checkpoints": checkpoints, "by_name": {c.name: c for c in checkpoints},
        "evaluated": evaluated, "rollback": rollback,
        "decision_points": [c for c in evaluated if c.health != "healthy" or c.go_no_go != "continue"],
        "summary": assessment.summary_rows(plan, evaluated),
        "final": rating.final_assessment(session, release, plan, checkpoints, rollback, now),
        "final_checkpoint": checkpoints[-1].name if checkpoints else None,
        "smoke_runs": [smoke_view(run, clock) for run in runs],
        "deployment_smoke": deployment_smoke(runs),
        "business": assessment.business_impact(plan, evaluated),
        "history": assessment.history(session, release, evaluated),
        "learnings": assessment.learnings(plan, evaluated, rollback, clock),
        "governance": log_context(session, release),
        **incident_reports.log_context(session, release, now),
        "dashboard_usage": dashboard_usage_lines(session, release.id, clock),
        **slo_context(session, release, plan, clock),
    }


def render_monitoring_log(store: Store, release_ref: str | int, now: datetime) -> str:
    """The log as it reads now: a preview, not sealed (``reports.sealing`` seals versions of it)."""
    with store.read() as session:
        return monitoring_log_text(session, get_release(session, release_ref), now)


def monitoring_log_text(session: Session, release: Release, now: datetime, version: int | None = None) -> str:
    context = build_context(session, release, now)
    text = _environment().get_template("monitoring_log.md.j2").render(version=version, **context)
    check_outline(text, [c.name for c in context["checkpoints"]])
    return text


def checkpoint_view(release: Release, plan: Plan, offset: Any, stored: Checkpoint | None) -> CheckpointView:
    name, due = format_offset(offset), release.started_at + offset
    if stored is None:
        return CheckpointView(name, due, "pending", traffic_percent=plan.traffic_percent(offset))
    view = CheckpointView(name, stored.due_at, stored.state, stored.note, stored.evaluated_at,
                          stored.traffic_percent, readings={r.metric: r for r in stored.readings})
    if stored.decision is not None:
        d = stored.decision
        view.health, view.go_no_go, view.confidence, view.risk = d.health, d.go_no_go, d.confidence, d.risk
        view.recommendation, view.reasons = d.recommendation, list(d.reasons)
    return view


def _attach_alerts(session: Session, release: Release, checkpoints: list[CheckpointView], clock: Clockface) -> None:
    """Each checkpoint lists the alerts that started after the previous checkpoint's due time, up to its own."""
    alerts = list(session.scalars(select(Alert).where(Alert.release_id == release.id).order_by(Alert.started_at)))
    previous = None
    for checkpoint in checkpoints:
        checkpoint.alerts = [f"{a.rule} ({a.severity}, {clock.hm(a.started_at)})" for a in alerts
                             if (previous is None or a.started_at > previous) and a.started_at <= checkpoint.due_at]
        previous = checkpoint.due_at


def _names(people: dict[str, Any], role: str) -> str:
    return ", ".join(p.name for p in people.get(role, [])) or "not named in the plan"


def _no_headings(value: Any) -> Any:
    """Text people typed (an incident's description, a learning) never starts a line with '#': it would
    read as a section of the log. Markdown shows an escaped '\\#' as '#'."""
    return re.sub(r"\n([ \t]*)#", r"\n\1\\#", value) if isinstance(value, str) else value


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("vigil.reports", "templates"), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_no_headings)
    env.globals.update(fmt=fmt, fmt_change=fmt_change, checkboxes=checkboxes, HEALTH_ICON=HEALTH_ICON,
                       HEALTH_WORD=HEALTH_WORD, STATUS_ICON=STATUS_ICON, checkpoint_heading=checkpoint_heading)
    return env
