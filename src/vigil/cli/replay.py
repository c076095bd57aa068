"""`vigil replay`: run a plan over recorded series and show what would have fired, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import console, warn_about_plan


def replay(plan: Annotated[Path, typer.Option("--plan", help="Monitoring plan (YAML).")],
           data: Annotated[Path, typer.Option("--data", help="Directory of recorded series (<metric>.csv, "
                                                             ".jsonl or OpenMetrics snapshots).")],
           db: Annotated[str | None, typer.Option("--db", help="Keep the replay in this store (default: a "
                                                               "throwaway one; never ./vigil.db).")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False
           ) -> None:
    """Backtest a plan: every checkpoint's verdict over recorded data, to tune thresholds on an incident."""
    import json
    import tempfile

    from vigil.plan import load_plan
    from vigil.settings import database_url
    from vigil.store import Store
    from vigil.watch.replay import replay as run

    parsed, text = load_plan(plan)
    warn_about_plan(parsed, text, str(plan))
    with tempfile.TemporaryDirectory(prefix="vigil-replay-") as tmp:
        store = Store(database_url(db) if db else f"sqlite:///{Path(tmp) / 'replay.db'}")
        try:
            result = run(store, text, str(plan), data)
        finally:
            store.dispose()
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    _print_table(result)


def _print_table(result: object) -> None:
    from rich.table import Table

    from vigil.analysis.judgement import fmt
    from vigil.reports.formatting import HEALTH_ICON
    from vigil.watch.replay import ReplayResult

    assert isinstance(result, ReplayResult)
    table = Table("When (UTC)", "Kind", "Checkpoint / rule", "Health", "Decision", "What breached",
                  title=f"Replay of {result.release} over {result.data}")
    for e in result.events:
        breached = "\n".join(f"{b.label}: {b.status} ({fmt(b.value, b.unit)} vs {fmt(b.baseline, b.unit)})"
                             for b in e.breaches) or (e.note if e.health is None else "—")
        health = f"{HEALTH_ICON.get(e.health, '')} {e.health}" if e.health else "—"
        table.add_row(f"{e.at:%Y-%m-%d %H:%M}", e.kind, e.name, health, e.decision, breached)
    console.print(table)
    verdict = f"would have rolled back at {result.rollback_at}" if result.rollback_at else "no rollback"
    console.print(f"Result: {verdict}.")
