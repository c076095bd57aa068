"""`vigil trace RELEASE` (the traceability matrix) and `vigil gate RELEASE` (non-zero until all are met)."""

from __future__ import annotations

from vigil.cli.common import DbOption, console, open_store
from vigil.cli.govcommon import evidence_dir, now


def trace(release: str, db: DbOption = None) -> None:
    """Each Post-Release requirement: status, the evidence behind it, what is missing."""
    from rich.table import Table

    from vigil.governance.requirements import trace as run
    from vigil.releases.service import get_release

    store = open_store(db)
    colour = {"met": "green", "partial": "yellow", "unmet": "red"}
    table = Table("ID", "Requirement", "Status", "Evidence", "Missing", show_lines=True)
    with store.read() as session:
        for s in run(session, get_release(session, release), evidence_dir(store), now()):
            table.add_row(
                s.id,
                s.title,
                f"[{colour[s.status]}]{s.status}[/]",
                "\n".join(s.evidence) or "—",
                "\n".join(s.missing) or "—",
            )
    console.print(table)


def gate(release: str, db: DbOption = None) -> None:
    """Pass only when every requirement is met; otherwise name each unmet ID and what it lacks."""
    from vigil.errors import VigilError
    from vigil.governance.requirements import gate as run
    from vigil.releases.service import get_release

    store = open_store(db)
    with store.read() as session:
        r = get_release(session, release)
        unmet = run(session, r, evidence_dir(store), now())
    for s in unmet:
        console.print(f"[red]✗ {s.id}[/] ({s.status}) {s.title}: " + "; ".join(s.missing), highlight=False)
    if unmet:
        raise VigilError(
            f"gate failed for {r.slug}: {len(unmet)} requirement(s) unmet: " + ", ".join(s.id for s in unmet)
        )
    console.print(f"[green]✓[/] gate passed for {r.slug}: all 12 requirements met")
