"""`vigil evidence add|list|hold|unhold|purge|export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor
from vigil.cli.govcommon import evidence_dir, now

app = typer.Typer(help="The sealed evidence archive (AUD-03).", no_args_is_help=True)

ReqOption = Annotated[
    list[str] | None, typer.Option("--req", help="Requirement ID it supports (repeatable).")
]


@app.command("add")
def add(
    release: str,
    file: Path,
    kind: Annotated[str, typer.Option(help="e.g. dashboard, incident_report, rca, log_excerpt, alerting")],
    req: ReqOption = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Archive a file as evidence for a release, tagged with requirement IDs."""
    from vigil.evidence.service import add_file

    store = open_store(db)
    item = add_file(
        store,
        evidence_dir(store),
        release,
        file,
        kind=kind,
        requirement_ids=req or [],
        actor=require_actor(actor),
        now=now(),
    )
    console.print(
        f"Archived #{item.id} {item.kind} {item.filename} sha256 {item.sha256} "
        f"(kept until {item.retain_until:%Y-%m-%d})"
    )


@app.command("list")
def list_(
    release: Annotated[str | None, typer.Argument()] = None,
    req: Annotated[str | None, typer.Option()] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include purged items (tombstones).")] = False,
    db: DbOption = None,
) -> None:
    """Archived items, with retention and legal holds."""
    from rich.table import Table

    from vigil.evidence.service import items_for
    from vigil.evidence.versions import version_infos
    from vigil.releases.service import get_release

    store = open_store(db)
    table = Table("#", "Kind", "File", "Version", "Requirements", "SHA-256", "Created", "Keep until", "State")
    with store.read() as session:
        release_id = get_release(session, release).id if release else None
        items = items_for(session, release_id, requirement=req, include_purged=all_)
        versions = version_infos(session, items)
        for i in items:
            state = (
                f"purged {i.purged_at:%Y-%m-%d} by {i.purged_by}"
                if i.purged_at
                else f"legal hold: {i.hold_reason}"
                if i.legal_hold
                else "kept"
            )
            table.add_row(
                str(i.id),
                i.kind,
                i.filename,
                versions[i.id].label(),
                ", ".join(i.requirement_ids),
                i.sha256[:12],
                f"{i.created_at:%Y-%m-%d}",
                f"{i.retain_until:%Y-%m-%d}",
                state,
            )
    console.print(table)


@app.command("hold")
def hold(
    item: int,
    reason: Annotated[str, typer.Option(help="Why it must be kept (case, order…).")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Put an item on legal hold: it is never purged until the hold is lifted."""
    from vigil.evidence.retention import set_legal_hold

    set_legal_hold(open_store(db), item, hold=True, reason=reason, actor=require_actor(actor), now=now())
    console.print(f"Evidence #{item} is on legal hold.")


@app.command("unhold")
def unhold(item: int, actor: ActorOption = None, db: DbOption = None) -> None:
    """Lift a legal hold (the item's retention period applies again)."""
    from vigil.evidence.retention import set_legal_hold

    set_legal_hold(open_store(db), item, hold=False, reason="", actor=require_actor(actor), now=now())
    console.print(f"Evidence #{item} is no longer on legal hold.")


@app.command("purge")
def purge(
    dry_run: Annotated[bool, typer.Option(help="Only say what would be purged.")] = False,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Delete what has expired (never what is on legal hold), leaving a tombstone for each."""
    from vigil.evidence.retention import purge as run

    store = open_store(db)
    report = run(store, evidence_dir(store), actor=require_actor(actor), now=now(), dry_run=dry_run)
    verb = "Would purge" if dry_run else "Purged"
    listed = ", ".join(f"#{i}" for i in report.purged)
    console.print(f"{verb} {len(report.purged)} item(s)" + (f": {listed}" if listed else ""))
    if report.held:
        console.print(
            f"Kept {len(report.held)} expired item(s) on legal hold: "
            + ", ".join(f"#{i}" for i in report.held)
        )


@app.command("export")
def export(
    dest: Annotated[Path, typer.Argument(help="New folder, or a .tar / .tar.gz file.")],
    release: Annotated[str | None, typer.Option(help="Only this release's evidence.")] = None,
    sealed_only: Annotated[bool, typer.Option(
        "--sealed-only", help="Export only what is already sealed; by default every document the step "
                              "produced (plan, log, incident reports, RCAs, log excerpts) is sealed first "
                              "where it changed.")] = False,
    db: DbOption = None,
) -> None:
    """Export as one bundle with MANIFEST.sha256 (check with `sha256sum -c MANIFEST.sha256`)."""
    from vigil.evidence.export import export_bundle
    from vigil.releases.service import get_release

    store, moment = open_store(db), now()
    with store.read() as session:
        release_id = get_release(session, release).id if release else None
    if not sealed_only:
        from vigil.reports.sealing import seal_open_releases

        fresh = seal_open_releases(store, evidence_dir(store), release_id, creator="vigil", now=moment)
        if fresh:
            console.print(f"Sealed {len(fresh)} new document version(s) before exporting")
    with store.read() as session:
        count = export_bundle(session, evidence_dir(store), dest, release_id=release_id, now=moment)
    console.print(f"Exported {count} item(s) to {dest}; verify with: sha256sum -c MANIFEST.sha256")
