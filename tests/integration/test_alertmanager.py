"""A real Prometheus Alertmanager delivers alerts (firing, then resolved) to vigil's webhook receiver."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from alerting_servers import AppServer, OutputWatcher, free_port
from fastapi import FastAPI
from sqlalchemy import select

from vigil.alerts.models import Alert
from vigil.alerts.webhook import alertmanager_router
from vigil.incidents.models import Incident
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store

pytestmark = pytest.mark.integration
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
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    yield s
    s.dispose()


@pytest.fixture
def vigil_app(store: Store) -> Iterator[AppServer]:
    app = FastAPI()
    app.include_router(alertmanager_router(store))
    with AppServer(app) as server:
        yield server


@pytest.fixture
def alertmanager(tmp_path: Path, vigil_app: AppServer) -> Iterator[str]:
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=vigil_app.url))
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
