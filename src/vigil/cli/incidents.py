"""`vigil incident open|ack|note|status|clock|update|rca|dora|show|report|list`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, parse_time, require_actor

if TYPE_CHECKING:
    from vigil.store import Store

app = typer.Typer(
    help="Incidents (ICT tickets): open, acknowledge, investigate, resolve, close, RCA.", no_args_is_help=True
)

_ANYONE = ("release_owner", "monitoring_owner", "service_owner", "sponsor", "participant")
_OWNERS = ("release_owner", "monitoring_owner", "service_owner")


@app.command("open")
def open_(
    release: str,
    title: Annotated[str, typer.Option(help="Short title.")],
    severity: Annotated[str, typer.Option(help="critical, high, medium or low.")] = "medium",
    description: Annotated[str, typer.Option()] = "",
    user_impact: Annotated[str, typer.Option()] = "",
    business_impact: Annotated[str, typer.Option()] = "",
    alert: Annotated[list[int] | None, typer.Option(help="Alert id(s) that detected it.")] = None,
    impact_started: Annotated[
        datetime | None, typer.Option(help="When impact began (ISO, UTC if no zone).", parser=parse_time)
    ] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Open an incident by hand (or from alerts with --alert)."""
    from vigil.clock import SystemClock, utc
    from vigil.incidents.service import open_incident

    store, now, who = open_store(db), SystemClock().now(), require_actor(actor)
    release_id = _release_id(store, release)
    _authorize(store, release_id, who, _ANYONE, "open an incident", now)
    with store.write() as session:
        incident = open_incident(
            session,
            release_id=release_id,
            title=title,
            severity=severity,
            actor=who,
            now=now,
            description=description,
            user_impact=user_impact,
            business_impact=business_impact,
            alert_ids=alert or [],
            impact_started_at=utc(impact_started) if impact_started else None,
        )
        console.print(
            f"Opened [bold]{incident.ticket}[/] ({incident.severity}"
            f"{', major' if incident.major else ''}): {incident.title}"
        )
    _deliver(store)


@app.command("ack")
def ack(ticket: str, actor: ActorOption = None, db: DbOption = None) -> None:
    """Acknowledge an incident (and its firing alerts)."""
    from vigil.incidents.service import acknowledge

    _run(
        ticket,
        actor,
        db,
        _ANYONE,
        "acknowledge an incident",
        lambda s, who, now: acknowledge(s, ticket, actor=who, now=now),
        "acknowledged",
    )


