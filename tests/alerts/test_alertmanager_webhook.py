"""The Alertmanager receiver: v4 payloads are stored and mapped; bad bodies get a 4xx and store nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from vigil.alerts.models import Alert
from vigil.alerts.webhook import alertmanager_router
from vigil.clock import ManualClock
from vigil.releases.models import Release
from vigil.store import Store
from vigil.store.audit import AuditEntry

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers


def payload(status: str = "firing", **labels: str) -> dict[str, Any]:
    alert_labels = {"alertname": "HighLatency", "severity": "critical", "service": "checkout", **labels}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "vigil",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": alert_labels,
        "commonAnnotations": {},
        "externalURL": "http://am",
        "alerts": [
            {
                "status": status,
                "labels": alert_labels,
                "annotations": {"summary": "p99 above 300 ms"},
                "startsAt": "2026-11-24T08:30:00Z",
                "endsAt": "2026-11-24T08:50:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prom",
                "fingerprint": "abc123",
            }
        ],
    }


@pytest.fixture
def client(store: Store) -> TestClient:
    app = FastAPI()
    app.include_router(alertmanager_router(store, ManualClock(T0 + timedelta(hours=1))))
    return TestClient(app)


def test_firing_then_resolved_is_one_alert_mapped_to_the_active_release(
    client: TestClient, store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release()
    first = client.post("/api/v1/alertmanager", json=payload())
    assert first.status_code == 200, first.text
    assert client.post("/api/v1/alertmanager", json=payload()).status_code == 200  # re-sent group
    done = client.post("/api/v1/alertmanager", json=payload("resolved"))
    assert done.status_code == 200
    with store.read() as s:
        alert = s.scalars(select(Alert)).one()
    assert alert.release_id == release.id and alert.source == "alertmanager"
    assert alert.fingerprint == "am/abc123" and alert.severity == "critical"
    assert alert.summary == "p99 above 300 ms" and alert.occurrences == 3
    assert alert.started_at == T0 + timedelta(minutes=30)
    assert alert.status == "resolved" and alert.resolved_at == T0 + timedelta(minutes=50)


def test_release_label_wins_and_unknown_services_are_kept_unmapped(
    client: TestClient, store: Store, make_release: Callable[..., Release]
) -> None:
    make_release(slug="a")
    b = make_release(slug="b")
    client.post("/api/v1/alertmanager", json=payload(release="b"))
    other = payload(service="search")
    other["alerts"][0]["fingerprint"] = "zzz"
    client.post("/api/v1/alertmanager", json=other)
    with store.read() as s:
        mapped = {a.fingerprint: (a.release_id, a.service) for a in s.scalars(select(Alert))}
    assert mapped == {"am/abc123": (b.id, "checkout"), "am/zzz": (None, "search")}


@pytest.mark.parametrize(
    "body, status, reason",
    [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (json.dumps({**payload(), "version": "3"}).encode(), 422, "version"),
        (json.dumps({**payload(), "alerts": []}).encode(), 422, "alerts"),
        (json.dumps({k: v for k, v in payload().items() if k != "status"}).encode(), 422, "status"),
        (
            json.dumps({**payload(), "alerts": [{"status": "firing", "labels": {"a": "b"}}]}).encode(),
            422,
            "startsAt",
        ),
        (
            json.dumps({**payload(), "alerts": [{**payload()["alerts"][0], "startsAt": "yesterday"}]}).encode(),
            422,
            "startsAt",
        ),
    ],
)
def test_malformed_bodies_get_a_reason_and_store_nothing(
    client: TestClient,
    store: Store,
    make_release: Callable[..., Release],
    body: bytes,
    status: int,
    reason: str,
) -> None:
    make_release()
    with store.read() as s:
        before = s.scalar(select(func.count(AuditEntry.id)))
    response = client.post("/api/v1/alertmanager", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert reason in response.json()["detail"]
    with store.read() as s:
        assert s.scalar(select(func.count(Alert.id))) == 0
        assert s.scalar(select(func.count(AuditEntry.id))) == before


def test_a_token_protected_receiver_refuses_requests_without_it(
    store: Store, make_release: Callable[..., Release]
) -> None:
    make_release()
    app = FastAPI()
    app.include_router(alertmanager_router(store, ManualClock(T0), token="s3cret"))
    client = TestClient(app)
    assert client.post("/api/v1/alertmanager", json=payload()).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/v1/alertmanager", json=payload(), headers=wrong).status_code == 401
    with store.read() as s:
        assert s.scalar(select(func.count(Alert.id))) == 0
    right = {"Authorization": "Bearer s3cret"}
    assert client.post("/api/v1/alertmanager", json=payload(), headers=right).status_code == 200
