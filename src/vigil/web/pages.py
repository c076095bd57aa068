"""The server-rendered pages: sign-in, releases overview, release dashboards (all metrics, business,
infrastructure) with a live fragment, and the forms that act on a release.

Every page view of a dashboard is recorded (who, which, when) for the log's "Dashboard Usage", including a
view answered with "304 Not Modified". A page is rendered once per store version and viewer and then
served from memory (``web.reads``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from vigil.access.service import Identity, identify
from vigil.access.sessions import end_session, start_session
from vigil.signoffs.service import acknowledge_checkpoint
from vigil.watch.rollback import execute_rollback, manual_rollback_for
from vigil.web.auth import (
    SESSION_CSRF,
    SESSION_HOURS,
    SESSION_ID,
    check_csrf,
    client_address,
    csrf_token,
    identity,
    reader,
    safe_next,
    writer,
)
from vigil.web.context import ctx
from vigil.web.overview import PAGE_SIZE, OverviewPage, PageNumber
from vigil.web.reads import cached_response, dashboard_for, memo, overview_for, roles_for, scope_for, scope_key
from vigil.web.release_view import ReleaseDashboard, can_acknowledge
from vigil.web.signin import TooManyAttempts

router = APIRouter(include_in_schema=False)
Reader = Annotated[Identity | None, Depends(reader)]
Writer = Annotated[Identity, Depends(writer)]
GROUPS = {"business": "Business Metrics", "infrastructure": "Infrastructure"}
DONE = ("acknowledged", "rollback")  # the flash messages a redirect after a form may ask for


def _render(request: Request, template: str, code: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("who", getattr(request.state, "identity", None))
    values.setdefault("status", code)
    return ctx(request).templates.TemplateResponse(request, template, values, status_code=code)


def _cached_page(
    request: Request, template: str, key: tuple[Any, ...], values: Callable[[], dict[str, Any]]
) -> Response:
    """A page kept per store version, ``key`` (what the page shows) and viewer (their name and the CSRF
    token their forms carry)."""
    who = getattr(request.state, "identity", None)
    csrf = csrf_token(request) if who else ""

    def render() -> str:
        return ctx(request).templates.get_template(template).render(request=request, who=who, status=200, **values())

    return cached_response(request, (template, *key, who.name if who else None, csrf), render, media_type="text/html")


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
    context, address = ctx(request), client_address(request)
    now = context.clock.now()
    try:
        context.signins.check(address, now)
    except TooManyAttempts as exc:
        response = _render(request, "login.html", code=429, next=safe_next(next), error=str(exc))
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    with context.store.read() as session:
        found = identify(session, token.strip())
    if found is None:
        context.signins.failed(context.store, address, now, "unknown or revoked token")
        return _render(request, "login.html", code=401, next=safe_next(next), error="That token is unknown or revoked.")
    sid = start_session(context.store, found, address, now, timedelta(hours=SESSION_HOURS))
    request.session.clear()
    request.session[SESSION_ID] = sid
    request.session[SESSION_CSRF] = ""  # a fresh CSRF token for the signed-in session
    csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token_: Annotated[str, Form(alias="csrf_token")]) -> Response:
    check_csrf(request, csrf_token_)
    sid = request.session.get(SESSION_ID)
    if isinstance(sid, str) and sid:  # ended server-side: a copy of the cookie is worth nothing from now on
        end_session(ctx(request).store, sid, ctx(request).clock.now())
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def releases_overview(request: Request, who: Reader, status: str | None = None, page: PageNumber = 1) -> Response:
    context = ctx(request)
    page, status = max(1, page), status or None
    context.usage.record("overview", context.clock.now(), None, who.person_id if who else None)

    def values() -> dict[str, Any]:
        found = overview_for(request, who, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, status=status)
        rows = _overview_rows(request, found, scope_key(scope_for(request, who)))
        return {"page": found, "page_no": page, "filter": status or "", "rows": rows}

    return _cached_page(request, "overview.html", (page, status), values)


def _overview_rows(request: Request, found: OverviewPage, scope: object) -> Markup:
    """The rows are the same for every viewer with the same read scope: rendered once per page of it."""
    template = ctx(request).templates.get_template("overview_rows.html")
    rows: Markup = memo(request, ("overview-rows", found.limit, found.offset, found.status, scope),
                        lambda: Markup(template.render(page=found)))
    return rows


@router.get("/releases/{ref}")
def release_page(request: Request, ref: str, who: Reader, done: str | None = None) -> Response:
    return _dashboard(request, ref, who, None, done)


@router.get("/releases/{ref}/dashboards/{group}")
def group_page(request: Request, ref: str, group: str, who: Reader) -> Response:
    if group not in GROUPS:
        return _render(request, "error.html", code=404, message=f"no dashboard '{group}'")
    return _dashboard(request, ref, who, group, None)


def _dashboard(request: Request, ref: str, who: Identity | None, group: str | None, done: str | None) -> Response:
    context = ctx(request)
    dash = dashboard_for(request, ref, who)
    roles = roles_for(request, dash.release.id, who)
    context.usage.record(group or "release", context.clock.now(), dash.release.id, who.person_id if who else None)
    done = done if done in DONE else None
    return _cached_page(request, "release.html", (dash.release.id, dash.version, group, done), lambda: {
        "dash": dash,
        "group": group,
        "group_title": GROUPS.get(group or ""),
        "roles": roles,
        "done": done,
        "live_html": _live_html(request, dash, group, who, roles),
    })


@router.get("/releases/{ref}/live")
def live(request: Request, ref: str, who: Reader, v: str = "", group: str | None = None) -> Response:
    """The self-refreshing part of a dashboard: 204 while nothing changed. A finished release's fragment
    carries no polling trigger, so the page stops asking once the watch is over."""
    dash = dashboard_for(request, ref, who)
    if dash.version == v:
        return Response(status_code=204)
    group = group if group in GROUPS else None
    roles = roles_for(request, dash.release.id, who)
    csrf = csrf_token(request) if who else ""
    return cached_response(
        request,
        ("live", dash.release.id, dash.version, group, who.name if who else None, csrf),
        lambda: str(_live_html(request, dash, group, who, roles)),
        media_type="text/html",
    )


def _live_html(
    request: Request, dash: ReleaseDashboard, group: str | None, who: Identity | None, roles: frozenset[str]
) -> Markup:
    """The dashboard body: the part the page refreshes while a watch runs."""
    template = ctx(request).templates.get_template("live.html")
    return Markup(
        template.render(
            request=request,
            dash=dash,
            group=group,
            who=who,
            roles=roles,
            can_ack=can_acknowledge(set(roles)),
            can_rollback="release_owner" in roles,
            live=_live_url(dash, group),
        )
    )


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
