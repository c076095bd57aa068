"""`vigil serve`, `vigil user add|token|revoke|list`, `vigil dashboard export`.

The web stack (fastapi, uvicorn) is imported inside ``serve`` only, so `vigil --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.common import DbOption, console, open_store

user_app = typer.Typer(help="People who use vigil: roles per release and API tokens.", no_args_is_help=True)
dashboard_app = typer.Typer(help="Dashboards outside vigil.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    public_read: Annotated[
        bool, typer.Option("--public-read", help="Let anyone read without a token (writes still need one).")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (each serves every request).")] = 1,
    alertmanager_token: Annotated[str | None, typer.Option(
        envvar="VIGIL_ALERTMANAGER_TOKEN",
        help="Accept Alertmanager webhooks at /api/v1/alertmanager with this bearer token.")] = None,
    db: DbOption = None,
) -> None:
    """The web dashboards and the REST API (/api/v1, documented at /api/docs) on the CLI's store."""
    import uvicorn

    from vigil.web.app import create_app

    store = open_store(db)
    app = create_app(store, public_read=public_read, alertmanager_token=alertmanager_token)
    console.print(
        f"vigil on http://{host}:{port}/ (API docs at /api/docs); store: {store.safe_url}"
        + ("; reads are public" if public_read else "; sign in with a token from `vigil user token`")
        + ("; Alertmanager receiver at /api/v1/alertmanager" if alertmanager_token else "")
    )
    # No access log: at log level "warning" it is never written, yet uvicorn would still build its fields
    # for every request. Errors are logged as before.
    if workers <= 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        return
    import os

    # Several processes need an import string; each worker builds the same app from the environment.
    os.environ["VIGIL_DB"], os.environ["VIGIL_PUBLIC_READ"] = store.url, "1" if public_read else "0"
    if alertmanager_token:
        os.environ["VIGIL_ALERTMANAGER_TOKEN"] = alertmanager_token
    uvicorn.run(
        "vigil.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@user_app.command("add")
def add(
    name: str,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    role: Annotated[
        str | None,
        typer.Option(help="release_owner, monitoring_owner, service_owner, sponsor, participant or viewer "
                          "(with --release); auditor (organisation-wide: reads every release)"),
    ] = None,
    release: Annotated[str | None, typer.Option(help="The release the role is held in.")] = None,
    db: DbOption = None,
) -> None:
    """Add a person (or update their e-mail); with --role and --release, grant that role."""
    from vigil.access.service import add_user
    from vigil.clock import SystemClock

    person = add_user(open_store(db), name, SystemClock().now(), email=email, role=role, release=release)
    granted = f": {role} of {release}" if release else f": {role} (organisation-wide)" if role else ": added"
    console.print(f"{person.name}{granted}", highlight=False)


@user_app.command("remove-role")
def remove_role_cmd(
    name: str,
    role: Annotated[str, typer.Option(help="The role to take away (auditor: organisation-wide).")],
    release: Annotated[str | None, typer.Option(help="The release it is held in.")] = None,
    db: DbOption = None,
) -> None:
    """Take a role away; what it allowed ends at once, in open browser sessions too."""
    from vigil.access.service import remove_role
    from vigil.clock import SystemClock

    remove_role(open_store(db), name, role, SystemClock().now(), release=release)
    console.print(f"{name}: no longer {role}" + (f" of {release}" if release else ""), highlight=False)


@user_app.command("token")
def token(
    name: str,
    label: Annotated[str, typer.Option("--name", help="What the token is for.")] = "api",
    db: DbOption = None,
) -> None:
    """Create an API token for a person. It is shown once here and stored only as a hash."""
    from vigil.access.service import create_token
    from vigil.clock import SystemClock

    record, plain = create_token(open_store(db), name, SystemClock().now(), label=label)
    console.print(
        f"Token #{record.id} for {name} ({label}); copy it now, it will not be shown again:", highlight=False
    )
    typer.echo(plain)


@user_app.command("revoke")
def revoke(token_id: int, db: DbOption = None) -> None:
    """Revoke an API token by its number (signed-in browser sessions using it end too)."""
    from vigil.access.service import revoke_token
    from vigil.clock import SystemClock

    record = revoke_token(open_store(db), token_id, SystemClock().now())
    console.print(f"Token #{record.id} ({record.prefix}…) of {record.person.name} revoked", highlight=False)


@user_app.command("list")
def list_(db: DbOption = None) -> None:
    """People, their roles per release, and their tokens (never the tokens themselves)."""
    from rich.table import Table

    from vigil.access.service import list_people, list_tokens

    store = open_store(db)
    with store.read() as session:
        people = list_people(session)
        tokens = list_tokens(session)
    table = Table("Person", "E-mail", "Roles", "Tokens")
    for person, roles in people:
        mine = [
            f"#{t.id} {t.prefix}… {t.name}" + (" (revoked)" if t.revoked_at else "")
            for t in tokens
            if t.person_id == person.id
        ]
        table.add_row(
            person.name, person.email or "", "\n".join(f"{r} of {s}" for s, r in roles), "\n".join(mine)
        )
    console.print(table)


@dashboard_app.command("export")
def export(
    release: str,
    grafana: Annotated[bool, typer.Option("--grafana", help="Grafana dashboard JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Dashboard file (default RELEASE.grafana.json).")] = None,
    db: DbOption = None,
) -> None:
    """Write a Grafana dashboard for the plan's Prometheus metrics, and the release's checkpoints and
    rollback as Grafana annotations (in OUT with .annotations.json, for POST /api/annotations)."""
    from vigil.clock import SystemClock
    from vigil.errors import VigilError
    from vigil.web.grafana import export_grafana

    if not grafana:
        raise VigilError("say which format: --grafana (the only one so far)")
    store = open_store(db)
    with store.read() as session:
        dashboard, annotations = export_grafana(session, release, SystemClock().now())
    path = out or Path(f"{dashboard['tags'][1]}.grafana.json")
    notes = path.with_name(path.name.removesuffix(".json") + ".annotations.json")
    path.write_text(json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    notes.write_text(json.dumps(annotations, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    panels = sum(1 for p in dashboard["panels"] if p["type"] == "timeseries")
    console.print(
        f"Wrote {path} ({panels} Prometheus panel{'s' if panels != 1 else ''}) and {notes} "
        f"({len(annotations)} annotations: import the dashboard, then POST each annotation to "
        "Grafana's /api/annotations)",
        highlight=False,
    )
