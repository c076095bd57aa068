"""What the pages and the API read, worked out once per store version and then served from memory.

A request first learns the store's version (one primary-key read, see ``web.freshness``) and who is
asking (kept per version too, see ``web.auth``); everything below is looked up under that version and
built only when missing. A finished response body is kept with an ETag, so a browser that already has
it gets "304 Not Modified". None of this skips a check: the caller's token is resolved and the reader
dependency has run before any of these is consulted, and writes never go through here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from vigil.access.reading import ReadScope, read_scope
from vigil.access.service import Identity
from vigil.releases.roles import roles_of
from vigil.web.context import ctx
from vigil.web.freshness import request_version
from vigil.web.overview import OverviewPage, overview
from vigil.web.release_view import ReleaseDashboard, release_dashboard

REVALIDATE = "private, no-cache"  # a browser may keep it but must ask (cheaply, by ETag) each time


@dataclass(frozen=True)
class Body:
    content: bytes
    etag: str


def scope_for(request: Request, who: Identity | None) -> ReadScope:
    """What the caller may read (``vigil.access.reading``), per store version: granting a role is audited,
    so it moves the version and takes effect at the caller's next request."""
    context = ctx(request)

    def build() -> ReadScope:
        with context.store.read() as session:
            return read_scope(session, who.person_id if who else None, public=context.public_read)

    key = ("scope", who.person_id if who else None, request_version(request))
    scope: ReadScope = context.views.get_or_build(key, build)
    return scope


def scope_key(scope: ReadScope) -> object:
    """A cache-key part naming a scope: everything, or the exact set of releases."""
    return "*" if scope.everything else scope.release_ids


def ensure_readable(request: Request, who: Identity | None, release_id: int | None, what: str) -> None:
    """Every read of one release's records comes through here (or ``dashboard_for``): 403 outside scope."""
    scope_for(request, who).ensure(release_id, what)


def overview_for(request: Request, who: Identity | None, *, limit: int, offset: int,
                 status: str | None) -> OverviewPage:
    """The overview page of the releases the caller may read."""
    context = ctx(request)
    scope = scope_for(request, who)
    only = None if scope.everything else scope.release_ids

    def build() -> OverviewPage:
        with context.store.read() as session:
            return overview(session, limit=limit, offset=offset, status=status, only=only)

    key = ("overview", limit, offset, status, scope_key(scope), request_version(request))
    page: OverviewPage = context.views.get_or_build(key, build)
    return page


def dashboard_for(request: Request, ref: str, who: Identity | None) -> ReleaseDashboard:
    """The release's dashboard, if the caller may read it (403 otherwise). Per store version and minute:
    a release being watched shows the clock (charts up to now, the traffic split now);
    ``release_dashboard`` itself then tells in one query whether anything about this release changed."""
    context = ctx(request)
    now = context.clock.now()

    def build() -> ReleaseDashboard:
        with context.store.read() as session:
            return release_dashboard(session, ref, now)

    key = ("dashboard", ref, request_version(request), int(now.timestamp() // 60))
    dash: ReleaseDashboard = context.views.get_or_build(key, build)
    ensure_readable(request, who, dash.release.id, "dashboard")
    return dash


def roles_for(request: Request, release_id: int, who: Identity | None) -> frozenset[str]:
    """The roles the caller holds in a release, for what the page offers (the write itself is checked
    again, uncached, by ``vigil.releases.roles.authorize``)."""
    if who is None:
        return frozenset()
    context = ctx(request)
    key = ("roles", release_id, who.person_id, request_version(request))
    roles: frozenset[str] = context.views.get_or_build(
        key, lambda: frozenset(roles_of(context.store, release_id, who.name))
    )
    return roles


def memo(request: Request, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """Any other value derived from the store, kept under this request's store version."""
    context = ctx(request)
    return context.views.get_or_build((*key, request_version(request)), build)


def cached_response(
    request: Request,
    key: tuple[Any, ...],
    build: Callable[[], str],
    *,
    media_type: str,
    cache_control: str = REVALIDATE,
) -> Response:
    """The body ``build`` makes, made once per ``key`` and store version. ``key`` must name everything
    else the body depends on (the viewer, their CSRF token, query parameters)."""
    context = ctx(request)

    def make() -> Body:
        content = build().encode("utf-8")
        return Body(content, '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"')

    body: Body = context.bodies.get_or_build((*key, request_version(request)), make)
    headers = {"ETag": body.etag, "Cache-Control": cache_control, "Vary": "Authorization, Cookie"}
    if _matches(request.headers.get("if-none-match"), body.etag):
        return Response(status_code=304, headers=headers)
    return Response(body.content, media_type=media_type, headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: a list of (possibly weak) entity tags, or "*"."""
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
