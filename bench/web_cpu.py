"""CPU milliseconds per request, measured in-process: the ASGI application called directly (no HTTP, no
load generator), process CPU time around each request. Unlike latency under load this does not depend on
what else the machine is doing, so it is the figure to compare between runs on a shared machine.

Two figures per endpoint: "hit", the steady state (nothing changed since the last request), and "after a
write", the first request after an unrelated audited change elsewhere in the store (a person added),
which moves the store's version and makes the server work the page out again.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any


def cpu_per_request(db: str, token: str, paths: Sequence[str], repeat: int = 300) -> dict[str, tuple[float, float]]:
    """path -> (CPU ms per request when nothing changed, CPU ms for the first request after a write)."""
    from vigil.access.service import add_user
    from vigil.store import Store
    from vigil.web.app import create_app

    store = Store(db)
    app = create_app(store)
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    out: dict[str, tuple[float, float]] = {}

    async def call(path: str) -> int:
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
        }
        await app(scope, receive, send)
        return status[0]

    async def timed(path: str) -> float:
        start = time.process_time()
        status = await call(path)
        spent = time.process_time() - start
        if status != 200:
            raise SystemExit(f"{path} answered {status} in-process")
        return spent * 1000

    async def run() -> None:
        async with app.router.lifespan_context(app):
            for n, path in enumerate(paths):
                for _ in range(5):  # first visits: parse plans, build chart series
                    await call(path)
                start = time.process_time()
                for _ in range(repeat):
                    await call(path)
                hit = (time.process_time() - start) * 1000 / repeat
                after = []
                for k in range(9):
                    add_user(store, f"Bench Writer {n}-{k}", datetime.now(UTC))
                    after.append(await timed(path))
                out[path] = (hit, statistics.median(after))

    asyncio.run(run())
    store.dispose()
    return out
