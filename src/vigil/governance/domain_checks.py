"""Requirement checks read from the other domains' records: dashboards, incidents, alerting, logging.

Each says met / partial / unmet from what the store holds for the release, so the gate cannot be satisfied
by paperwork alone; evidence tagged with the ID (``vigil evidence add``) is listed beside the data and can
stand in where the data lives outside vigil (a Grafana dashboard, a logging platform).
"""

from __future__ import annotations

from sqlalchemy import func, select

from vigil.alerts.models import Alert
from vigil.governance.requirements import Status, TraceContext, _judge
from vigil.incidents.models import Incident
from vigil.incidents.rca import missing_rca_parts
from vigil.logs.models import LogRecord
from vigil.usage.models import DashboardView
from vigil.watch.models import Checkpoint

UNRESOLVED = ("open", "investigating")


def _monitored(ctx: TraceContext) -> bool:
    return ctx.session.scalar(select(Checkpoint.id).where(
        Checkpoint.release_id == ctx.release.id, Checkpoint.state == "evaluated").limit(1)) is not None


def _monitoring_over(ctx: TraceContext) -> list[str]:
    """"No incidents" only counts once the monitoring period has ended; until then more may come."""
    if ctx.release.status in ("completed", "rolled_back"):
        return []
    return [f"the monitoring period is still running ({ctx.release.status}); incidents may still arise"]


def _incidents(ctx: TraceContext) -> list[Incident]:
    return list(ctx.session.scalars(select(Incident).where(Incident.release_id == ctx.release.id)
                                    .order_by(Incident.id)))


def req_28(ctx: TraceContext) -> Status:
    """Dashboards configured (the release has a dashboard) and active (people opened it)."""
    status, items = Status("REQ-28", "Post-release monitoring dashboards configured and active"), ctx.evidence("REQ-28")
    views, people = ctx.session.execute(
        select(func.count(DashboardView.id), func.count(func.distinct(DashboardView.person_id)))
        .where(DashboardView.release_id == ctx.release.id)).one()
    _judge(status, items, [] if views or any(i.kind == "dashboard" for i in items) else [
        f"nobody has opened the release's dashboard (`vigil serve`, then /releases/{ctx.release.slug}), and "
        "no dashboard evidence is tagged REQ-28"])
    if views:
        status.evidence.insert(0, f"the release dashboard was opened {views} time(s) by {people} person(s)")
    return status


def req_29(ctx: TraceContext) -> Status:
    """Every incident logged (a ticket), analysed (root cause recorded) and resolved."""
    status, incidents = Status("REQ-29", "All incidents logged, analysed and resolved"), _incidents(ctx)
    missing = _monitoring_over(ctx)
    for incident in incidents:
        if incident.status in UNRESOLVED:
            missing.append(f"{incident.ticket} is {incident.status}, not resolved")
        elif not (incident.root_cause or incident.rca):
            missing.append(f"{incident.ticket} has no root cause recorded (`vigil incident update`)")
    _judge(status, ctx.evidence("REQ-29"), missing)
    status.evidence.insert(0, f"{len(incidents)} incident(s) recorded" if incidents else
                           "no incident was recorded during monitoring")
    return status


def ops_02(ctx: TraceContext) -> Status:
    """ICT incidents are tickets, and every critical alert led to one."""
    status, incidents = Status("OPS-02", "ICT incident tickets logged and tracked"), _incidents(ctx)
    untracked = ctx.session.scalars(select(Alert).where(
        Alert.release_id == ctx.release.id, Alert.severity == "critical", Alert.incident_id.is_(None),
        Alert.resolution.is_distinct_from("not_an_issue"))).all()
    missing = _monitoring_over(ctx) + [f"critical alert #{a.id} ({a.rule}) has no incident ticket"
                                       for a in untracked]
    _judge(status, ctx.evidence("OPS-02"), missing)
    status.evidence.insert(0, "tickets: " + (", ".join(f"{i.ticket} ({i.status})" for i in incidents) or "none needed"))
    return status


def ops_03(ctx: TraceContext) -> Status:
    """A complete root-cause analysis for every major incident."""
    status, major = Status("OPS-03", "Root cause analysis for major incidents"), [
        i for i in _incidents(ctx) if i.major]
    missing = _monitoring_over(ctx) + [f"{i.ticket} lacks RCA parts: {', '.join(parts)}"
                                       for i in major if (parts := missing_rca_parts(i))]
    _judge(status, ctx.evidence("OPS-03"), missing)
    status.evidence.insert(0, f"{len(major)} major incident(s), each with a complete RCA" if major and not missing
                           else "no major incident" if not major else f"{len(major)} major incident(s)")
    return status


def ops_01(ctx: TraceContext) -> Status:
    """Logs of the release's service reach the central log store (or evidence shows another platform)."""
    status, items = Status("OPS-01", "Centralised logging operational"), ctx.evidence("OPS-01")
    has_logs = ctx.session.scalar(select(LogRecord.id).where(LogRecord.service == ctx.release.service)
                                  .limit(1)) is not None
    _judge(status, items, [] if has_logs or any(i.kind == "log_excerpt" for i in items) else [
        f"no log records of service '{ctx.release.service}' were ingested (`vigil logs ingest --service "
        f"{ctx.release.service} FILE`) and no log evidence is tagged OPS-01"])
    if has_logs:
        status.evidence.insert(0, f"log records of '{ctx.release.service}' are in the central store")
    return status


def dep_03(ctx: TraceContext) -> Status:
    """Monitoring (metrics, checkpoints evaluated, a rollback policy) and alerting (rules or a receiver)."""
    status, missing = Status("DEP-03", "Monitoring and alerting enabled in production"), []
    plan = ctx.plan
    if not plan.metrics:
        missing.append("the plan watches no metrics")
    if not (plan.rollback.on_critical or plan.rollback.consecutive_warnings):
        missing.append("the plan's rollback policy never triggers")
    if not _monitored(ctx):
        missing.append("no checkpoint has been evaluated")
    received = ctx.session.scalar(select(func.count(Alert.id)).where(Alert.release_id == ctx.release.id))
    if not plan.alerting.rules and not received:
        missing.append("no alert rule in the plan and no alert received for the release (Alertmanager webhook)")
    _judge(status, ctx.evidence("DEP-03"), missing)
    status.evidence.insert(0, f"{len(plan.metrics)} metrics, {len(plan.alerting.rules)} alert rule(s), "
                              f"{received} alert(s) recorded")
    if missing and status.status == "unmet" and len(missing) < 4:
        status.status = "partial"
    return status
