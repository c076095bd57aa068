"""The Alertmanager receiver as a FastAPI router: ``POST /api/v1/alertmanager``.

A bad body gets a 4xx with the reason in ``detail`` and nothing is stored (validation happens before the
transaction opens, and the whole group is stored in one transaction). Notifications the alerts cause are
delivered after the response, from the outbox.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vigil.alerts.alertmanager import PayloadError, ingest, parse_payload
from vigil.alerts.notify.outbox import deliver_pending
from vigil.clock import Clock, SystemClock
from vigil.errors import VigilError
from vigil.store import Store

MAX_BODY = 5 * 1024 * 1024


def alertmanager_router(
    store: Store | Callable[[], Store], clock: Clock | None = None, *, token: str | None = None
) -> APIRouter:
    """The receiver. With ``token``, requests must carry ``Authorization: Bearer <token>`` (Alertmanager's
    ``http_config: {authorization: {credentials: …}}``); others get 401 and nothing is read."""
    router = APIRouter(tags=["alerts"])
    clock = clock or SystemClock()

    def _store() -> Store:
        return store if isinstance(store, Store) else store()

    @router.post("/api/v1/alertmanager", status_code=200)
    async def receive(request: Request, background: BackgroundTasks) -> JSONResponse:
        if token is not None and not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
            return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401)
        body = await _read_at_most(request, MAX_BODY)
        if body is None:
            return JSONResponse({"detail": f"body larger than {MAX_BODY} bytes"}, status_code=413)
        try:
            payload = parse_payload(body)
        except PayloadError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400 if "not JSON" in str(exc) else 422)
        target = _store()

        def store_all() -> list[dict[str, object]]:
            with target.write() as session:
                alerts = ingest(session, payload, clock.now())
                return [
                    {"id": a.id, "fingerprint": a.fingerprint, "status": a.status, "release_id": a.release_id}
                    for a in alerts
                ]

        try:
            # The database work is blocking; keep it off the event loop.
            result = await run_in_threadpool(store_all)
        except VigilError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        background.add_task(deliver_pending, target, clock)
        return JSONResponse({"stored": result})

    return router


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes (read no further: a huge body costs no memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
