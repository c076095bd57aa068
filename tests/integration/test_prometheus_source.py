"""vigil against a real Prometheus (Debian package) scraping a real exporter with two cohorts.

The regressed canary (5 % errors, 3× latency) must be rolled back; the clean canary must not; a query
matching no series must hold the rollout as "unknown", never pass it as healthy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import PrometheusServer
from sqlalchemy import select

from vigil.clock import SystemClock
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release, get_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain
from vigil.watch import watch
from vigil.watch.models import Checkpoint, RollbackEvent

pytestmark = pytest.mark.integration

ERRORS = ('100 * sum(rate(app_requests_total{{scenario="{s}",version="$cohort",code="500"}}[5s]))'
          ' / sum(rate(app_requests_total{{scenario="{s}",version="$cohort"}}[5s]))')
P99 = ('1000 * histogram_quantile(0.99, sum by (le) '
       '(rate(app_request_duration_seconds_bucket{{scenario="{s}",version="$cohort"}}[5s])))')


def _plan(server: PrometheusServer, scenario: str, service: str, start: str) -> str:
    return f"""
release:
  name: {service} canary
  service: {service}
  version: "2.0"
  date: {start}
  deployment_method: canary
people:
  release_owner: {{name: Ana}}
  monitoring_owner: {{name: Ravi}}
source:
  kind: prometheus
  url: {server.url}
  options:
    cohorts: {{baseline: stable, new: canary}}
    step: 1s
    retries: 2
    backoff: 0.2s
metrics:
  - name: error_rate
    query: '{ERRORS.format(s=scenario)}'
  - name: p99_latency
    query: '{P99.format(s=scenario)}'
checkpoints: [T+0, 5s, 10s]
evaluation_window: 5s
baseline: concurrent
rollback:
  action: {{command: "echo rolled back {service}"}}
  verification_delay: 1s
"""


def _checkpoints(store: Store, slug: str) -> dict[str, Checkpoint]:
    with store.read() as s:
        release = get_release(s, slug)
        rows = list(s.scalars(select(Checkpoint).where(Checkpoint.release_id == release.id)))
        for c in rows:
            _ = c.decision, c.readings
        return {c.name: c for c in rows}


def test_regression_is_rolled_back_clean_canary_is_not_and_no_data_holds(
        prometheus_server: PrometheusServer, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    clock = SystemClock()
    start = (clock.now()).isoformat()
    slugs = {}
    for scenario, service in (("regressed", "checkout"), ("clean", "search"), ("missing", "ghost")):
        text = _plan(prometheus_server, scenario, service, start)
        release = create_release(store, parse_plan(text), text, f"{service}.yaml", now=clock.now())
        slugs[scenario] = release.slug

    watch(store, clock, list(slugs.values()))

    regressed = _checkpoints(store, slugs["regressed"])
    assert regressed["T+0"].decision is not None and regressed["T+0"].decision.health == "healthy"
    at_5s = regressed["T+5s"]
    assert at_5s.decision is not None and at_5s.decision.go_no_go == "rollback"
    readings = {r.metric: r for r in at_5s.readings}
    assert readings["error_rate"].current == pytest.approx(5.0, abs=0.01)  # 1 in 20, read from Prometheus
    assert readings["error_rate"].baseline == 0.0
    assert readings["p99_latency"].status == "critical"
    assert readings["p99_latency"].current > 2.5 * (readings["p99_latency"].baseline or 0)
    assert regressed["T+10s"].state == "skipped"

    clean = _checkpoints(store, slugs["clean"])
    assert [clean[n].decision.go_no_go for n in ("T+0", "T+5s", "T+10s")] == ["continue"] * 3  # type: ignore[union-attr]
    clean_readings = {r.metric: r for r in clean["T+10s"].readings}
    assert clean_readings["error_rate"].current == 0.0
    assert 100 < (clean_readings["p99_latency"].current or 0) < 200  # 60–174 ms requests

    missing = _checkpoints(store, slugs["missing"])
    assert {c.decision.health for c in missing.values()} == {"unknown"}  # type: ignore[union-attr]
    assert {c.decision.go_no_go for c in missing.values()} == {"hold"}  # type: ignore[union-attr]
    assert "no series matched" in missing["T+5s"].readings[0].reason

    with store.read() as s:
        statuses = {r.slug: r.status for r in s.scalars(select(Release))}
        events = list(s.scalars(select(RollbackEvent)))
        outages = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "source.unavailable")))
        assert verify_chain(s) == []
    assert statuses == {slugs["regressed"]: "rolled_back", slugs["clean"]: "completed",
                        slugs["missing"]: "completed"}
    assert len(events) == 1 and events[0].state == "completed" and events[0].verified is True
    assert "rolled back checkout" in events[0].output
    assert len(outages) == 3 and {e.payload["checkpoint"] for e in outages} == {"T+0", "T+5s", "T+10s"}
