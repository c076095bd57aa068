"""Incident tests: a SQLite store, a release factory, the example RCA and the shared scenario."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from alerting_fixtures import BASE_PLAN, T0, make_release, store
from vigil.alerts.service import fire_alert, resolve_alert
from vigil.incidents.models import Incident
from vigil.incidents.service import acknowledge, add_note, open_incident, set_status
from vigil.releases.models import Release
from vigil.store import Store

__all__ = ["BASE_PLAN", "T0", "make_release", "store"]

RCA_FILE = Path(__file__).parent / "rca-example.yaml"


def m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def run_scenario(store: Store, release: Release) -> str:
    """A fault fires a critical alert (auto-opens an incident), which is acked, investigated, resolved;
    an unrelated alert turns out to be nothing; a second problem is reported by a person, with no alert."""
    with store.write() as s:
        alert = fire_alert(
            s,
            release_id=release.id,
            rule="memory-leak",
            severity="critical",
            fingerprint="leak",
            summary="Memory +10% for 10 min",
            labels={},
            now=T0 + m(66),
            source="rule",
        )
        ticket = s.get(Incident, alert.incident_id).ticket  # type: ignore[union-attr]
        fire_alert(
            s,
            release_id=release.id,
            rule="cpu",
            severity="warning",
            fingerprint="cpu",
            summary="CPU blip",
            labels={},
            now=T0 + m(70),
            source="rule",
        )
    with store.write() as s:
        acknowledge(s, ticket, actor="Sam Okafor", now=T0 + m(70))  # 4 min after detection
    with store.write() as s:
        set_status(s, ticket, "investigating", actor="Sam Okafor", now=T0 + m(75))  # 9 min
        add_note(s, ticket, "Heap dump taken", actor="Sam Okafor", now=T0 + m(80))
        resolve_alert(s, fingerprint="cpu", now=T0 + m(80), actor="Sam Okafor", resolution="not_an_issue")
    with store.write() as s:
        set_status(s, ticket, "resolved", actor="Ravi Menon", now=T0 + m(126), note="rolled back")  # 60 min
    with store.write() as s:
        manual = open_incident(
            s,
            release_id=release.id,
            title="Receipts e-mailed twice",
            severity="low",
            actor="Jo Berg",
            now=T0 + m(200),
        )
        acknowledge(s, manual.ticket, actor="Jo Berg", now=T0 + m(210))
    return ticket


@pytest.fixture
def scenario() -> Callable[[Store, Release], str]:
    return run_scenario


@pytest.fixture
def rca_file() -> Path:
    return RCA_FILE


@pytest.fixture
def plan_text() -> str:
    return BASE_PLAN
