"""`vigil release create|list|show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor, warn_about_plan

app = typer.Typer(help="Register and list releases.", no_args_is_help=True)


@app.command("create")
def create(plan: Annotated[Path, typer.Option("--plan", help="Monitoring plan (YAML).")],
           slug: Annotated[str | None, typer.Option(help="Name to use instead of SERVICE-VERSION.")] = None,
           db: DbOption = None) -> None:
    """Register a release with its monitoring plan (validated first; nothing is stored if it is bad)."""
    from vigil.clock import SystemClock
    from vigil.plan import load_plan
    from vigil.releases.service import create_release

    parsed, text = load_plan(plan)
    warn_about_plan(parsed, text, str(plan))
    store = open_store(db)
    release = create_release(store, parsed, text, str(plan), now=SystemClock().now(), slug=slug)
    console.print(f"Registered release [bold]{release.slug}[/] (#{release.id}): {release.name}, "
                  f"{release.deployment_method}, T+0 at {release.started_at.isoformat()}")


@app.command("list")
def list_(db: DbOption = None) -> None:
    """Every release, newest first."""
    from rich.table import Table

    from vigil.releases.service import list_releases

    store = open_store(db)
    table = Table("#", "Release", "Service", "Version", "Method", "T+0 (UTC)", "Status")
    with store.read() as session:
        for r in list_releases(session):
            table.add_row(str(r.id), r.slug, r.service, r.version, r.deployment_method,
                          f"{r.started_at:%Y-%m-%d %H:%M}", r.status + (", closed" if r.closed_at else ""))
    console.print(table)


@app.command("reopen")
def reopen(release: str,
           reason: Annotated[str, typer.Option(help="Why the closed release must change again (recorded).")],
           actor: ActorOption = None, db: DbOption = None) -> None:
    """Reopen a closed release (Sponsor only, audited): it becomes writable and closure must be approved again."""
    from vigil.cli.govcommon import now
    from vigil.governance.reopen import reopen as run

    r = run(open_store(db), release, actor=require_actor(actor), now=now(), reason=reason)
    console.print(f"Reopened [bold]{r.slug}[/]: the closure approval is void; approve closure again with "
                  f"`vigil closure approve {r.slug}` once the gate passes")
