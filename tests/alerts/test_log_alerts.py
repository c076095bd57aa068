"""Log detections flow through the same alert pipeline as metric rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from vigil.alerts.log_signals import fire_log_signals
from vigil.alerts.models import Alert
from vigil.incidents.models import Incident
from vigil.logs.ingest import Source, ingest_lines
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
STARTED = NOW - timedelta(hours=1)


def line(minute: int, level: str, msg: str) -> str:
    return f'{{"ts":"{(NOW + timedelta(minutes=minute)).isoformat()}","level":"{level}","msg":"{msg}"}}'


def test_new_error_signature_after_release_fires_one_alert_and_opens_an_incident(
        sqlite_url: str, demo_plan_text: str) -> None:
    store = Store(sqlite_url)
    text = demo_plan_text.replace("2026-11-24T09:00:00+01:00", STARTED.isoformat())
    release = create_release(store, parse_plan(text), text, "p", now=STARTED)
    assert fire_log_signals(store, release.id, NOW) == []  # no logs collected for the service: nothing to mine
    known = [line(-120 + i, "error", f"cache miss for key user:{i}") for i in range(10)]
    new = [line(-30, "fatal", "worker 3 crashed: out of memory"),
           line(-20, "error", "cache miss for key user:77")]
    ingest_lines(store, known + new, Source("app.log", "checkout"), now=NOW)

    fired = fire_log_signals(store, release.id, NOW)
    again = fire_log_signals(store, release.id, NOW + timedelta(minutes=1))
    assert [a.id for a in fired] == [a.id for a in again]  # de-duplicated by fingerprint while firing
    with store.read() as session:
        alerts = session.scalars(select(Alert).where(Alert.release_id == release.id)).all()
        assert [(a.rule, a.source, a.severity, a.occurrences) for a in alerts] == [
            ("log-new-error-signature", "logs", "critical", 2)]
        assert alerts[0].summary.startswith("checkout: new error after the release (1x): worker")
        incident = session.get(Incident, alerts[0].incident_id) if alerts[0].incident_id else None
        assert incident is not None and incident.release_id == release.id and incident.source == "alert"
