"""`vigil alert list|ack|resolve` and `vigil comms list|feedback`."""

from __future__ import annotations

from typing import Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor

app = typer.Typer(help="Alerts: list, acknowledge, resolve.", no_args_is_help=True)
comms = typer.Typer(help="The communication timeline and stakeholder feedback.", no_args_is_help=True)

_ANYONE = ("release_owner", "monitoring_owner", "service_owner", "sponsor", "participant")


@app.command("list")
def list_(
    release: Annotated[str | None, typer.Option(help="Only this release.")] = None,
    status: Annotated[str | None, typer.Option(help="firing, acknowledged or resolved.")] = None,
    db: DbOption = None,
) -> None:
    """Alerts, oldest first."""
    from rich.table import Table

    from vigil.alerts.service import list_alerts
    from vigil.releases.service import get_release

    store = open_store(db)
    table = Table("#", "Rule", "Severity", "Status", "Started (UTC)", "Ack by", "Resolution", "Incident", "Summary")
    with store.read() as session:
        release_id = get_release(session, release).id if release else None
        for a in list_alerts(session, release_id, status):
            table.add_row(
                str(a.id),
                a.rule,
                a.severity,
                a.status,
                f"{a.started_at:%Y-%m-%d %H:%M}",
                a.acknowledged_by or "",
                a.resolution or "",
                str(a.incident_id or ""),
                a.summary[:60],
            )
    console.print(table)


@app.command("ack")
def ack(alert_id: int, actor: ActorOption = None, db: DbOption = None) -> None:
    """Acknowledge a firing alert (anyone named on its release)."""
    from vigil.alerts.service import acknowledge_alert
    from vigil.clock import SystemClock

    store, now, who = open_store(db), SystemClock().now(), require_actor(actor)
    _authorize(store, alert_id, who, "acknowledge an alert", now)
    with store.write() as session:
        alert = acknowledge_alert(session, alert_id, actor=who, now=now)
        console.print(f"Alert #{alert.id} acknowledged by {who}")


@app.command("resolve")
def resolve(
    alert_id: int,
    not_an_issue: Annotated[bool, typer.Option("--not-an-issue", help="A false positive.")] = False,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Resolve an alert by hand; --not-an-issue marks it a false positive."""
    from vigil.alerts.service import resolve_alert
    from vigil.clock import SystemClock

    store, now, who = open_store(db), SystemClock().now(), require_actor(actor)
    _authorize(store, alert_id, who, "resolve an alert", now)
    with store.write() as session:
        alert = resolve_alert(
            session,
            alert_id=alert_id,
            now=now,
            actor=who,
            resolution="not_an_issue" if not_an_issue else "fixed",
        )
        assert alert is not None
        console.print(f"Alert #{alert.id} {alert.status} ({alert.resolution})")


@comms.command("list")
def comms_list(release: str, db: DbOption = None) -> None:
    """The release's communication timeline: what was sent, when, to whom."""
    from vigil.incidents.reports import communication_view
    from vigil.releases.service import get_release

    with open_store(db).read() as session:
        view = communication_view(session, get_release(session, release))
        for offset, _kind, text in view["rows"]:
            console.print(f"[bold]{offset}[/] {text}", highlight=False)
        for fb in view["feedback"]:
            console.print(f"Feedback from {fb.team} ({fb.author}): {fb.text}", highlight=False)


@comms.command("feedback")
def feedback(
    release: str,
    team: Annotated[str, typer.Option(help="e.g. Engineering, Product, Support.")],
    text: Annotated[str, typer.Argument(help="What they said.")],
    step: Annotated[str | None, typer.Option(help="The message it answers, e.g. T+1h-business.")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Record stakeholder feedback against the release's communication timeline."""
    from vigil.alerts.communication import record_feedback
    from vigil.clock import SystemClock
    from vigil.releases.service import get_release

    store, now, who = open_store(db), SystemClock().now(), require_actor(actor)
    with store.write() as session:
        item = record_feedback(session, get_release(session, release).id, team, text, author=who, now=now, step=step)
        console.print(f"Feedback #{item.id} from {item.team} recorded")


def _authorize(store: object, alert_id: int, actor: str, action: str, now: object) -> None:
    from vigil.alerts.models import Alert
    from vigil.errors import NotFound
    from vigil.releases.roles import authorize
    from vigil.store import Store

    assert isinstance(store, Store)
    with store.read() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFound(f"no alert #{alert_id}")
        release_id = alert.release_id
    if release_id is not None:
        authorize(store, release_id, actor, _ANYONE, action, now)  # type: ignore[arg-type]


@app.command("effectiveness")
def effectiveness_(
    release: Annotated[str | None, typer.Option(help="Only this release (default: across all releases).")] = None,
    db: DbOption = None,
) -> None:
    """Alert effectiveness and response times, overall and per severity, alert rule and release."""
    from rich.table import Table

    from vigil.incidents.effectiveness import breakdown
    from vigil.incidents.reports import fmt_pct
    from vigil.releases.service import get_release

    def mins(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    with open_store(db).read() as session:
        release_id = get_release(session, release).id if release else None
        parts = breakdown(session, release_id)
    table = Table(
        "By",
        "Scope",
        "Alerts",
        "TP",
        "FP",
        "Missed",
        "Effect.",
        "Recall",
        "MTTA (mean/median)",
        "MTTR (mean/median)",
        "Left out of MTTA/MTTR",
    )
    for group, rows in parts.items():
        for e in rows:
            a, r = e.times["acknowledge"], e.times["resolve"]
            table.add_row(
                group,
                e.scope,
                str(e.alerts),
                str(e.true_positives),
                str(e.false_positives),
                str(e.missed),
                fmt_pct(e.effectiveness_pct),
                fmt_pct(e.recall_pct),
                f"{mins(a.mean)} / {mins(a.median)}",
                f"{mins(r.mean)} / {mins(r.median)}",
                f"{a.excluded} unacked / {r.excluded} unresolved",
            )
    console.print(table)
    console.print(
        "Minutes from detection. TP: alerts linked to an incident; FP: resolved as not an issue; missed: "
        "incidents with no alert before detection.",
        highlight=False,
    )
