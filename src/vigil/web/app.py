"""The FastAPI application: REST API under /api/v1 (with its OpenAPI document), the pages, and whatever
routers other domains plug in (see ``vigil.web.routers``). One store, the same one the CLI uses."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, PackageLoader
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import vigil.models  # noqa: F401  (every domain's tables: foreign keys cross domains)
from vigil.access.keyfile import session_key
from vigil.alerts.webhook import alertmanager_router
from vigil.clock import Clock, SystemClock
from vigil.errors import Conflict, NotFound, PermissionDenied, VigilError
from vigil.settings import Settings
from vigil.store import Store
from vigil.usage.service import UsageRecorder
from vigil.web import routers as plugins
from vigil.web.auth import SESSION_HOURS, AuthRequired, csrf_token
from vigil.web.context import WebContext
from vigil.web.filters import install_filters

STATIC = Path(__file__).parent / "static"
FLUSH_EVERY_SECONDS = 2.0
WORKER_THREADS = 12
# Scripts only from this server; the chart data travels as inert JSON, never as inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(
    store: Store,
    *,
    public_read: bool = False,
    clock: Clock | None = None,
    extra_routers: Sequence[APIRouter] = (),
    alertmanager_token: str | None = None,
    secure_cookies: bool | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """The one web application. The Alertmanager receiver is mounted only with a shared bearer token
    (argument or ``VIGIL_ALERTMANAGER_TOKEN``): an open write endpoint has no place on a team server."""
    clock = clock or SystemClock()
    settings = Settings()
    alertmanager_token = alertmanager_token or settings.alertmanager_token
    secure_cookies = settings.secure_cookies if secure_cookies is None else secure_cookies
    if allowed_hosts is None:
        allowed_hosts = [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()] or ["*"]
    usage = UsageRecorder(store)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers run in worker threads; keep them within the store's connection pool (5 + 10 overflow)
        # so a burst queues in the event loop instead of timing out waiting for a connection.
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        task = asyncio.create_task(_flush_periodically(usage))
        try:
            yield
        finally:
            task.cancel()
            usage.flush()

    app = FastAPI(
        title="vigil",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI, under the normal CSP
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        description="Post-release monitoring: releases, checkpoints, decisions, rollbacks.",
    )
    app.state.vigil = WebContext(store=store, clock=clock, public_read=public_read, templates=_templates(), usage=usage)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key(store.url),
        session_cookie="vigil_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=secure_cookies,  # `Secure`: the browser sends the cookie over HTTPS only
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    receivers = [alertmanager_router(store, clock, token=alertmanager_token)] if alertmanager_token else []
    for router in [*plugins.routers(), *receivers, *extra_routers]:
        app.include_router(router)
    _install_error_pages(app)
    _install_api_docs(app)

    app.add_middleware(SecurityHeaders)
    # Outermost: a request naming another host (DNS rebinding, a poisoned Host in links) gets 400.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    return app


class SecurityHeaders:
    """Adds the security headers to every response (plain ASGI: no per-request task or body copy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, with_headers)


def app_from_env() -> FastAPI:
    """For several worker processes (`vigil serve --workers N`): each builds its app from the environment."""
    from vigil.settings import database_url

    return create_app(
        Store(database_url(os.environ.get("VIGIL_DB"))),
        public_read=os.environ.get("VIGIL_PUBLIC_READ") == "1",
    )


async def _flush_periodically(usage: UsageRecorder) -> None:
    while True:
        await asyncio.sleep(FLUSH_EVERY_SECONDS)
        await asyncio.to_thread(usage.flush)


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
    env = templates.env
    env.auto_reload = False  # templates ship with the package: no stat() of every template per render
    env.loader = ChoiceLoader([PackageLoader(pkg, "templates") for pkg in plugins.TEMPLATE_PACKAGES])
    env.globals["nav"] = plugins.NAV
    env.globals["csrf_token"] = csrf_token
    install_filters(env)
    return templates


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vigil API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi-url="/api/v1/openapi.json"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>
"""


def _install_api_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    async def _docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)


def _status(exc: VigilError) -> int:
    if isinstance(exc, AuthRequired):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 400


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(VigilError)
    async def _vigil_error(request: Request, exc: VigilError) -> Response:
        status = _status(exc)
        if request.url.path.startswith("/api/"):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)
        if status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        templates: Jinja2Templates = request.app.state.vigil.templates
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "message": str(exc), "who": getattr(request.state, "identity", None)},
            status_code=status,
        )
