"""`vigil closure RELEASE` shows the closure report; `vigil closure approve RELEASE` (Sponsor only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor
from vigil.cli.defaultgroup import default_group
from vigil.cli.govcommon import evidence_dir, now

app = default_group("show", help="Project closure, approved by the Sponsor (PM-29).")


@app.command("show")
def show(
    release: str,
    out: Annotated[Path | None, typer.Option(help="Write the report here.")] = None,
    db: DbOption = None,
) -> None:
    """The project closure report as Markdown."""
    from vigil.governance.closure import render_closure
    from vigil.governance.models import in_force
    from vigil.governance.signing import sealed_text
    from vigil.releases.service import get_release

    store = open_store(db)
    with store.read() as session:
        r = get_release(session, release)
        signed = in_force(session, r.id, "closure")
        # Once approved, what was approved is the sealed document, not a re-rendering of today's data.
        text = (sealed_text(session, evidence_dir(store), signed.evidence_id) if signed
                else render_closure(session, r, evidence_dir(store), now()))
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")


@app.command("approve")
def approve(
    release: str,
    note: Annotated[str, typer.Option(help="A remark recorded with the approval.")] = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Approve closure. Only the Sponsor may, and only once the gate passes (except PM-29 itself)."""
    from vigil.governance.closure import approve as run

    store = open_store(db)
    item = run(store, evidence_dir(store), release, actor=require_actor(actor), now=now(), note=note)
    console.print(f"Closure approved; report sealed as evidence #{item.id} ({item.sha256[:12]})")
