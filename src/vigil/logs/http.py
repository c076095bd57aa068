"""Ingest over HTTP: ``POST /logs/ingest`` with a body of JSON lines (``application/x-ndjson``).

``service`` and ``release`` query parameters give defaults for lines that do not name them. Lines that
are not JSON objects are kept as raw records and counted in the reply, like every other ingest path.
"""

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from vigil.clock import Clock
from vigil.logs.ingest import Source, ingest_lines
from vigil.store import Store

MAX_BODY = 64 * 1024 * 1024


def make_app(store: Store, clock: Clock) -> FastAPI:
    app = FastAPI(title="vigil log ingest")

    @app.post("/logs/ingest")
    async def ingest(request: Request, service: str = "http", release: str | None = None) -> dict[str, Any]:
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"send at most {MAX_BODY} bytes per request")
        lines = body.decode("utf-8", errors="replace").splitlines()
        source = Source("http", service, release, formats=["json"])
        # The store is synchronous: keep the event loop free while the batch is written.
        result = await run_in_threadpool(ingest_lines, store, lines, source, now=clock.now())
        return {"lines": result.lines, "unparsed": result.unparsed, "blank": result.blank}

    return app
