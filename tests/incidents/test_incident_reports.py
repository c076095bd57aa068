"""Incidents, effectiveness and communication in the monitoring log; the stand-alone incident report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil.alerts.communication import record_feedback, send_due
from vigil.incidents.rca import load_rca, record_rca
from vigil.incidents.reports import render_incident_report
from vigil.releases.models import Release
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.store import Store

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}")[1].split("\n## ")[0]


def test_the_log_fills_incidents_effectiveness_and_communication_from_the_store(
    store: Store, make_release: Callable[..., Release], scenario: Callable[[Store, Release], str]
) -> None:
    release = make_release()
    ticket = scenario(store, release)
    send_due(store, release.id, T0 + timedelta(minutes=20))
    with store.write() as s:
        record_feedback(
            s,
            release.id,
            "Product Team",
            "Conversion looked stable",
            author="Mei Tan",
            now=T0 + timedelta(minutes=30),
        )
    log = render_monitoring_log(store, release.slug, T0 + timedelta(hours=6))
    incidents = _section(log, "Incidents and Issues")
    assert "### Issue #1: Memory +10% for 10 min - 09:06" in incidents
    assert f"**Ticket:** {ticket} (detected at T+1h6m)" in incidents
    assert "**Severity:** [x] Critical [ ] High" in incidents
    assert "**Status:** [ ] Open [ ] Investigating [x] Resolved" in incidents
    assert "09:20 (T+1h20m) — Sam Okafor: Heap dump taken" in incidents
    assert "### Issue #2: Receipts e-mailed twice" in incidents
    eff = _section(log, "Monitoring Effectiveness")
    assert "**Total Alerts Triggered:** 2" in eff and "**Missed Issues:** 1" in eff
    assert "**Alert Effectiveness:** 50%" in eff
    assert "**Average time to acknowledge alert:** 7.0 minutes (median 7.0 minutes, 2 incidents)" in eff
    assert (
        "**Average time to resolution:** 60.0 minutes (median 60.0 minutes, 1 incident; "
        "1 left out: not resolved)" in eff
    )
    assert "- **Primary Dashboard:** no dashboard views were recorded for this release" in eff
    comm = _section(log, "Stakeholder Communication")
    assert (
        "- **T+0:** checkout 2.3.0 — T+0: Deployment start notification — recorded 08:20 (due 08:00) "
        "for no stakeholder" in comm
    )
    assert "- **T+1h:** not sent (due" in comm
    assert "**Product Team:** Conversion looked stable (Mei Tan" in comm
    assert "___" not in log and "[placeholder]" not in log


def test_the_log_says_so_when_there_are_no_incidents(store: Store, make_release: Callable[..., Release]) -> None:
    release = make_release()
    log = render_monitoring_log(store, release.slug, T0)
    assert "No incidents were recorded for this release." in log
    assert "not computable — no alerts were triggered" in log
    assert "___" not in log


def test_incident_report_with_rca(
    store: Store, make_release: Callable[..., Release], scenario: Callable[[Store, Release], str], rca_file: Path
) -> None:
    release = make_release()
    ticket = scenario(store, release)
    before = render_incident_report(store, ticket, T0 + timedelta(hours=3))
    assert "required for this major incident and not yet recorded" in before
    with store.write() as s:
        record_rca(s, ticket, load_rca(rca_file), actor="Ravi Menon", now=T0 + timedelta(hours=3))
    text = render_incident_report(store, ticket, T0 + timedelta(hours=4))
    assert text.startswith(f"# Incident Report {ticket}: Memory +10% for 10 min")
    assert "| Acknowledged | 2026-11-24 09:10 UTC |" in text
    assert "**Change / commit:** commit 4f2a9c1 (payment session cache)" in text
    assert "5. Why the cap?" in text
    assert "| Use weak references in the session cache | Jo Berg | 2026-12-01 | no |" in text
    assert "Alert #1 memory-leak (critical, rule)" in text
