"""The whole Post-Release step on a plan written for this test (short custom schedule, its own metrics and
governance) against a real Prometheus whose canary regresses: watch, smoke, incident, RCA, retrospective,
action items, handover, closure and export. Then every sealed document is checked against the store."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from servers import PrometheusServer
from sqlalchemy import select

from vigil.clock import SystemClock
from vigil.evidence.archive import blob_path, evidence_root
from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import add_file, items_for
from vigil.evidence.versions import version_infos
from vigil.governance.closure import approve
from vigil.governance.handover import accept
from vigil.governance.lessons import publish
from vigil.governance.requirements import gate
from vigil.incidents.models import Incident
from vigil.incidents.rca import load_rca, record_rca
from vigil.incidents.service import open_incident, set_status
from vigil.plan import parse_plan
from vigil.releases.service import create_release, get_release
from vigil.retro.actions import complete, list_actions
from vigil.retro.service import draft
from vigil.smoke.service import import_junit
from vigil.store import Store
from vigil.watch import watch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/log_checks.py
from log_checks import PLACEHOLDERS, check_log_against_store

pytestmark = pytest.mark.integration
RCA = Path(__file__).resolve().parents[1] / "incidents" / "rca-example.yaml"
ERRORS = ('100 * sum(rate(app_requests_total{scenario="regressed",version="$cohort",code="500"}[5s]))'
          ' / sum(rate(app_requests_total{scenario="regressed",version="$cohort"}[5s]))')
P99 = ('1000 * histogram_quantile(0.99, sum by (le) '
       '(rate(app_request_duration_seconds_bucket{scenario="regressed",version="$cohort"}[5s])))')
THROUGHPUT = 'sum(rate(app_requests_total{scenario="regressed",version="$cohort"}[5s]))'


def _plan(url: str, start: str) -> str:
    return f"""
release:
  name: Payments 7 (written for this test)
  service: payments
  version: "7.0"
  date: {start}
  deployment_method: canary
people:
  release_owner: {{name: Rosa}}
  monitoring_owner: {{name: Omar}}
  service_owner: {{name: Lin}}
  sponsor: {{name: Vera}}
source:
  kind: prometheus
  url: {url}
  options: {{cohorts: {{baseline: stable, new: canary}}, step: 1s, retries: 2, backoff: 0.2s}}
metrics:
  - {{name: error_rate, query: '{ERRORS}'}}
  - {{name: p99_latency, query: '{P99}'}}
  - {{name: throughput, unit: /s, muted: true, query: '{THROUGHPUT}'}}
checkpoints: [T+0, 15s, 30s]
evaluation_window: 15s
baseline: concurrent
canary: {{min_samples: 12}}
rollback:
  action: {{command: "echo rolled back payments"}}
  verification_delay: 1s
alerting:
  evaluation_interval: 5s
  rules:
    - {{name: payments-errors, metric: error_rate, condition: threshold, op: ">", value: 1, severity: warning}}
