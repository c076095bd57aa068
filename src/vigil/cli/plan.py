"""`vigil plan check FILE` (validation and advice, nothing registered) and `vigil plan docs` (the reference)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import console

app = typer.Typer(help="Check a monitoring plan; print the plan reference.", no_args_is_help=True)


@app.command("check")
def check(file: Annotated[Path, typer.Argument(help="Monitoring plan (YAML).")]) -> None:
    """Validate a plan and give advice, without registering anything. Exit 0 when valid, 1 with errors.

    Each problem is one line, FILE:LINE: field: message; warnings start with "warning:".
    """
    from vigil.errors import PlanError
    from vigil.plan.advice import plan_warnings
    from vigil.plan.loader import parse_plan, plan_errors, read_plan_text

    name = str(file)
    try:
        text = read_plan_text(file)
    except PlanError as exc:
        console.print(str(exc), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    errors = plan_errors(text, name)
    for error in errors:
        console.print(str(error), highlight=False, soft_wrap=True, markup=False)
    if errors:
        console.print(f"{name}: {len(errors)} error(s); nothing registered", highlight=False, markup=False)
        raise typer.Exit(1)
    warnings = plan_warnings(parse_plan(text, name), text, name)
    for warning in warnings:
        console.print(f"warning: {warning}", highlight=False, soft_wrap=True, markup=False)
    console.print(f"{name}: valid" + (f", {len(warnings)} warning(s)" if warnings else ""), highlight=False,
                  markup=False)


@app.command("docs")
def docs(out: Annotated[Path | None, typer.Option(help="Write here (e.g. docs/plan.md) instead of standard "
                                                       "output.")] = None) -> None:
    """The reference of every plan field (type, default, example, description), from the schema."""
    from vigil.plan.reference import plan_reference

    text = plan_reference()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")
