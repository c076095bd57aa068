"""`vigil action add|list|done|carry|cancel`: retrospective action items tracked to completion."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor
from vigil.cli.govcommon import evidence_dir, now

if TYPE_CHECKING:
    from vigil.evidence.models import EvidenceItem

app = typer.Typer(help="Action items from the retrospective.", no_args_is_help=True)


@app.command("add")
def add(
    release: str,
    title: str,
    assignee: Annotated[str, typer.Option(help="Who does it.")],
    due: Annotated[str, typer.Option(help="Due date, YYYY-MM-DD (end of that day, UTC).")],
    from_: Annotated[str, typer.Option("--from", help="incident:12, alert:7, checkpoint:T+2h…")] = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Add an action item."""
    from vigil.flows.actions import add_action

    store = open_store(db)
    added = add_action(store, evidence_dir(store), release, title=title, assignee=assignee, due_at=_date(due),
                       source=from_, actor=require_actor(actor), now=now())
    console.print(f"Action item #{added.item.id} added, due {added.item.due_at:%Y-%m-%d}")
    _say_resealed(added.resealed)


@app.command("list")
def list_(
    release: Annotated[str | None, typer.Argument()] = None,
    overdue: Annotated[bool, typer.Option(help="Only open items past their due date.")] = False,
    db: DbOption = None,
) -> None:
    """Action items, soonest due first."""
    from rich.table import Table

    from vigil.releases.service import get_release
    from vigil.retro.actions import list_actions

    store, moment = open_store(db), now()
    table = Table("#", "Release", "Action", "Assigned", "Due", "Status", "From")
    with store.read() as session:
        release_id = get_release(session, release).id if release else None
        for a in list_actions(session, release_id=release_id, overdue_at=moment if overdue else None):
            status = "overdue" if a.overdue(moment) else a.status.replace("_", " ")
            table.add_row(
                str(a.id),
                str(a.release_id),
                a.title,
                a.assignee,
                f"{a.due_at:%Y-%m-%d}",
                status + (f": {a.reason}" if a.reason else ""),
                a.source,
            )
    console.print(table)


@app.command("done")
def done(action: int, actor: ActorOption = None, db: DbOption = None) -> None:
    """Mark an action item done (its assignee, or the Release/Monitoring Owner)."""
    from vigil.flows.actions import complete_action

    store = open_store(db)
    closed = complete_action(store, evidence_dir(store), action, actor=require_actor(actor), now=now())
    console.print(f"Action item #{closed.item.id} done.")
    _say_resealed(closed.resealed)


@app.command("carry")
def carry(
    action: int,
    reason: Annotated[str, typer.Option(help="Why it moves to a later release.")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Carry an action item over to later work, with a reason (Release/Monitoring Owner)."""
    from vigil.flows.actions import complete_action

    store = open_store(db)
    closed = complete_action(store, evidence_dir(store), action, actor=require_actor(actor), now=now(),
                             carry_reason=reason)
    console.print(f"Action item #{closed.item.id} carried over: {closed.item.reason}")
    _say_resealed(closed.resealed)


def _say_resealed(items: list[EvidenceItem]) -> None:
    for item in items:
        console.print(f"Sealed {item.kind} {item.filename} again as evidence #{item.id} (new version)")


@app.command("cancel")
def cancel(
    action: int,
    reason: Annotated[str, typer.Option(help="Why it will not be done.")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Cancel an open action item, with a reason (Release/Monitoring Owner); it no longer counts as open."""
    from vigil.flows.actions import cancel_action

    store = open_store(db)
    closed = cancel_action(store, evidence_dir(store), action, actor=require_actor(actor), now=now(), reason=reason)
    console.print(f"Action item #{closed.item.id} cancelled: {closed.item.reason}")
    _say_resealed(closed.resealed)


def _date(text: str) -> datetime:
    from vigil.errors import VigilError

    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise VigilError(f"--due '{text}' is not a date like 2026-12-31") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
