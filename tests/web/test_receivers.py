"""`vigil serve` hosts the Alertmanager receiver, and only behind its shared bearer token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from vigil.alerts.models import Alert
from vigil.store import Store
from vigil.web.app import create_app

PAYLOAD = {
    "version": "4", "groupKey": "{}:{alertname=\"HighLatency\"}", "truncatedAlerts": 0, "status": "firing",
    "receiver": "vigil", "groupLabels": {"alertname": "HighLatency"},
    "commonLabels": {"alertname": "HighLatency", "severity": "warning", "service": "checkout"},
    "commonAnnotations": {}, "externalURL": "http://am",
    "alerts": [{"status": "firing",
                "labels": {"alertname": "HighLatency", "severity": "warning", "service": "checkout"},
                "annotations": {"summary": "p99 above 300 ms"}, "startsAt": "2026-11-24T08:30:00Z",
                "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom", "fingerprint": "abc123"}],
}


def test_receiver_is_served_with_a_token_and_refuses_without(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    with TestClient(create_app(store, alertmanager_token="s3cret")) as client:
        assert client.post("/api/v1/alertmanager", json=PAYLOAD).status_code == 401
        wrong = client.post("/api/v1/alertmanager", json=PAYLOAD, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = client.post("/api/v1/alertmanager", json=PAYLOAD, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
    with store.read() as session:
        alerts = session.scalars(select(Alert)).all()
        assert [(a.rule, a.source, a.status) for a in alerts] == [("HighLatency", "alertmanager", "firing")]


def test_without_a_token_there_is_no_open_receiver(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIL_ALERTMANAGER_TOKEN", raising=False)
    with TestClient(create_app(Store(sqlite_url))) as client:
        assert client.post("/api/v1/alertmanager", json=PAYLOAD).status_code == 404
        assert "/api/v1/alertmanager" not in client.get("/api/v1/openapi.json").text
