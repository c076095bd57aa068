"""The whole post-release step on a plan written for this test, against a real Prometheus, checked against
the store.

The plan is not the example's: another service, a short schedule of five checkpoints, four metrics with
their own limits, an alert rule, a smoke health check that fails, stakeholders reached by a webhook.
Prometheus (the Debian package) holds the release's metrics, written into its TSDB with promtool; the new
version's latency regresses at a checkpoint drawn at random (seeded). The step runs to its end — watch,
incident, RCA, smoke, retrospective, action items, handover, lessons, closure, export — and then every
document vigil generated is read back and compared with what the store holds: the incidents the closure
report names, the final block written for the plan's last checkpoint, each peak equal to the stored maximum,
the smoke results, and the sealed versions.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from fastapi.testclient import TestClient
from servers import PrometheusServer, prometheus
from sqlalchemy import select

from log_checks import PLACEHOLDERS, check_log_against_store
from vigil.access.service import add_user, create_token
from vigil.clock import ManualClock
from vigil.evidence.archive import evidence_root
from vigil.evidence.export import export_bundle
from vigil.evidence.models import EvidenceItem
from vigil.evidence.verify import verify_archive
from vigil.evidence.versions import version_infos
from vigil.flows.actions import add_action, complete_action
from vigil.flows.watch_loop import watch
from vigil.governance.closure import approve
from vigil.governance.handover import accept
from vigil.governance.lessons import publish
from vigil.governance.requirements import gate
from vigil.incidents.rca import load_rca, record_rca
from vigil.incidents.service import acknowledge, list_incidents, set_status
from vigil.logs.ingest import Source as LogSource
from vigil.logs.service import ingest_file
from vigil.plan import format_offset, parse_plan
from vigil.releases.service import create_release, get_release
from vigil.reports.sealing import seal_monitoring_log
from vigil.retro.actions import list_actions
from vigil.retro.service import draft
from vigil.smoke.service import run_smoke, runs_for
from vigil.store import Store
from vigil.store.audit import verify_chain
from vigil.watch.models import Checkpoint, MetricReading
from vigil.web.app import create_app

pytestmark = pytest.mark.integration

RCA = Path(__file__).resolve().parents[1] / "incidents" / "rca-example.yaml"
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
T0 = NOW - timedelta(hours=3)  # the release began three hours ago: every sample is history
OFFSETS = [timedelta(0), timedelta(minutes=10), timedelta(minutes=25), timedelta(minutes=45),
           timedelta(minutes=70)]
SPACING = 15  # seconds between samples, a usual scrape interval
SLUG = "ledger-7.1.0"
# The metrics (name, label, unit, limit, baseline level, noise): the limit is the plan's critical bound.
METRICS = [
    ("p99_latency", "P99 Latency", "ms", 400.0, 180.0, 6.0),
    ("error_rate", "Error Rate", "%", 1.0, 0.20, 0.02),
    ("cpu_usage", "CPU Usage", "%", 85.0, 40.0, 1.5),
    ("queue_depth", "Queue Depth", "jobs", 900.0, 120.0, 8.0),
]


def _regressed_checkpoint(seed: int) -> int:
    """The checkpoint (index) at which the new version's latency regresses: never T+0."""
    return random.Random(seed).randrange(1, len(OFFSETS))


def _history(seed: int) -> str:
    """OpenMetrics text of both cohorts, from an hour before T+0 to two hours after it."""
    rng = np.random.default_rng(seed)
    k = _regressed_checkpoint(seed)
    regress_from = (T0 + OFFSETS[k] - timedelta(minutes=4)).timestamp()
    stamps = np.arange((T0 - timedelta(hours=1)).timestamp(), (T0 + timedelta(hours=2)).timestamp(), SPACING)
    lines: list[str] = []
    for name, _, _, _, level, noise in METRICS:
        lines.append(f"# TYPE ledger_{name} gauge")
        for cohort in ("stable", "canary"):
            values = level + noise * rng.standard_normal(stamps.size)
            if name == "p99_latency" and cohort == "canary":
                values = values + np.where(stamps >= regress_from, 2.5 * level, 0.0)  # 630 ms: over the limit
            lines += [f'ledger_{name}{{version="{cohort}"}} {v:.4f} {t:.0f}'
                      for t, v in zip(stamps, values, strict=True)]
    return "\n".join(lines) + "\n# EOF\n"


