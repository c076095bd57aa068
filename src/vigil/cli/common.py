"""What every command shares: the store option, the actor option, the console, time formatting."""

from __future__ import annotations

from datetime import UTC, datetime
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


# Times a person types are checked against this span: later arithmetic (offsets, UTC conversion) must not
# overflow, and a time outside it is a typo rather than a moment of a release.
_EARLIEST, _LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)


def parse_time(text: str) -> datetime:
    """An ISO 8601 time typed on the command line, as aware UTC (no zone means UTC).

    Used as the ``parser`` of every time option and argument, so a bad time is a usage error (exit 2) that
    says what was expected.
    """
    expected = "expected an ISO time such as 2026-11-24T09:00:00+01:00 (UTC if no zone)"
    try:
        moment = datetime.fromisoformat(text.strip())
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise typer.BadParameter(f"'{text}' is not a time: {expected}") from None
    if not _EARLIEST <= moment < _LATEST:
        raise typer.BadParameter(f"'{text}' is outside {_EARLIEST:%Y}-{_LATEST:%Y}: {expected}")
    return moment


def open_store(db: str | None) -> Store:
    # Every domain's models on the metadata: a model's foreign key may name another domain's table, and a
    # command loads only the domains it uses (vigil.models is light; the heavy modules stay lazy).
    import vigil.models  # noqa: F401
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
