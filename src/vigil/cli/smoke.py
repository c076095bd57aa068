"""`vigil smoke RELEASE` runs the plan's checks; `vigil smoke import RELEASE results.xml` imports JUnit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor
from vigil.cli.defaultgroup import default_group
from vigil.cli.govcommon import evidence_dir, now

if TYPE_CHECKING:
    from vigil.smoke.models import SmokeRun

app = default_group("run", help="Post-deployment smoke tests (DEP-02).")


@app.command("run")
def run(release: str, actor: ActorOption = None, db: DbOption = None) -> None:
    """Run the plan's HTTP smoke checks now; exits non-zero if any fails."""
    from vigil.clock import SystemClock
    from vigil.smoke.service import run_smoke

    store = open_store(db)
    _show(run_smoke(store, evidence_dir(store), release, SystemClock(), actor=require_actor(actor)))


@app.command("import")
def import_(release: str, file: Path, actor: ActorOption = None, db: DbOption = None) -> None:
    """Import JUnit XML from any test runner as this release's smoke results."""
    from vigil.smoke.service import import_junit

    store = open_store(db)
    _show(import_junit(store, evidence_dir(store), release, file, actor=require_actor(actor), now=now()))


def _show(run: SmokeRun) -> None:
    from rich.table import Table

    from vigil.errors import VigilError

    table = Table("Check", "Result", "Time", "Tries", "Detail")
    for r in run.results:
        colour = {"passed": "green", "skipped": "yellow"}.get(r.outcome, "red")
        table.add_row(
            r.name,
            f"[{colour}]{r.outcome}[/]",
            f"{r.duration_ms:.0f} ms" if r.duration_ms is not None else "—",
            str(r.attempts),
            r.message,
        )
    console.print(table)
    console.print(
        f"Smoke run #{run.id}: {run.total - run.failed - run.skipped} passed, {run.failed} failed, "
        f"{run.skipped} skipped; sealed as evidence #{run.evidence_id}"
    )
    if run.failed:
        raise VigilError(f"{run.failed} smoke check(s) failed")
