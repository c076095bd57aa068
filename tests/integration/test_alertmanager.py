"""A real Prometheus Alertmanager delivers alerts (firing, then resolved) to vigil's webhook receiver."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from servers import OutputWatcher, free_port
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from vigil.alerts.models import Alert
from vigil.alerts.webhook import alertmanager_router
from vigil.incidents.models import Incident
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store

pytestmark = pytest.mark.integration


# --- servers, waited for by events (their output, their requests), never by sleeping ---


class AppServer:
    """A FastAPI app served by uvicorn on a loopback port in a thread; ``requests`` notifies each response."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.requests = threading.Condition()
        self.seen = 0

        @app.middleware("http")
        async def _count(request: Request, call_next: Callable[..., object]) -> Response:
            response: Response = await call_next(request)  # type: ignore[misc]
            with self.requests:
                self.seen += 1
                self.requests.notify_all()
            return response

        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> AppServer:
        self.thread.start()
        started = threading.Event()
        # uvicorn sets ``started`` once listening; wait on it in short slices of an Event, not a sleep.
        while not self.server.started and self.thread.is_alive():
            started.wait(0.05)
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Re-check ``predicate`` after each request the app answers, until true or ``timeout``."""
        with self.requests:
            return self.requests.wait_for(predicate, timeout=timeout)


BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"

PLAN = """
release:
  name: Checkout
  service: checkout
  version: "2.3.0"
  date: 2026-11-24T08:00:00+00:00
  deployment_method: canary
people:
  release_owner: {name: Ana Costa}
  monitoring_owner: {name: Ravi Menon}
"""

CONFIG = """
route:
  receiver: vigil
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: vigil
    webhook_configs:
      - url: {url}/api/v1/alertmanager
        send_resolved: true
        http_config:
          authorization: {{credentials: {token}}}
"""
TOKEN = "am-to-vigil-token"


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def vigil_app(store: Store) -> Iterator[AppServer]:
    app = FastAPI()
    app.include_router(alertmanager_router(store, token=TOKEN))
    with AppServer(app) as server:
        yield server


@pytest.fixture
def alertmanager(tmp_path: Path, vigil_app: AppServer) -> Iterator[str]:
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=vigil_app.url, token=TOKEN))
    port = free_port()
    proc = subprocess.Popen(
        [
            BINARY,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=info",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watcher = OutputWatcher(proc)
    try:
        assert watcher.wait_for(r"Listening on|listening.*address", timeout=30), "".join(watcher.lines)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _stored(store: Store) -> list[Alert]:
    with store.read() as s:
        return list(s.scalars(select(Alert)))


def test_alertmanager_delivers_firing_and_resolved_alerts_to_vigil(
    store: Store, vigil_app: AppServer, alertmanager: str
) -> None:
    release = create_release(store, parse_plan(PLAN), PLAN, "plan.yaml", now=datetime.now(UTC))
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    alert = {
        "labels": {"alertname": "CheckoutLatencyHigh", "service": "checkout", "severity": "critical"},
        "annotations": {"summary": "p99 latency above 300 ms"},
        "startsAt": starts.isoformat(),
    }
    response = httpx.post(f"{alertmanager}/api/v2/alerts", json=[alert], timeout=10)
    assert response.status_code == 200, response.text

    assert vigil_app.wait_until(lambda: len(_stored(store)) == 1, timeout=30), "Alertmanager never delivered"
    fired = _stored(store)[0]
    assert fired.release_id == release.id and fired.source == "alertmanager"
    assert fired.rule == "CheckoutLatencyHigh" and fired.severity == "critical"
    assert fired.summary == "p99 latency above 300 ms" and fired.status == "firing"
    assert fired.started_at == starts and fired.fingerprint.startswith("am/")
    with store.read() as s:  # critical → an incident opened by itself, detected when the alert started
        incident = s.scalars(select(Incident)).one()
        assert incident.detected_at == starts and incident.source == "alert"

    ends = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    resolved = {**alert, "endsAt": ends.isoformat()}
    assert httpx.post(f"{alertmanager}/api/v2/alerts", json=[resolved], timeout=10).status_code == 200
    assert vigil_app.wait_until(lambda: _stored(store)[0].status == "resolved", timeout=30), (
        "resolution never delivered"
    )
    done = _stored(store)
    assert len(done) == 1 and done[0].resolved_at == ends


def test_webhook_and_slack_channels_post_to_a_real_http_server(tmp_path: Path) -> None:
    """The outbound side over real HTTP on loopback: a first 503 is retried, both bodies arrive."""
    from vigil.alerts.models import Notification
    from vigil.alerts.notify.outbox import deliver_pending, next_delivery
    from vigil.alerts.service import fire_alert
    from vigil.clock import ManualClock

    received: list[tuple[str, dict[str, object]]] = []
    app = FastAPI()

    @app.post("/hook/{name}")
    async def hook(name: str, request: Request) -> Response:
        if name == "generic" and not any(n == "generic" for n, _ in received) and not app.state.failed:
            app.state.failed = True
            return Response(status_code=503)
        received.append((name, await request.json()))
        return Response(status_code=204)

    app.state.failed = False
    with AppServer(app) as server:
        plan = PLAN + (
            "notifications:\n  retries: 2\n  backoff: 1s\n  channels:\n"
            f"    - {{name: hook, kind: webhook, url: '{server.url}/hook/generic'}}\n"
            f"    - {{name: chat, kind: slack, url: '{server.url}/hook/slack'}}\n"
            "  routes:\n    - {events: ['alert.*'], channels: [hook, chat]}\n"
            "alerting:\n  auto_incident: []\n"
        )
        store = Store(f"sqlite:///{tmp_path / 'v.db'}")
        start = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
        release = create_release(store, parse_plan(plan), plan, "plan.yaml", now=start)
        with store.write() as s:
            fire_alert(
                s,
                release_id=release.id,
                rule="memory-leak",
                severity="critical",
                fingerprint="f",
                summary="Memory 12% above baseline",
                labels={},
                now=start,
                source="rule",
            )
        deliver_pending(store, ManualClock(start))
        retry = next_delivery(store, release.id)  # the failed attempt is due again after its backoff
        assert retry is not None and retry > start
        deliver_pending(store, ManualClock(retry))
        with store.read() as s:
            notes = {n.channel: n for n in s.scalars(select(Notification))}
        store.dispose()
    bodies = dict(received)
    assert bodies["generic"]["event"] == "alert.critical" and bodies["generic"]["text"] == "Memory 12% above baseline"
    assert bodies["slack"]["text"] == "*[CRITICAL] memory-leak on checkout*\nMemory 12% above baseline"
    assert [a["ok"] for a in notes["hook"].attempts] == [False, True] and notes["hook"].status == "sent"
    assert "HTTP 503" in notes["hook"].attempts[0]["detail"] and notes["chat"].status == "sent"