@app.command("note")
def note(
    ticket: str,
    text: str,
    at: Annotated[datetime | None, typer.Option(help="When it happened, if not now (ISO).", parser=parse_time)] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Add an action or finding to the incident's timeline."""
    from vigil.clock import utc
    from vigil.incidents.service import add_note

    _run(
        ticket,
        actor,
        db,
        _ANYONE,
        "add to an incident's timeline",
        lambda s, who, now: add_note(s, ticket, text, actor=who, now=now, at=utc(at) if at else None),
        "noted",
    )


@app.command("status")
def status(
    ticket: str,
    new_status: Annotated[str, typer.Argument(help="investigating, resolved or closed.")],
    note: Annotated[str, typer.Option(help="Why, in a few words.")] = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Move the incident along open → investigating → resolved → closed (major: closing needs the RCA)."""
    from vigil.incidents.service import set_status

    roles = _OWNERS if new_status == "closed" else _ANYONE
    _run(
        ticket,
        actor,
        db,
        roles,
        f"set an incident {new_status}",
        lambda s, who, now: set_status(s, ticket, new_status, actor=who, now=now, note=note),
        new_status,
    )


@app.command("clock")
def clock(
    ticket: str,
    field: Annotated[
        str,
        typer.Argument(help="impact_started, detected, acknowledged, investigating, mitigated, resolved, closed"),
    ],
    at: Annotated[datetime, typer.Argument(help="ISO time (UTC if no zone).", parser=parse_time)],
    reason: Annotated[str, typer.Option(help="Why the time is set or corrected.")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Set or correct one timestamp of the incident's clock (audited; must stay in order)."""
    from vigil.clock import utc
    from vigil.incidents.service import edit_clock

    _run(
        ticket,
        actor,
        db,
        _ANYONE,
        "edit an incident's clock",
        lambda s, who, now: edit_clock(s, ticket, field, utc(at), actor=who, now=now, reason=reason),
        f"{field} set",
    )


@app.command("update")
def update(
    ticket: str,
    severity: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    user_impact: Annotated[str | None, typer.Option()] = None,
    business_impact: Annotated[str | None, typer.Option()] = None,
    root_cause_category: Annotated[str | None, typer.Option()] = None,
    root_cause_change: Annotated[str | None, typer.Option(help="Change or commit that caused it.")] = None,
    root_cause: Annotated[str | None, typer.Option()] = None,
    prevention: Annotated[str | None, typer.Option()] = None,
    alert: Annotated[list[int] | None, typer.Option(help="Link alert id(s).")] = None,
    checkpoint: Annotated[str | None, typer.Option(help="Link the checkpoint it was seen at, e.g. T+2h.")] = None,
    evidence: Annotated[list[str] | None, typer.Option(help="Evidence reference(s).")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Change the ticket's details, root cause and links."""
    from vigil.incidents.service import update_details

    _run(
        ticket,
        actor,
        db,
        _ANYONE,
        "update an incident",
        lambda s, who, now: update_details(
            s,
            ticket,
            actor=who,
            now=now,
            severity=severity,
            description=description,
            user_impact=user_impact,
            business_impact=business_impact,
            root_cause_category=root_cause_category,
            root_cause_change=root_cause_change,
            root_cause=root_cause,
            prevention=prevention,
            alert_ids=alert,
            checkpoint=checkpoint,
            evidence=evidence,
        ),
        "updated",
    )


@app.command("rca")
def rca(
    ticket: str,
    file: Annotated[Path, typer.Option("--file", help="RCA document (YAML).")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Record the root-cause analysis (validated; errors name file:line)."""
    from vigil.incidents.rca import load_rca, record_rca

    document = load_rca(file)
    _run(
        ticket,
        actor,
        db,
        _ANYONE,
        "record a root-cause analysis",
        lambda s, who, now: record_rca(s, ticket, document, actor=who, now=now),
        "RCA recorded",
    )


@app.command("dora")
def dora(
    ticket: str,
    facts: Annotated[Path | None, typer.Option(help="Impact facts (YAML) to classify.")] = None,
    sent: Annotated[str | None, typer.Option(help="Record a report as sent: initial|intermediate|final.")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Classify against the DORA major-incident rules; record reports sent; show the reporting clocks."""
    from vigil.clock import SystemClock
    from vigil.incidents.documents import load_model
    from vigil.incidents.dora import IncidentFacts, record_facts, record_report_sent, reporting_clocks
    from vigil.incidents.service import get_incident

    store, now = open_store(db), SystemClock().now()
    if facts is not None or sent is not None:
        who = require_actor(actor)
        document = load_model(facts, IncidentFacts) if facts is not None else None  # bad file: nothing stored
        _authorize(store, _incident_release(store, ticket), who, _OWNERS, "classify an incident", now)
        with store.write() as session:
            if document is not None:
                record_facts(session, ticket, document, actor=who, now=now)
            if sent is not None:
                record_report_sent(session, ticket, sent, now, actor=who, now=now)
    with store.read() as session:
        incident = get_incident(session, ticket)
        console.print(incident.dora.get("explanation", "not classified yet"), highlight=False)
        for c in reporting_clocks(incident, now):
            console.print(
                f"  {c.report}: {c.state}"
                + (f", due {c.due_at:%Y-%m-%d %H:%M} UTC" if c.due_at else "")
                + f" ({c.rule})",
                highlight=False,
            )


@app.command("show")
def show(ticket: str, db: DbOption = None) -> None:
    """The incident report (with its RCA) on standard output."""
    from vigil.clock import SystemClock
    from vigil.incidents.reports import render_incident_report

    typer.echo(render_incident_report(open_store(db), ticket, SystemClock().now()))


@app.command("report")
def report(
    ticket: str, out: Annotated[Path, typer.Option(help="Markdown file to write.")], db: DbOption = None
) -> None:
    """Write the incident report / RCA document (Markdown) to a file."""
    from vigil.clock import SystemClock
    from vigil.incidents.reports import render_incident_report

    out.write_text(render_incident_report(open_store(db), ticket, SystemClock().now()), encoding="utf-8")
    console.print(f"Wrote {out}")


@app.command("list")
def list_(release: Annotated[str | None, typer.Option(help="Only this release.")] = None, db: DbOption = None) -> None:
    """Incidents, oldest first."""
    from rich.table import Table

    from vigil.incidents.service import list_incidents
    from vigil.releases.service import get_release

    table = Table("Ticket", "Severity", "Status", "Major", "Detected (UTC)", "Source", "Title")
    with open_store(db).read() as session:
        release_id = get_release(session, release).id if release else None
        for i in list_incidents(session, release_id):
            table.add_row(
                i.ticket,
                i.severity,
                i.status,
                "yes" if i.major else "",
                f"{i.detected_at:%Y-%m-%d %H:%M}",
                i.source,
                i.title[:60],
            )
    console.print(table)


# --- helpers --------------------------------------------------------------------------------------------


def _run(
    ticket: str,
    actor: str | None,
    db: str | None,
    roles: tuple[str, ...],
    action: str,
    work: object,
    done: str,
) -> None:
    from vigil.clock import SystemClock

    store, now, who = open_store(db), SystemClock().now(), require_actor(actor)
    _authorize(store, _incident_release(store, ticket), who, roles, action, now)
    with store.write() as session:
        incident = work(session, who, now)  # type: ignore[operator]
        console.print(f"{incident.ticket} {done} (status {incident.status})")
    _deliver(store)


def _authorize(
    store: Store, release_id: int | None, actor: str, roles: tuple[str, ...], action: str, now: datetime
) -> None:
    from vigil.releases.roles import authorize

    if release_id is not None:
        authorize(store, release_id, actor, roles, action, now)


def _incident_release(store: Store, ticket: str) -> int | None:
    from vigil.incidents.service import get_incident

    with store.read() as session:
        return get_incident(session, ticket).release_id


def _release_id(store: Store, ref: str) -> int:
    from vigil.releases.service import get_release

    with store.read() as session:
        return get_release(session, ref).id


def _deliver(store: Store) -> None:
    from vigil.alerts.notify.outbox import deliver_pending
    from vigil.clock import SystemClock

    deliver_pending(store, SystemClock())