def _plan(prometheus_url: str, webhook: str, health: str) -> str:
    schedule = ", ".join(format_offset(o) for o in OFFSETS)
    metrics = "\n".join(
        f"""  - name: {name}
    label: {label}
    unit: "{unit}"
    query: 'ledger_{name}{{version="$cohort"}}'
    thresholds: {{max: {limit}}}"""
        for name, label, unit, limit, _, _ in METRICS)
    return f"""release:
  name: Ledger 7.1 — batched postings
  service: ledger
  version: 7.1.0
  baseline_version: 7.0.3
  date: {T0.isoformat()}
  timezone: UTC
  deployment_method: canary
people:
  release_owner: {{name: Lena Vogt}}
  monitoring_owner: {{name: Omar Haddad}}
  service_owner: {{name: Priya Nair}}
  sponsor: {{name: Tomas Berg}}
  participants: [{{name: Kofi Mensah}}]
source:
  kind: prometheus
  url: {prometheus_url}
  options: {{cohorts: {{baseline: stable, new: canary}}}}
metrics:
{metrics}
checkpoints: [{schedule}]
evaluation_window: 4m
rollout:
  - {{at: T+0, percent: 10}}
  - {{at: T+25m, percent: 30}}
  - {{at: T+45m, percent: 60}}
rollback:
  on_critical: true
  automatic: true
  decision_maker: {{name: Lena Vogt}}
  action: {{command: "echo rolling ledger back to 7.0.3"}}
  verification_delay: 2m
alerting:
  evaluation_interval: 1m
  auto_incident: [critical]
  rules:
    - name: ledger-slow
      metric: p99_latency
      condition: threshold
      op: ">"
      value: 400
      for: 2m
      severity: critical
      no_data: ok
      summary: Ledger p99 latency above 400 ms for 2 minutes
stakeholders:
  - {{name: Ledger team, channel: "{webhook}", audience: engineering}}
smoke:
  checks:
    - {{name: health, url: "{health}", expect_status: 200}}
governance:
  handover:
    runbooks: ["https://wiki.example.org/ledger/runbook"]
    dashboards: ["https://grafana.example.org/d/ledger"]
    alert_routes: ["ledger-critical -> on-call"]
    on_call: ledger-oncall
  closure:
    scope: ["Batched postings"]
    effort: 12 engineer-days
"""


class _Receiver(BaseHTTPRequestHandler):
    """Webhook sink for notifications (200 and the body kept) and a health endpoint that fails (503)."""

    received: ClassVar[list[bytes]] = []
    health_checks = 0

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.send_response(200)
        self.end_headers()

    def do_GET(self) -> None:
        # The first health check after the deployment fails (a cache still warming up); later ones pass.
        if self.path == "/health":
            type(self).health_checks += 1
        self.send_response(503 if self.path == "/health" and self.health_checks == 1 else 200)
        self.end_headers()
        self.wfile.write(b"down for maintenance")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


SEEDS = [3, 8]


@pytest.fixture(scope="module", params=SEEDS)
def history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[int, PrometheusServer]]:
    seed = int(request.param)
    with prometheus(tmp_path_factory.mktemp(f"prometheus-{seed}"), [], backfill=_history(seed)) as server:
        yield seed, server


