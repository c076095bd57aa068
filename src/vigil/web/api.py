"""The REST API, /api/v1: releases, checkpoints, decisions, charts, rollback, sign-offs, who am I.

Reads need a token unless the server runs with --public-read; every write names its actor, is checked
against the actor's role in the release by the service function (the CLI's check), and is audited there.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from vigil.access.service import Identity
from vigil.errors import NotFound
from vigil.flows.checkpoint_round import checkpoint_now
from vigil.releases.models import Person, Release, ReleaseRole
from vigil.releases.service import get_release
from vigil.signoffs.service import acknowledge_checkpoint
from vigil.usage.service import usage_summary
from vigil.watch.rollback import execute_rollback, manual_rollback_for
from vigil.web.auth import check_csrf, reader, writer
from vigil.web.context import ctx
from vigil.web.overview import MAX_PAGE_SIZE, PAGE_SIZE, Offset
from vigil.web.reads import (
    REVALIDATE,
    cached_response,
    dashboard_for,
    ensure_readable,
    overview_for,
    scope_for,
    scope_key,
)
from vigil.web.release_view import as_json, checkpoint_json, rollback_json

router = APIRouter(prefix="/api/v1", tags=["api"])
Reader = Annotated[Identity | None, Depends(reader)]
Writer = Annotated[Identity, Depends(writer)]
JSON = "application/json"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


class AckBody(BaseModel):
    note: str = Field(default="", max_length=2000)


@router.get("/releases", summary="Releases, newest first, with health, next checkpoint and go/no-go")
def list_releases(
    request: Request,
    who: Reader,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    scope = scope_for(request, who)

    def body() -> str:
        page = overview_for(request, who, limit=limit, offset=offset, status=status)
        return _json(
            {
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
                "incidents_note": page.incidents_note,
                "releases": [
                    {
                        **vars(r),
                        "started_at": r.started_at.isoformat(),
                        "next_due": r.next_due.isoformat() if r.next_due else None,
                    }
                    for r in page.rows
                ],
            }
        )

    return cached_response(request, ("api-releases", limit, offset, status, scope_key(scope)), body, media_type=JSON)


@router.get("/releases/{ref}", summary="One release: checkpoints with decisions and reasons, rollback, people")
def release_detail(request: Request, ref: str, who: Reader) -> Response:
    dash = dashboard_for(request, ref, who)
    return cached_response(
        request, ("api-release", dash.release.id, dash.version), lambda: _json(as_json(dash)), media_type=JSON
    )


@router.get("/releases/{ref}/checkpoints", summary="The checkpoint timeline T+0…T+24h")
def checkpoints(request: Request, ref: str, who: Reader) -> list[dict[str, Any]]:
    return [checkpoint_json(e) for e in dashboard_for(request, ref, who).timeline]


@router.get("/releases/{ref}/checkpoints/{name}", summary="One checkpoint: readings, decision, reasons")
def checkpoint(request: Request, ref: str, name: str, who: Reader) -> dict[str, Any]:
    for entry in dashboard_for(request, ref, who).timeline:
        if entry.view.name == name:
            return checkpoint_json(entry)
    raise NotFound(f"checkpoint {name} is not in this release's plan")


@router.get(
    "/releases/{ref}/charts",
    summary="Chart series per metric: baseline, new version, thresholds, checkpoint and rollback markers",
)
def charts(
    request: Request,
    ref: str,
    who: Reader,
    metric: str | None = None,
    group: str | None = None,
    v: Annotated[str | None, Query(description="the dashboard version; a matching one may be cached")] = None,
) -> Response:
    dash = dashboard_for(request, ref, who)
    if metric is not None:
        return JSONResponse([c for c in dash.charts.charts if c["metric"] == metric])
    # Versioned URLs never change content: let the browser keep them (privately: they need a token).
    cache = "private, max-age=86400" if v == dash.version else REVALIDATE
    return cached_response(
        request,
        ("api-charts", dash.release.id, dash.version, group),
        lambda: dash.charts.html_json(group),
        media_type=JSON,
        cache_control=cache,
    )


@router.get("/releases/{ref}/rollback", summary="The release's rollback, if one was decided")
def rollback(request: Request, ref: str, who: Reader) -> dict[str, Any] | None:
    return rollback_json(dashboard_for(request, ref, who).rollback)


@router.post(
    "/releases/{ref}/rollback",
    status_code=202,
    summary="Carry out a rollback waiting for a person (Release Owner only)",
)
def execute(request: Request, ref: str, who: Writer, background: BackgroundTasks) -> dict[str, Any]:
    check_csrf(request, None)
    context = ctx(request)
    event_id = manual_rollback_for(context.store, ref, who.name, context.clock.now())
    # Running and verifying a rollback takes minutes (the plan's verification delay): answer now.
    background.add_task(execute_rollback, context.store, event_id, context.clock, who.name)
    return {"rollback": event_id, "state": "started", "actor": who.name}


@router.post(
    "/releases/{ref}/checkpoints/{name}/acknowledge",
    status_code=201,
    summary="Sign off a checkpoint decision (Release Owner or Monitoring Owner)",
)
def acknowledge(request: Request, ref: str, name: str, who: Writer, body: AckBody | None = None) -> dict[str, Any]:
    check_csrf(request, None)
    context = ctx(request)
    ack = acknowledge_checkpoint(
        context.store, ref, name, who.name, context.clock.now(), note=body.note if body else ""
    )
    return {"checkpoint": name, "person": who.name, "roles": ack.roles.split(","), "at": ack.at.isoformat()}


@router.post(
    "/releases/{ref}/checkpoints/{name}/evaluate",
    summary="Evaluate a checkpoint now (Release Owner or Monitoring Owner); a stored one is returned",
)
def evaluate(request: Request, ref: str, name: str, who: Writer) -> JSONResponse:
    from vigil.releases.roles import authorize

    check_csrf(request, None)
    context = ctx(request)
    now = context.clock.now()
    with context.store.read() as session:
        release_id = get_release(session, ref).id
    authorize(
        context.store,
        release_id,
        who.name,
        ["release_owner", "monitoring_owner"],
        f"evaluate checkpoint {name}",
        now,
    )
    outcome = checkpoint_now(context.store, context.clock, release_id, name, actor=who.name)
    return JSONResponse(vars(outcome), status_code=201 if outcome.created else 200)


@router.get("/releases/{ref}/dashboard-usage", summary="Who opened this release's dashboards, how often")
def dashboard_usage(request: Request, ref: str, who: Reader) -> dict[str, Any]:
    context = ctx(request)
    context.usage.flush()
    with context.store.read() as session:
        release = get_release(session, ref)
        ensure_readable(request, who, release.id, "dashboard usage")
        summary = usage_summary(session, release.id)
    return {
        title: {
            "views": line.views,
            "people": dict(line.people),
            "anonymous": line.anonymous,
            "first": line.first.isoformat() if line.first else None,
            "last": line.last.isoformat() if line.last else None,
        }
        for title, line in summary.items()
    }


@router.get("/me", summary="Who the token belongs to and the roles they hold")
def me(request: Request, who: Writer) -> dict[str, Any]:
    with ctx(request).store.read() as session:
        rows = session.execute(
            select(Release.slug, ReleaseRole.role)
            .join(ReleaseRole, ReleaseRole.release_id == Release.id)
            .where(ReleaseRole.person_id == who.person_id)
        ).all()
        person = session.get(Person, who.person_id)
    roles: dict[str, list[str]] = {}
    for slug, role in rows:
        roles.setdefault(slug, []).append(role)
    return {"name": who.name, "email": person.email if person else None, "roles": roles}
