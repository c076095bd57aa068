"""The single alert entry point: idempotent by fingerprint, lifecycle, auto-opened incidents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from vigil.alerts.models import Alert
from vigil.alerts.service import acknowledge_alert, fire_alert, list_alerts, resolve_alert
from vigil.errors import Conflict
from vigil.incidents.models import Incident
from vigil.releases.models import Release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers


def _fire(session, release_id, fp="fp-1", severity="warning", at=T0):  # type: ignore[no-untyped-def]
    return fire_alert(
        session,
        release_id=release_id,
        rule="cpu",
        severity=severity,
        fingerprint=fp,
        summary="CPU high",
        labels={"a": 1},
        now=at,
        source="test",
    )


def test_firing_twice_with_one_fingerprint_keeps_one_alert(store: Store, make_release: Callable[..., Release]) -> None:
    release = make_release()
    with store.write() as s:
        first = _fire(s, release.id)
        again = _fire(s, release.id, at=T0 + timedelta(minutes=2))
        assert again.id == first.id and again.occurrences == 2
    with store.read() as s:
        assert s.scalar(select(func.count(Alert.id))) == 1
        alert = s.scalars(select(Alert)).one()
        assert alert.last_seen_at == T0 + timedelta(minutes=2) and alert.service == "checkout"
        assert alert.labels == {"a": "1"}


def test_lifecycle_keeps_who_acknowledged_and_when_and_refires_after_resolution(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release()
    with store.write() as s:
        alert_id = _fire(s, release.id).id
    with store.write() as s:
        acknowledge_alert(s, alert_id, actor="Sam Okafor", now=T0 + timedelta(minutes=3))
    with store.write() as s, pytest.raises(Conflict):
        acknowledge_alert(s, alert_id, actor="Sam Okafor", now=T0 + timedelta(minutes=4))
    with store.write() as s:
        resolved = resolve_alert(
            s,
            fingerprint="fp-1",
            now=T0 + timedelta(minutes=9),
            actor="Sam Okafor",
            resolution="not_an_issue",
        )
        assert resolved is not None and resolved.status == "resolved"
        assert resolve_alert(s, fingerprint="fp-1", now=T0 + timedelta(minutes=10)) is None
        new = _fire(s, release.id, at=T0 + timedelta(minutes=20))
        assert new.id != alert_id
    with store.read() as s:
        old = s.get(Alert, alert_id)
        assert old is not None
        assert (old.acknowledged_by, old.acknowledged_at) == ("Sam Okafor", T0 + timedelta(minutes=3))
        assert old.resolution == "not_an_issue" and old.resolved_at == T0 + timedelta(minutes=9)
        assert [a.status for a in list_alerts(s, release.id)] == ["resolved", "firing"]
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "alert")))
        assert actions == ["alert.fired", "alert.acknowledged", "alert.resolved", "alert.fired"]
        assert verify_chain(s) == []


def test_a_critical_alert_opens_an_incident_when_the_plan_says_so(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release()  # default policy: critical alerts open incidents
    with store.write() as s:
        warning = _fire(s, release.id, fp="w", severity="warning")
        critical = _fire(s, release.id, fp="c", severity="page")  # Alertmanager-style alias
        assert warning.incident_id is None
        assert critical.severity == "critical" and critical.incident_id is not None
    with store.read() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.severity == "critical" and incident.major and incident.source == "alert"
        assert incident.detected_at == T0


def test_auto_incident_can_be_switched_off(store: Store, make_release: Callable[..., Release]) -> None:
    release = make_release("alerting:\n  auto_incident: []\n")
    with store.write() as s:
        assert _fire(s, release.id, severity="critical").incident_id is None
    with store.read() as s:
        assert s.scalar(select(func.count(Incident.id))) == 0