def _run_step(store: Store, root: Path, work: Path, prometheus_url: str, receiver: str) -> ManualClock:
    """Everything a team does from registering the release to the archive, each by the person whose job it is."""
    text = _plan(prometheus_url, f"{receiver}/hook", f"{receiver}/health")
    clock = ManualClock(T0)
    create_release(store, parse_plan(text, "ledger.yaml"), text, "ledger.yaml", now=clock.now(), slug=SLUG)
    clock.advance(timedelta(seconds=30))
    _Receiver.health_checks = 0
    run_smoke(store, root, SLUG, clock, actor="Omar Haddad")  # the pipeline's post-deploy smoke run: fails
    clock.advance(timedelta(minutes=2))
    run_smoke(store, root, SLUG, clock, actor="Omar Haddad", trigger="retest")  # passes
    logs = work / "ledger.log"
    logs.write_text("".join(f"{(T0 + timedelta(minutes=m)).isoformat()} INFO posting batch {m} committed\n"
                            for m in range(30)), encoding="utf-8")
    ingest_file(store, logs, LogSource(name=str(logs), service="ledger", release=SLUG), now=clock.now())
    watch(store, clock, [SLUG])
    _open_dashboard(store, clock)

    with store.write() as session:
        for incident in list_incidents(session, get_release(session, SLUG).id):
            acknowledge(session, incident.ticket, actor="Omar Haddad", now=clock.now())
            set_status(session, incident.ticket, "investigating", actor="Omar Haddad", now=clock.now())
            record_rca(session, incident.ticket, load_rca(RCA), actor="Omar Haddad", now=clock.now())
            set_status(session, incident.ticket, "resolved", actor="Omar Haddad", now=clock.now())
    draft(store, root, SLUG, actor="Omar Haddad", now=clock.now())
    add_action(store, root, SLUG, title="Load-test batched postings before the next canary", assignee="Kofi Mensah",
               due_at=clock.now() + timedelta(days=5), source="", actor="Omar Haddad",
               now=clock.now())
    draft(store, root, SLUG, actor="Omar Haddad", now=clock.now())  # sealed while the action is open
    clock.advance(timedelta(hours=1))
    with store.read() as session:
        ids = [a.id for a in list_actions(session, release_id=get_release(session, SLUG).id)]
    for action_id in ids:
        complete_action(store, root, action_id, actor="Omar Haddad", now=clock.now())
    seal_monitoring_log(store, SLUG, creator="vigil", now=clock.now())
    accept(store, root, SLUG, actor="Priya Nair", now=clock.now())
    publish(store, root, SLUG, actor="Omar Haddad", now=clock.now(), kb=work / "kb")
    with store.read() as session:
        unmet = gate(session, get_release(session, SLUG), root, clock.now(), exclude=("PM-29",))
    assert [u.id for u in unmet] == []
    approve(store, root, SLUG, actor="Tomas Berg", now=clock.now(), note="Rolled back in time")
    return clock


def _open_dashboard(store: Store, clock: ManualClock) -> None:
    """The Monitoring Owner opens the release's dashboard in the real web app (REQ-28: dashboards active)."""
    add_user(store, "Omar Haddad", clock.now(), role="monitoring_owner", release=SLUG)
    token = create_token(store, "Omar Haddad", clock.now())[1]
    with TestClient(create_app(store, clock=clock)) as client:
        page = client.get(f"/releases/{SLUG}", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200, page.text


def _sealed(session, release_id: int, kind: str) -> list[EvidenceItem]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(EvidenceItem).where(
        EvidenceItem.release_id == release_id, EvidenceItem.kind == kind).order_by(EvidenceItem.id)))


def _content(root: Path, item: EvidenceItem) -> str:
    return (root / "sha256" / item.sha256[:2] / item.sha256[2:]).read_text(encoding="utf-8")


