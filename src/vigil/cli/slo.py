"""`vigil slo import` (OpenSLO v1 → the plan's ``slos`` section) and `vigil slo rules` (Prometheus rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="SLOs: import from OpenSLO, export burn-rate rules for Prometheus.", no_args_is_help=True)


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="OpenSLO v1 YAML (kind: SLO, and kind: SLI if referenced).")]
            ) -> None:
    """Print the plan's `slos:` section for the SLOs in an OpenSLO file."""
    from vigil.plan.openslo import import_openslo, slos_section

    typer.echo(slos_section(import_openslo(file)), nl=False)


@app.command("rules")
def rules(plan: Annotated[Path, typer.Argument(help="Monitoring plan (YAML) with an `slos` section.")]) -> None:
    """Print the plan's SLO recording and burn-rate alerting rules as a Prometheus rules file."""
    from vigil.alerts.slo_rules import rules_yaml
    from vigil.errors import PlanError
    from vigil.plan import load_plan

    parsed, _ = load_plan(plan)
    if not parsed.slos:
        raise PlanError(str(plan), None, "slos", "the plan has no SLOs to export")
    typer.echo(rules_yaml(parsed), nl=False)