governance:
  handover:
    runbooks: [https://wiki.example.com/payments]
    dashboards: [https://grafana.example.com/d/payments]
    alert_routes: [payments -> on-call]
    on_call: payments-oncall
  closure: {{scope: [Payments 7], effort: 3 days}}
"""


def _text(root: Path, item: EvidenceItem) -> str:
    return blob_path(root, item.sha256).read_text(encoding="utf-8")


def test_every_sealed_document_of_a_whole_step_agrees_with_the_store(
        prometheus_server: PrometheusServer, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    root = evidence_root(store.url, tmp_path / "evidence")
    clock = SystemClock()
    text = _plan(prometheus_server.url, clock.now().isoformat())
    release = create_release(store, parse_plan(text), text, "payments.yaml", now=clock.now())
    slug = release.slug
    junit = tmp_path / "smoke.xml"
    junit.write_bytes(b'<testsuite><testcase name="pay"/><testcase name="refund"><failure message="500"/>'
                      b'</testcase></testsuite>')
    import_junit(store, root, slug, junit, actor="Rosa", now=clock.now())  # the deployment's smoke: failed

    watch(store, clock, [slug])

    now = clock.now()
    with store.write() as s:
        incident = open_incident(s, release_id=release.id, title="Canary 500s on payments", severity="high",
                                 actor="Omar", now=now)
        ticket = incident.ticket
        set_status(s, ticket, "investigating", actor="Omar", now=now)
        record_rca(s, ticket, load_rca(RCA), actor="Omar", now=now)
        set_status(s, ticket, "resolved", actor="Omar", now=now)
    junit.write_bytes(b'<testsuite><testcase name="pay"/><testcase name="refund"/></testsuite>')
    import_junit(store, root, slug, junit, actor="Rosa", now=now)  # after the rollback: passes
    for kind, req in (("dashboard", "REQ-28"), ("log_excerpt", "OPS-01"), ("alerting", "DEP-03"),
                      ("incident_ticket", "OPS-02")):
        path = tmp_path / f"{kind}.txt"
        path.write_text(f"{kind} for {slug}\n")
        add_file(store, root, slug, path, kind=kind, requirement_ids=[req], actor="Omar", now=now)
    draft(store, root, slug, actor="Omar", now=now)
    from vigil.retro.actions import add_action

    add_action(store, slug, title="Soak-test payments before release", assignee="Omar",
               due_at=now + timedelta(days=7), source="", actor="Omar", now=now)
    draft(store, root, slug, actor="Omar", now=now + timedelta(seconds=1))
    with store.read() as s:
        ids = [a.id for a in list_actions(s, release_id=release.id)]
    for action_id in ids:
        complete(store, action_id, actor="Omar", now=now + timedelta(seconds=2))
    draft(store, root, slug, actor="Omar", now=now + timedelta(seconds=3))  # the retro as it now stands
    accept(store, root, slug, actor="Lin", now=now + timedelta(seconds=4))
    publish(store, root, slug, actor="Omar", now=now + timedelta(seconds=5), kb=tmp_path / "kb")
    with store.read() as s:
        assert [u.id for u in gate(s, get_release(s, slug), root, now, exclude=("PM-29",))] == []
    closure = approve(store, root, slug, actor="Vera", now=now + timedelta(seconds=6))

    with store.read() as s:
        stored = get_release(s, slug)
        items = items_for(s, stored.id)
        infos = version_infos(s, items)
        latest = {(i.kind, i.filename): i for i in items if infos[i.id].superseded_by is None}
        log = _text(root, latest[("monitoring_log", f"monitoring-log-{slug}.md")])
        check_log_against_store(log, s, stored)
        assert "🚨 Failed (smoke run #1: 1 of 2 checks passed)" in log
        assert "### T+30s (Final Checkpoint)" in log
        incidents = list(s.scalars(select(Incident).where(Incident.release_id == stored.id)))
        report = _text(root, closure)
        assert PLACEHOLDERS.search(report) is None
        assert f"{len(incidents)} incident recorded" in report
        assert all(f"**{i.ticket}: {i.title}** — severity {i.severity}" in report for i in incidents)
        assert "Rollback Required" in report and "**Version:** v1" in report
        retro = latest[("retrospective", f"retrospective-{slug}.md")]
        assert "| open |" not in _text(root, retro) and "| done |" in _text(root, retro)
        assert f"**Version:** v{infos[retro.id].version}" in _text(root, retro)
        for kind in ("plan_snapshot", "incident_report", "rca"):
            assert any(k == kind for k, _ in latest), kind
        groups: dict[tuple[str, str], list[int]] = {}
        for item in items:
            groups.setdefault((item.kind, item.filename), []).append(infos[item.id].version)
        assert all(v == list(range(1, len(v) + 1)) for v in groups.values())

    bundle = tmp_path / "bundle"
    from vigil.evidence.export import export_bundle

    with store.read() as s:
        export_bundle(s, root, bundle, release_id=release.id, now=now)
    manifest = json.loads((bundle / "manifest.json").read_text())
    exported = {(i["kind"], i["filename"]) for i in manifest["items"]}
    assert set(latest) <= exported
    shutil.rmtree(bundle)
    store.dispose()
