"""`vigil demo`: a simulated canary release with a memory leak, watched end to end in seconds."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import DbOption, console, open_store


def demo(out: Annotated[Path, typer.Option(help="Where to write the monitoring log.")] = Path("vigil-demo"),
         db: DbOption = None) -> None:
    """Register the example leaky release, run all checkpoints on a fast clock, write the log."""
    from rich.progress import BarColumn, Progress, TextColumn

    from vigil.clock import ManualClock
    from vigil.evidence.archive import evidence_root, read_blob
    from vigil.flows.watch_loop import watch
    from vigil.plan import parse_plan
    from vigil.releases.service import create_release, slug_for, unique_slug
    from vigil.reports.sealing import seal_monitoring_log

    plan_file = resources.files("vigil") / "examples" / "checkout-leak.yaml"
    text = plan_file.read_text(encoding="utf-8")
    plan = parse_plan(text, "examples/checkout-leak.yaml")
    store = open_store(db)
    clock = ManualClock(plan.release.date)
    release = create_release(store, plan, text, "examples/checkout-leak.yaml", now=clock.now(),
                             slug=unique_slug(store, slug_for(plan) + "-demo"))
    console.print(f"Watching [bold]{release.slug}[/] ({plan.release.deployment_method}, "
                  f"{len(plan.checkpoints)} checkpoints) on a simulated clock…")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console) as progress:
        task = progress.add_task("T+0", total=len(plan.checkpoints))

        def step(_release: object, outcome: object) -> None:
            name, health = getattr(outcome, "name", ""), getattr(outcome, "health", None)
            progress.update(task, advance=1, description=f"{name}: {health or 'skipped'}")
            if getattr(outcome, "rollback_decided", False):
                progress.console.print(f"[red]Rollback decided at {name}[/]")

        watch(store, clock, [release.slug], on_checkpoint=step)
    from vigil.cli.watching import status

    status(release.slug, db=store.url)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "monitoring-log.md"
    item = seal_monitoring_log(store, release.slug, creator="vigil", now=clock.now())
    log_path.write_text(read_blob(evidence_root(store.url), item).decode("utf-8"), encoding="utf-8")
    console.print(f"Monitoring log written to [bold]{log_path}[/] and sealed as evidence #{item.id}; "
                  f"store: {store.safe_url}")