def test_every_document_of_a_release_nobody_scripted_agrees_with_the_store(
        history: tuple[int, PrometheusServer], receiver: str, sqlite_store: Store, tmp_path: Path) -> None:
    seed, server = history
    store, root = sqlite_store, evidence_root(sqlite_store.url)
    clock = _run_step(store, root, tmp_path, server.url, receiver)
    regressed = format_offset(OFFSETS[_regressed_checkpoint(seed)])

    with store.read() as session:
        release = get_release(session, SLUG)
        checkpoints = {c.name: c for c in session.scalars(
            select(Checkpoint).where(Checkpoint.release_id == release.id))}
        readings = list(session.scalars(select(MetricReading).join(Checkpoint).where(
            Checkpoint.release_id == release.id)))
        incidents = list_incidents(session, release.id)
        smoke_runs = runs_for(session, release.id)
        closure = _sealed(session, release.id, "closure_report")
        retros = _sealed(session, release.id, "retrospective")
        logs = _sealed(session, release.id, "monitoring_log")
        assert verify_chain(session) == [] and verify_archive(session, root) == []

        # The decisions follow the data: healthy before the regression, critical and rolled back at it.
        assert checkpoints[regressed].decision is not None
        assert checkpoints[regressed].decision.go_no_go == "rollback", regressed
        for offset in OFFSETS[:_regressed_checkpoint(seed)]:
            assert checkpoints[format_offset(offset)].decision.go_no_go == "continue"  # type: ignore[union-attr]
        assert release.status == "rolled_back"

        # The closure report names the incidents the store holds, by count and title.
        assert len(incidents) >= 1 and len(closure) == 1
        report = _content(root, closure[0])
        assert "No incidents were recorded" not in report
        for incident in incidents:
            assert incident.ticket in report and incident.title in report
        assert re.search(rf"\b{len(incidents)} incident", report), report

        # The monitoring log: every check of the log against the store (tests/log_checks.py), then this
        # release's own facts: the final block belongs to the plan's last checkpoint, whatever its offset.
        log = _content(root, logs[-1])
        check_log_against_store(log, session, release)
        assert PLACEHOLDERS.search(report) is None and PLACEHOLDERS.search(log) is None
        last = format_offset(OFFSETS[-1])
        assert "**Release Result:**" in log and "[x] 🚨 Rollback Required" in log
        final_block = log[log.index("**Release Result:**"):log.index("## Incidents and Issues")]
        assert log.count("**Final Health Status:**") == 1
        assert final_block.count("Not evaluated") <= 1

        # Every peak in the summary is the stored maximum of that metric's readings.
        evaluated = [r for r in readings if r.current is not None]
        for _, label, _, _, _, _ in METRICS:
            values = [r.current for r in evaluated if r.label == label]
            row = re.search(rf"^\| {re.escape(label)} \|(.+)$", log, re.MULTILINE)
            assert row is not None, f"no summary row for {label}"
            cells = [c.strip() for c in row.group(1).split("|")]
            assert values, label
            peak = _number(cells[2])
            assert peak == pytest.approx(max(values), rel=0.01, abs=0.01), (label, cells, max(values))

        # The smoke results are in the log, and a failed health check never reads "Passed".
        assert len(smoke_runs) == 2 and smoke_runs[0].failed == 1 and smoke_runs[1].passed
        assert "Health Check:** ✅ Passed" not in log
        assert "smoke" in log.lower() and "health" in log

        # Sealed documents are never edited: each change is a new version, the older ones superseded.
        assert len(retros) >= 2
        latest = _content(root, retros[-1])
        assert "Load-test batched postings" in latest
        action_line = next(line for line in latest.splitlines() if "Load-test batched postings" in line)
        assert "open" not in action_line.lower(), action_line
        infos = version_infos(session, retros)
        assert [infos[r.id].version for r in retros] == list(range(1, len(retros) + 1))
        assert all(infos[r.id].superseded_by == infos[r.id].version + 1 for r in retros[:-1])
        assert infos[retros[-1].id].superseded_by is None
        for item in retros:  # every sealed version says which version it is
            assert f"v{infos[item.id].version}" in _content(root, item)
    assert last in log

    # The export holds every document the step produced, not only what was added by hand.
    bundle = tmp_path / "bundle"
    with store.read() as session:
        export_bundle(session, root, bundle, release_id=get_release(session, SLUG).id, now=clock.now())
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    kinds = {entry["kind"] for entry in manifest["items"]}
    for kind in ("plan_snapshot", "monitoring_log", "incident_report", "rca", "retrospective", "handover",
                 "closure_report", "smoke_result"):
        assert kind in kinds, f"{kind} missing from the export: {sorted(kinds)}"


def _number(cell: str) -> float:
    """The first number in a formatted cell ('1,311/min' → 1311.0, '630ms' → 630.0)."""
    match = re.search(r"-?[\d,]*\.?\d+", cell)
    assert match is not None, cell
    return float(match.group(0).replace(",", ""))
