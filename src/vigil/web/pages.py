"""The server-rendered pages: sign-in, releases overview, release dashboards (all metrics, business,
infrastructure) with a live fragment, and the forms that act on a release.

Every page view of a dashboard is recorded (who, which, when) for the log's "Dashboard Usage".
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from vigil.access.service import Identity, identify
from vigil.releases.roles import roles_of
from vigil.signoffs.service import acknowledge_checkpoint
from vigil.watch.rollback import execute_rollback, manual_rollback_for
from vigil.web.auth import (
    SESSION_CSRF,
    SESSION_TOKEN,
    check_csrf,
    csrf_token,
    identity,
    reader,
    safe_next,
    writer,
)
from vigil.web.context import ctx
from vigil.web.overview import PAGE_SIZE, overview
from vigil.web.release_view import ReleaseDashboard, can_acknowledge, release_dashboard

router = APIRouter(include_in_schema=False)
Reader = Annotated[Identity | None, Depends(reader)]
Writer = Annotated[Identity, Depends(writer)]
GROUPS = {"business": "Business Metrics", "infrastructure": "Infrastructure"}


def _render(request: Request, template: str, code: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("who", getattr(request.state, "identity", None))
    values.setdefault("status", code)
    return ctx(request).templates.TemplateResponse(request, template, values, status_code=code)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()],
    csrf_token_: Annotated[str, Form(alias="csrf_token")],
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf_token_)
    with ctx(request).store.read() as session:
        found = identify(session, token.strip())
    if found is None:
        return _render(request, "login.html", code=401, next=safe_next(next), error="That token is unknown or revoked.")
    request.session.clear()
    request.session[SESSION_TOKEN] = found.token_id
    request.session[SESSION_CSRF] = ""  # a fresh CSRF token for the signed-in session
    csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token_: Annotated[str, Form(alias="csrf_token")]) -> Response:
    check_csrf(request, csrf_token_)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def releases_overview(request: Request, who: Reader, status: str | None = None, page: int = 1) -> HTMLResponse:
    context = ctx(request)
    page = max(1, page)
    with context.store.read() as session:
        found = overview(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, status=status or None)
    context.usage.record("overview", context.clock.now(), None, who.person_id if who else None)
    rows = found.rendered.get("rows")
    if rows is None:
        rows = found.rendered["rows"] = context.templates.get_template("overview_rows.html").render(page=found)
    return _render(request, "overview.html", page=found, page_no=page, filter=status or "", rows=Markup(rows))


@router.get("/releases/{ref}")
def release_page(request: Request, ref: str, who: Reader, done: str | None = None) -> HTMLResponse:
    return _dashboard(request, ref, who, None, done)


@router.get("/releases/{ref}/dashboards/{group}")
def group_page(request: Request, ref: str, group: str, who: Reader) -> HTMLResponse:
    if group not in GROUPS:
        return _render(request, "error.html", code=404, message=f"no dashboard '{group}'")
    return _dashboard(request, ref, who, group, None)


def _dashboard(request: Request, ref: str, who: Identity | None, group: str | None, done: str | None) -> HTMLResponse:
    context = ctx(request)
    with context.store.read() as session:
        dash = release_dashboard(session, ref, context.clock.now())
    roles = roles_of(context.store, dash.release.id, who.name) if who else set()
    context.usage.record(group or "release", context.clock.now(), dash.release.id, who.person_id if who else None)
    return _render(
        request,
        "release.html",
        dash=dash,
        group=group,
        group_title=GROUPS.get(group or ""),
        roles=roles,
        done=done,
        live_html=_live_html(request, dash, group, who, roles),
    )


@router.get("/releases/{ref}/live")
def live(request: Request, ref: str, who: Reader, v: str = "", group: str | None = None) -> Response:
    """The self-refreshing part of a dashboard: 204 while nothing changed. A finished release's fragment
    carries no polling trigger, so the page stops asking once the watch is over."""
    context = ctx(request)
    with context.store.read() as session:
        dash = release_dashboard(session, ref, context.clock.now())
    if dash.version == v:
        return Response(status_code=204)
    roles = roles_of(context.store, dash.release.id, who.name) if who else set()
    return HTMLResponse(str(_live_html(request, dash, group if group in GROUPS else None, who, roles)))


def _live_html(
    request: Request, dash: ReleaseDashboard, group: str | None, who: Identity | None, roles: set[str]
) -> Markup:
    """The dashboard body, rendered once per dashboard version and per viewer's forms (their roles and
    CSRF token) and then reused: it is most of the page's cost and changes only with the data."""
    csrf = csrf_token(request) if who else ""
    key = (group, who.name if who else None, frozenset(roles), csrf)
    html = dash.rendered.get(key)
    if html is None:
        template = ctx(request).templates.get_template("live.html")
        html = Markup(
            template.render(
                request=request,
                dash=dash,
                group=group,
                who=who,
                roles=roles,
                can_ack=can_acknowledge(roles),
                can_rollback="release_owner" in roles,
                live=_live_url(dash, group),
            )
        )
        dash.remember(key, html)
    return html


def _live_url(dash: ReleaseDashboard, group: str | None) -> str:
    url = f"/releases/{quote(dash.release.slug)}/live?v={quote(dash.version)}"
    return url + (f"&group={group}" if group else "")


@router.post("/releases/{ref}/checkpoints/{name}/acknowledge")
def acknowledge(
    request: Request,
    ref: str,
    name: str,
    who: Writer,
    csrf_token_: Annotated[str, Form(alias="csrf_token")],
    note: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token_)
    context = ctx(request)
    acknowledge_checkpoint(context.store, ref, name, who.name, context.clock.now(), note=note)
    return RedirectResponse(f"/releases/{quote(ref)}?done=acknowledged", status_code=303)


@router.post("/releases/{ref}/rollback")
def rollback(
    request: Request,
    ref: str,
    who: Writer,
    background: BackgroundTasks,
    csrf_token_: Annotated[str, Form(alias="csrf_token")],
) -> Response:
    check_csrf(request, csrf_token_)
    context = ctx(request)
    event_id = manual_rollback_for(context.store, ref, who.name, context.clock.now())
    background.add_task(execute_rollback, context.store, event_id, context.clock, who.name)
    return RedirectResponse(f"/releases/{quote(ref)}?done=rollback", status_code=303)


__all__ = ["identity", "router"]
