"""`vigil lessons publish RELEASE` and `vigil lessons search WORDS` (PM-30)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor
from vigil.cli.govcommon import evidence_dir, now

app = typer.Typer(help="Lessons learned, shared across the organisation (PM-30).", no_args_is_help=True)

KbOption = Annotated[
    Path | None,
    typer.Option(
        "--kb", envvar="VIGIL_KB_DIR", help="Knowledge-base folder (default: the plan's, else ./vigil-kb)."
    ),
]


@app.command("publish")
def publish(
    release: str,
    kb: KbOption = None,
    webhook: Annotated[str | None, typer.Option(help="Announce the page here (POST JSON).")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Publish the release's lessons page (Markdown + HTML) and rebuild the index."""
    from vigil.governance.lessons import publish as run

    store = open_store(db)
    page, item, announced = run(
        store, evidence_dir(store), release, actor=require_actor(actor), now=now(), kb=kb, webhook=webhook
    )
    console.print(
        f"Published {page} (evidence #{item.id})" + (f"; announcement: {announced}" if announced else "")
    )


@app.command("search")
def search(
    words: Annotated[list[str], typer.Argument(help="Every word must appear.")], kb: KbOption = None
) -> None:
    """Search every published lessons page, across releases and services."""
    from vigil.governance.lessons import kb_root
    from vigil.governance.lessons import search as run

    hits = run(kb_root(kb), " ".join(words))
    if not hits:
        console.print("No lessons page mentions all of: " + " ".join(words))
        return
    for hit in hits:
        console.print(f"[bold]{hit.title}[/] ({hit.service}) — {hit.path}", highlight=False)
        for line in hit.lines:
            console.print(f"    {line}", highlight=False, markup=False)
