"""DORA major-incident classification (Delegated Regulation 2024/1772) and reporting clocks (2025/301)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil.errors import PlanError, VigilError
from vigil.incidents.documents import load_model
from vigil.incidents.dora import (
    IncidentFacts,
    classify,
    record_facts,
    record_report_sent,
    reporting_clocks,
    thresholds,
)
from vigil.incidents.service import get_incident, open_incident, set_status, update_details
from vigil.releases.models import Release
from vigil.store import Store

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers

DORA_PLAN = """
incidents:
  dora:
    applies: true
    critical_service: true
    total_clients: 200000
"""


def test_critical_services_plus_two_thresholds_is_major() -> None:
    facts = IncidentFacts(critical_service=True, clients_affected_percent=12, economic_impact_eur=150_000)
    result = classify(facts)
    assert result.major and {c.name for c in result.met} == {"clients", "economic"}


def test_one_threshold_is_not_enough_and_thresholds_are_strict() -> None:
    assert not classify(IncidentFacts(critical_service=True, clients_affected_percent=12)).major
    at_limit = IncidentFacts(critical_service=True, clients_affected_percent=10, economic_impact_eur=100_000)
    assert not classify(at_limit).major  # "exceeds": equal is not enough
    two_states = IncidentFacts(critical_service=True, member_states=["DE", "FR"], downtime_hours=2.5)
    assert classify(two_states).major  # two Member States reach the geographical threshold


def test_malicious_access_on_critical_services_is_major_alone_but_nothing_is_without_critical_services() -> None:
    assert classify(IncidentFacts(critical_service=True, malicious_access=True)).major
    lots = IncidentFacts(
        critical_service=False,
        malicious_access=True,
        clients_affected_count=500_000,
        economic_impact_eur=10**7,
        flags=["media_attention", "integrity"],
    )
    assert not classify(lots).major


def test_thresholds_come_from_the_data_file() -> None:
    table = thresholds()
    assert table["classification"]["criteria"]["economic"]["any_of"]["economic_impact_eur"] == 100000
    changed = {**table, "classification": {**table["classification"], "min_thresholds_met": 1}}
    assert classify(IncidentFacts(critical_service=True, economic_impact_eur=200_000), changed).major


def test_classification_uses_the_clock_and_plan_and_starts_the_reporting_clocks(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(DORA_PLAN)
    with store.write() as s:
        ticket = open_incident(
            s,
            release_id=release.id,
            title="Payments down",
            severity="medium",
            actor="a",
            now=T0,
            impact_started_at=T0 - timedelta(hours=1),
        ).ticket
    with store.write() as s:
        # 25 000 of 200 000 clients = 12.5 %; 3 h since impact start > 2 h downtime.
        incident = record_facts(
            s, ticket, IncidentFacts(clients_affected_count=25_000), actor="a", now=T0 + timedelta(hours=2)
        )
        assert incident.dora["major"] and incident.major  # now needs an RCA to close
        assert "2 thresholds" in incident.dora["explanation"]
    with store.read() as s:
        incident = get_incident(s, ticket)
        clocks = reporting_clocks(incident, T0 + timedelta(hours=5))
    initial = clocks[0]
    assert initial.due_at == T0 + timedelta(hours=6) and initial.state == "due"  # classified at T0+2h, +4h
    assert reporting_clocks(incident, T0 + timedelta(hours=7))[0].state == "overdue"
    assert [c.state for c in clocks[1:]] == ["waiting", "waiting"]
    with store.write() as s:
        with pytest.raises(VigilError, match="initial report"):
            record_report_sent(s, ticket, "intermediate", T0, actor="a", now=T0)
        record_report_sent(s, ticket, "initial", T0 + timedelta(hours=5), actor="a", now=T0 + timedelta(hours=5))
    with store.read() as s:
        clocks = reporting_clocks(get_incident(s, ticket), T0 + timedelta(days=4))
    assert clocks[0].state == "sent"
    assert clocks[1].due_at == T0 + timedelta(hours=5 + 72) and clocks[1].state == "overdue"


def test_initial_report_is_due_24h_after_detection_when_classified_late(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(DORA_PLAN)
    with store.write() as s:
        ticket = open_incident(s, release_id=release.id, title="x", severity="low", actor="a", now=T0).ticket
        record_facts(s, ticket, IncidentFacts(malicious_access=True), actor="a", now=T0 + timedelta(hours=22))
        assert reporting_clocks(get_incident(s, ticket), T0)[0].due_at == T0 + timedelta(hours=24)


def test_recurring_incidents_with_one_root_cause_are_major_together(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(DORA_PLAN)
    tickets = []
    for day in (0, 40):
        at = T0 + timedelta(days=day)
        with store.write() as s:
            t = open_incident(s, release_id=release.id, title="Cache", severity="low", actor="a", now=at).ticket
            update_details(
                s,
                t,
                actor="a",
                now=at,
                root_cause_category="configuration",
                root_cause_change="cache TTL change",
            )
            set_status(s, t, "resolved", actor="a", now=at + timedelta(minutes=30))
            # Each alone: 8 % of clients, EUR 60 000 — below both thresholds.
            inc = record_facts(
                s,
                t,
                IncidentFacts(clients_affected_percent=8, economic_impact_eur=60_000),
                actor="a",
                now=at + timedelta(hours=1),
            )
            tickets.append((t, inc.dora["major"], inc.dora["explanation"]))
    assert tickets[0][1] is False
    assert tickets[1][1] is True and "recurring" in tickets[1][2] and tickets[0][0] in tickets[1][2]


def test_a_bad_facts_file_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "facts.yaml"
    bad.write_text("critical_service: true\nclients_afected_count: 5\n")
    with pytest.raises(PlanError) as err:
        load_model(bad, IncidentFacts)
    assert str(err.value).startswith(f"{bad}:2: clients_afected_count: unknown field")
