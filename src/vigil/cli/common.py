"""What every command shares: the store option, the actor option, the console, time formatting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from vigil.plan import Plan
    from vigil.store import Store

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option("--db", envvar="VIGIL_DB", show_envvar=True,
                                              help="SQLAlchemy URL or SQLite path (default ./vigil.db).")]
ActorOption = Annotated[str | None, typer.Option("--as", envvar="VIGIL_ACTOR",
                                                 help="Who is acting (a person named in the release).")]


def open_store(db: str | None) -> Store:
    from vigil.settings import database_url
    from vigil.store import Store

    return Store(database_url(db))


def require_actor(actor: str | None) -> str:
    from vigil.errors import VigilError

    if not actor:
        raise VigilError("say who is acting with --as NAME (or VIGIL_ACTOR)")
    return actor


def warn_about_plan(plan: Plan, text: str, path: str) -> None:
    """Print what is valid in the plan but will probably not do what its author expects."""
    from vigil.plan.advice import plan_warnings

    for warning in plan_warnings(plan, text, path):
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
