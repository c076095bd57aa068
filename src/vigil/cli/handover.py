"""`vigil handover RELEASE` shows the checklist; `vigil handover accept RELEASE` (Service Owner only)."""

from __future__ import annotations

from typing import Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor
from vigil.cli.defaultgroup import default_group
from vigil.cli.govcommon import evidence_dir, now

app = default_group("show", help="Operational handover to the Service Owner (PM-28).")


@app.command("show")
def show(release: str, db: DbOption = None) -> None:
    """The handover checklist as Markdown."""
    from vigil.governance.handover import render_handover
    from vigil.governance.models import in_force
    from vigil.governance.signing import sealed_text
    from vigil.releases.service import get_release

    store = open_store(db)
    with store.read() as session:
        r = get_release(session, release)
        signed = in_force(session, r.id, "handover")
        # Once accepted, what was accepted is the sealed document, not a re-rendering of today's data.
        typer.echo(sealed_text(session, evidence_dir(store), signed.evidence_id) if signed
                   else render_handover(session, r, now()))


@app.command("accept")
def accept(
    release: str,
    note: Annotated[str, typer.Option(help="A remark recorded with the acceptance.")] = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Accept operational ownership. Only the release's Service Owner may."""
    from vigil.governance.handover import accept as run

    store = open_store(db)
    item = run(store, evidence_dir(store), release, actor=require_actor(actor), now=now(), note=note)
    console.print(f"Handover accepted; sealed as evidence #{item.id} ({item.sha256[:12]})")
