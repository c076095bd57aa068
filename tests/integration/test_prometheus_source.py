"""vigil against a real Prometheus (Debian package) scraping a real exporter with two cohorts.

The regressed canary (5 % errors, 3× latency) must be rolled back; the clean canary must not; a query
matching no series must hold the rollout as "unknown", never pass it as healthy; a canary with a few
errors over an error-free baseline, its errors compared as a share of the requests read from Prometheus,
is never a pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import PrometheusServer
from sqlalchemy import select

from vigil.clock import SystemClock
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release, get_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain
from vigil.watch.models import Checkpoint, RollbackEvent

pytestmark = pytest.mark.integration

ERRORS = ('100 * sum(rate(app_requests_total{{scenario="{s}",version="$cohort",code="500"}}[5s]))'
          ' / sum(rate(app_requests_total{{scenario="{s}",version="$cohort"}}[5s]))')
REQUESTS = 'sum(rate(app_requests_total{{scenario="{s}",version="$cohort"}}[5s]))'
P99 = ('1000 * histogram_quantile(0.99, sum by (le) '
       '(rate(app_request_duration_seconds_bucket{{scenario="{s}",version="$cohort"}}[5s])))')


def _plan(server: PrometheusServer, scenario: str, service: str, start: str, metrics: str = "") -> str:
    metrics = metrics or _DEFAULT_METRICS.format(errors=ERRORS.format(s=scenario), p99=P99.format(s=scenario))
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
{metrics}checkpoints: [T+0, 20s, 40s]
evaluation_window: 20s
baseline: concurrent
canary: {{min_samples: 15}}  # 1 s scrapes over a 20 s window: enough points for the rank test
rollback:
  action: {{command: "echo rolled back {service}"}}
  verification_delay: 1s
"""


_DEFAULT_METRICS = """  - name: error_rate
    query: '{errors}'
  - name: p99_latency
    query: '{p99}'
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
    at_20s = regressed["T+20s"]
    assert at_20s.decision is not None and at_20s.decision.go_no_go == "rollback"
    readings = {r.metric: r for r in at_20s.readings}
    assert readings["error_rate"].current == pytest.approx(5.0, abs=0.01)  # 1 in 20, read from Prometheus
    assert readings["error_rate"].baseline == 0.0
    assert readings["p99_latency"].status == "critical"
    assert readings["p99_latency"].current > 2.5 * (readings["p99_latency"].baseline or 0)
    assert regressed["T+40s"].state == "skipped"

    clean = _checkpoints(store, slugs["clean"])
    assert [clean[n].decision.go_no_go for n in ("T+0", "T+20s", "T+40s")] == ["continue"] * 3  # type: ignore[union-attr]
    clean_readings = {r.metric: r for r in clean["T+40s"].readings}
    assert clean_readings["error_rate"].current == 0.0
    assert 100 < (clean_readings["p99_latency"].current or 0) < 200  # 60–174 ms requests

    missing = _checkpoints(store, slugs["missing"])
    assert {c.decision.health for c in missing.values()} == {"unknown"}  # type: ignore[union-attr]
    assert {c.decision.go_no_go for c in missing.values()} == {"hold"}  # type: ignore[union-attr]
    assert "no series matched" in missing["T+20s"].readings[0].reason

    with store.read() as s:
        statuses = {r.slug: r.status for r in s.scalars(select(Release))}
        events = list(s.scalars(select(RollbackEvent)))
        outages = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "source.unavailable")))
        assert verify_chain(s) == []
    assert statuses == {slugs["regressed"]: "rolled_back", slugs["clean"]: "completed",
                        slugs["missing"]: "completed"}
    assert len(events) == 1 and events[0].state == "completed" and events[0].verified is True
    assert "rolled back checkout" in events[0].output
    assert len(outages) == 3 and {e.payload["checkpoint"] for e in outages} == {"T+0", "T+20s", "T+40s"}


def test_a_few_canary_errors_over_an_error_free_baseline_are_not_a_pass(
        prometheus_server: PrometheusServer, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    clock = SystemClock()
    metrics = f"""  - name: error_rate
    query: '{ERRORS.format(s="sparse")}'
    compare: share
    exposure: throughput
  - name: throughput
    unit: /s
    query: '{REQUESTS.format(s="sparse")}'
"""
    text = _plan(prometheus_server, "sparse", "billing", clock.now().isoformat(), metrics)
    release = create_release(store, parse_plan(text), text, "billing.yaml", now=clock.now())

    watch(store, clock, [release.slug])

    at_20s = _checkpoints(store, release.slug)["T+20s"]
    errors = {r.metric: r for r in at_20s.readings}["error_rate"]
    numbers = errors.details["canary"]
    # Requests and errors were read back from Prometheus: about 400 req/s per cohort over the 20 s window.
    assert numbers["method"] == "conditional-poisson-exact"
    assert 2_000 < numbers["effect"]["exposure_canary"] < 20_000
    assert numbers["effect"]["events_control"] == 0
    assert 1 <= numbers["statistic"] <= 8  # the canary's few errors in the window
    assert numbers["classification"] in {"insufficient", "high"}  # never "pass"
    assert at_20s.decision is not None and at_20s.decision.go_no_go in {"hold", "rollback"}
