"""The incident ticket: validated transitions, ordered and audited clock, RCA gate, effectiveness figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from vigil.alerts.service import list_alerts
from vigil.errors import Conflict, PlanError, VigilError
from vigil.incidents import effectiveness
from vigil.incidents.models import Incident
from vigil.incidents.rca import load_rca, record_rca
from vigil.incidents.service import acknowledge, edit_clock, get_incident, open_incident, set_status
from vigil.releases.models import Release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers


def m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def test_the_simulated_fault_yields_the_right_mtta_mttr_and_the_manual_incident_counts_as_missed(
    store: Store, make_release: Callable[..., Release], scenario: Callable[[Store, Release], str]
) -> None:
    release = make_release()
    ticket = scenario(store, release)
    with store.read() as s:
        fig = effectiveness.for_release(s, release.id)
        incident = get_incident(s, ticket)
        alert_statuses = {a.rule: (a.status, a.acknowledged_by) for a in list_alerts(s, release.id)}
    assert incident.status == "resolved" and incident.acknowledged_by == "Sam Okafor"
    assert alert_statuses["memory-leak"] == ("resolved", "Sam Okafor")
    assert (fig.alerts, fig.true_positives, fig.false_positives, fig.missed) == (2, 1, 1, 1)
    assert fig.effectiveness_pct == 50 and fig.precision_pct == 50 and fig.recall_pct == 50
    assert fig.times["acknowledge"].minutes == [4.0, 10.0] and fig.times["acknowledge"].mean == 7.0
    assert fig.times["investigate"].minutes == [9.0] and fig.times["investigate"].excluded == 1
    assert fig.times["resolve"].minutes == [60.0] and fig.times["resolve"].median == 60.0
    assert fig.times["resolve"].excluded_because == "not resolved"


def test_breakdown_per_severity_and_rule(
    store: Store, make_release: Callable[..., Release], scenario: Callable[[Store, Release], str]
) -> None:
    release = make_release()
    scenario(store, release)
    with store.read() as s:
        parts = effectiveness.breakdown(s)
    by_sev = {e.scope: e for e in parts["severity"]}
    assert by_sev["critical"].times["resolve"].minutes == [60.0] and by_sev["low"].missed == 1
    by_rule = {e.scope: e for e in parts["rule"]}
    assert by_rule["memory-leak"].true_positives == 1 and by_rule["cpu"].false_positives == 1
    assert [e.scope for e in parts["release"]] == [str(release.id)]


def test_a_critical_incident_refuses_to_close_without_rca_then_closes_with_one(
    store: Store, make_release: Callable[..., Release], scenario: Callable[[Store, Release], str], rca_file: Path
) -> None:
    release = make_release()
    ticket = scenario(store, release)
    with store.write() as s, pytest.raises(Conflict, match="cannot be closed without a root-cause analysis"):
        set_status(s, ticket, "closed", actor="Ana Costa", now=T0 + m(300))
    with store.read() as s:
        assert get_incident(s, ticket).status == "resolved"
    with store.write() as s:
        record_rca(s, ticket, load_rca(rca_file), actor="Ravi Menon", now=T0 + m(400))
        set_status(s, ticket, "closed", actor="Ana Costa", now=T0 + m(410))
    with store.read() as s:
        incident = get_incident(s, ticket)
        assert incident.status == "closed" and incident.closed_at == T0 + m(410)
        assert incident.root_cause_category == "code" and "weak" not in incident.prevention
        assert "soak" in incident.prevention
        assert verify_chain(s) == []


def test_a_minor_incident_closes_without_rca(store: Store, make_release: Callable[..., Release]) -> None:
    release = make_release()
    with store.write() as s:
        ticket = open_incident(s, release_id=release.id, title="Typo", severity="low", actor="Jo Berg", now=T0).ticket
        set_status(s, ticket, "resolved", actor="Jo Berg", now=T0 + m(5))
        assert set_status(s, ticket, "closed", actor="Jo Berg", now=T0 + m(6)).status == "closed"


@pytest.mark.parametrize(
    "path, target",
    [
        (["investigating"], "open"),
        (["investigating"], "closed"),
        ([], "closed"),
        (["resolved", "closed"], "investigating"),
        ([], "bogus"),
    ],
)
def test_invalid_transitions_are_refused(
    store: Store, make_release: Callable[..., Release], path: list[str], target: str
) -> None:
    release = make_release()
    with store.write() as s:
        ticket = open_incident(s, release_id=release.id, title="x", severity="medium", actor="a", now=T0).ticket
        for i, step in enumerate(path):
            set_status(s, ticket, step, actor="a", now=T0 + m(i + 1))
    with store.write() as s, pytest.raises(VigilError):
        set_status(s, ticket, target, actor="a", now=T0 + m(10))


def test_clock_edits_are_ordered_and_audited(store: Store, make_release: Callable[..., Release]) -> None:
    release = make_release()
    with store.write() as s:
        ticket = open_incident(
            s, release_id=release.id, title="Slow", severity="high", actor="a", now=T0 + m(30)
        ).ticket
        acknowledge(s, ticket, actor="a", now=T0 + m(35))
    with store.write() as s:
        edit_clock(
            s,
            ticket,
            "impact_started",
            T0 + m(10),
            actor="Ravi Menon",
            now=T0 + m(40),
            reason="latency rose at T+10m per the dashboard",
        )
    for field, value in [
        ("impact_started", T0 + m(31)),
        ("acknowledged", T0 + m(20)),
        ("resolved", T0 + m(29)),  # before detection (resolved may precede the ack)
    ]:
        with store.write() as s, pytest.raises(Conflict, match="cannot be before"):
            edit_clock(s, ticket, field, value, actor="a", now=T0 + m(41), reason="oops")
    with store.write() as s, pytest.raises(VigilError, match="say why"):
        edit_clock(s, ticket, "mitigated", T0 + m(50), actor="a", now=T0 + m(41), reason=" ")
    with store.read() as s:
        incident = get_incident(s, ticket)
        assert incident.impact_started_at == T0 + m(10) and incident.acknowledged_at == T0 + m(35)
        edits = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "incident.clock_edited")))
        assert len(edits) == 1 and edits[0].actor == "Ravi Menon"
        assert edits[0].payload["old"] is None and edits[0].payload["reason"].startswith("latency")
        assert any(e.kind == "clock" for e in incident.events)
        fig = effectiveness.for_release(s, release.id)
    assert fig.times["detect"].minutes == [20.0]


def test_bad_rca_files_name_file_line_and_field(tmp_path: Path, rca_file: Path) -> None:
    bad = tmp_path / "rca.yaml"
    bad.write_text(rca_file.read_text().replace("owner: Ravi Menon}", "owner: ''}", 1))
    with pytest.raises(PlanError) as err:
        load_rca(bad)
    assert "rca.yaml:" in str(err.value) and "preventive_actions.0.owner" in str(err.value)
    short = tmp_path / "short.yaml"
    text = rca_file.read_text()
    short.write_text(
        text.split("five_whys:")[0] + "five_whys: [a]\n" + "corrective_actions:" + text.split("corrective_actions:")[1]
    )
    with pytest.raises(PlanError, match="five_whys"):
        load_rca(short)


def test_a_watched_release_whose_fault_fires_an_alert_yields_the_right_mtta_and_mttr(
    store: Store, make_release: Callable[..., Release]
) -> None:
    from vigil.clock import ManualClock
    from vigil.flows.watch_loop import watch

    release = make_release(
        "alerting:\n  rules:\n    - {name: memory-leak, metric: memory_usage, condition: relative, value: 10,"
        " for: 10m, severity: critical, no_data: ok}\n"
    )
    watch(store, ManualClock(T0), [release.slug])
    with store.read() as s:
        incident = s.scalars(select(Incident)).one()
    detected = incident.detected_at
    assert incident.source == "alert" and T0 + m(60) < detected < T0 + m(120)
    with store.write() as s:
        acknowledge(s, incident.ticket, actor="Sam Okafor", now=detected + m(3))
        set_status(s, incident.ticket, "investigating", actor="Sam Okafor", now=detected + m(8))
    with store.write() as s:
        set_status(s, incident.ticket, "resolved", actor="Ravi Menon", now=detected + m(47))
    with store.read() as s:
        fig = effectiveness.for_release(s, release.id)
    assert (fig.alerts, fig.true_positives, fig.missed, fig.recall_pct) == (1, 1, 0, 100.0)
    assert fig.times["acknowledge"].mean == 3.0 and fig.times["investigate"].mean == 8.0
    assert fig.times["resolve"].mean == 47.0 and fig.times["resolve"].excluded == 0
