"""`vigil report` and `vigil verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import DbOption, console, err_console, open_store


def report(release: str,
           format: Annotated[str, typer.Option("--format", help="md")] = "md",
           out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
           seal: Annotated[bool, typer.Option(help="Also seal it in the evidence archive (AUD-03).")] = False,
           db: DbOption = None) -> None:
    """The Post-Release Monitoring Log, filled from what is stored."""
    from vigil.clock import SystemClock
    from vigil.errors import VigilError
    from vigil.reports.monitoring_log import render_monitoring_log

    if format != "md":
        raise VigilError(f"unknown report format '{format}' (available: md)")
    store, now = open_store(db), SystemClock().now()
    text = render_monitoring_log(store, release, now)
    if seal:
        from vigil.evidence.archive import evidence_root, read_blob
        from vigil.reports.sealing import seal_monitoring_log

        item = seal_monitoring_log(store, release, creator="vigil", now=now)
        text = read_blob(evidence_root(store.url), item).decode("utf-8")  # what was sealed, with its version
        err_console.print(f"Sealed as evidence #{item.id} (sha256 {item.sha256[:12]}…)")
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")


def verify(head: Annotated[str | None, typer.Option(
               help="A head published outside the store, SEQ:HASH (an export's manifest.json audit_head).")] = None,
           db: DbOption = None) -> None:
    """Recompute the audit chain and every archived file's hash; name what is altered, missing, re-ordered."""
    from vigil.cli.govcommon import evidence_dir
    from vigil.errors import VigilError
    from vigil.evidence.verify import verify_archive
    from vigil.store.verification import check_published_head, verify_store

    published = _published_head(head) if head else None
    store = open_store(db)
    with store.read() as session:
        problems = verify_store(session)
        if published is not None:
            problems += check_published_head(session, *published)
        problems += [p.message for p in verify_archive(session, evidence_dir(store))]
    if problems:
        for problem in problems:
            console.print(f"[red]✗[/] {problem}", highlight=False)
        raise VigilError(f"verification failed: {len(problems)} problem(s)")
    console.print("[green]✓[/] audit chain intact and matching its published heads; every record matches its "
                  "seal; every archived file matches its SHA-256")


def _published_head(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isascii() or not seq.isdigit() or len(digest) != 64:
        raise typer.BadParameter(f"'{text}' is not SEQ:HASH (a sequence number and a 64-digit hash)",
                                 param_hint="--head")
    return int(seq), digest.lower()
