"""`vigil retro RELEASE` drafts the retrospective; `vigil retro learn` adds a learning; `show` prints it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor
from vigil.cli.defaultgroup import default_group
from vigil.cli.govcommon import evidence_dir, now

app = default_group("draft", help="The retrospective (REQ-30).")


@app.command("draft")
def draft(
    release: str,
    worked: Annotated[list[str] | None, typer.Option(help="Something that worked (repeatable).")] = None,
    improve: Annotated[list[str] | None, typer.Option(help="Something to improve (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the report here (Markdown).")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Draft the retrospective from the recorded data (Release or Monitoring Owner); seals the report."""
    from vigil.retro.service import draft as run

    store = open_store(db)
    learnings = [("worked", t) for t in worked or []] + [("improve", t) for t in improve or []]
    retro, item = run(
        store, evidence_dir(store), release, actor=require_actor(actor), now=now(), learnings=learnings
    )
    console.print(
        f"Retrospective drafted: {len(retro.findings)} finding(s) from the data, "
        f"{len(retro.learnings)} learning(s); report sealed as evidence #{item.id}"
    )
    _write(store, release, out)


@app.command("learn")
def learn(
    release: str,
    text: str,
    improve: Annotated[bool, typer.Option("--improve/--worked", help="Kind of learning.")] = False,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Add what you learned (anyone named in the release)."""
    from vigil.retro.service import add_learning

    store = open_store(db)
    item = add_learning(
        store,
        evidence_dir(store),
        release,
        "improve" if improve else "worked",
        text,
        actor=require_actor(actor),
        now=now(),
    )
    console.print(f"Learning added; report sealed again as evidence #{item.id}")


@app.command("show")
def show(release: str, out: Annotated[Path | None, typer.Option()] = None, db: DbOption = None) -> None:
    """Print (or write) the retrospective report as Markdown."""
    _write(open_store(db), release, out, echo=out is None)


def _write(store: object, release: str, out: Path | None, echo: bool = False) -> None:
    from vigil.releases.service import get_release
    from vigil.retro.service import render_report
    from vigil.store import Store

    assert isinstance(store, Store)
    with store.read() as session:
        text = render_report(session, get_release(session, release), now())
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")
    elif echo:
        typer.echo(text)
