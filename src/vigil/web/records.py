"""Pages for what the release accumulates besides metrics: an incident with its timeline, the alerts,
the retrospective's action items and the traceability matrix. Read-only views of the same service
functions the CLI uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from vigil.access.service import Identity
from vigil.alerts.service import list_alerts
from vigil.errors import NotFound
from vigil.evidence.archive import evidence_root
from vigil.governance.requirements import trace
from vigil.incidents.rca import rca_view
from vigil.incidents.service import alerts_of, clock_of, get_incident, list_incidents
from vigil.releases.models import Release
from vigil.releases.service import get_release
from vigil.retro.actions import list_actions
from vigil.web.auth import reader
from vigil.web.context import ctx
from vigil.web.reads import ensure_readable

router = APIRouter(include_in_schema=False)
Reader = Annotated[Identity | None, Depends(reader)]


def _page(request: Request, who: Identity | None, template: str, usage: str, release_id: int | None,
          **values: Any) -> HTMLResponse:
    context = ctx(request)
    context.usage.record(usage, context.clock.now(), release_id, who.person_id if who else None)
    values.update(who=who, status=200)
    return context.templates.TemplateResponse(request, template, values)


def _missing(request: Request, who: Identity | None, error: NotFound) -> HTMLResponse:
    return ctx(request).templates.TemplateResponse(request, "error.html", {"who": who, "status": 404,
                                                                           "message": str(error)}, status_code=404)


@router.get("/incidents/{ticket}")
def incident_page(request: Request, ticket: str, who: Reader) -> HTMLResponse:
    with ctx(request).store.read() as session:
        try:
            incident = get_incident(session, ticket)
        except NotFound as error:
            return _missing(request, who, error)
        ensure_readable(request, who, incident.release_id, "incidents")
        release = get_release(session, incident.release_id) if incident.release_id else None
        values = {"incident": incident, "release": release, "clock": clock_of(incident),
                  "events": sorted(incident.events, key=lambda e: e.at), "alerts": alerts_of(session, incident),
                  "rca": rca_view(incident)}
    return _page(request, who, "incident.html", "incident", incident.release_id, **values)


def _release_page(request: Request, ref: str, who: Identity | None, template: str, usage: str,
                  gather: Callable[[Session, Release], dict[str, Any]]) -> HTMLResponse:
    """A page about one release: 404 for an unknown one, else ``gather``'s values rendered."""
    with ctx(request).store.read() as session:
        try:
            release = get_release(session, ref)
        except NotFound as error:
            return _missing(request, who, error)
        ensure_readable(request, who, release.id, usage)
        values = gather(session, release)
    return _page(request, who, template, usage, release.id, release=release, **values)


@router.get("/releases/{ref}/alerts")
def alerts_page(request: Request, ref: str, who: Reader) -> HTMLResponse:
    return _release_page(request, ref, who, "alerts.html", "alerts", lambda session, release: {
        "alerts": list_alerts(session, release.id), "incidents": list_incidents(session, release.id)})


@router.get("/releases/{ref}/actions")
def actions_page(request: Request, ref: str, who: Reader) -> HTMLResponse:
    now = ctx(request).clock.now()
    return _release_page(request, ref, who, "actions.html", "actions", lambda session, release: {
        "actions": list_actions(session, release_id=release.id), "now": now})


@router.get("/releases/{ref}/trace")
def trace_page(request: Request, ref: str, who: Reader) -> HTMLResponse:
    context = ctx(request)
    root, now = evidence_root(context.store.url), context.clock.now()
    return _release_page(request, ref, who, "trace.html", "traceability", lambda session, release: {
        "matrix": trace(session, release, root, now)})
