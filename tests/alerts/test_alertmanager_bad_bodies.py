"""Whatever body reaches the Alertmanager receiver of the real app, the answer is 2xx or a 4xx with a reason,
never a 5xx; and whatever it accepted, every alert reads back (``vigil alert list`` works)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_input_app import AM_TOKEN, Served, served_copy
from vigil.alerts.service import list_alerts
from vigil.alerts.webhook import alertmanager_router
from vigil.cli.app import main
from vigil.clock import ManualClock
from vigil.store import Store
from web_fixtures import DEMO, DemoStore, demo_store

__all__ = ["demo_store"]

HEADERS = {"Authorization": f"Bearer {AM_TOKEN}", "Content-Type": "application/json"}
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
_AWKWARD = st.sampled_from(["²", "٣", "99999999999999999999", str(2**63), "0", "-1", "", DEMO, "checkout",
                            "x" * 300])
_NOT_TEXT = st.sampled_from(["\x00", "\ud800", "a\udfffb"])
_LABEL_VALUE = st.one_of(_TEXT, _AWKWARD, _NOT_TEXT, st.integers(), st.none(), st.lists(_TEXT, max_size=2))
_LABEL_NAME = st.sampled_from(["alertname", "severity", "service", "release", "version", "job"]) | _TEXT
_TIME = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00Z",
                     "2026-11-25T11:00:00Z", "2026-02-30T00:00:00Z", "", "now", "1e300"]),
    st.integers(), st.floats(allow_nan=False),
)


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten: a body must get past the checks before it to reach a later one."""
    return st.integers(0, 9).flatmap(lambda n: bad if n == 9 else good)


_GOOD_TIME = st.datetimes(datetime(2020, 1, 1), datetime(2100, 1, 1), timezones=st.timezones()).map(
    datetime.isoformat)
_LABELS = st.fixed_dictionaries(
    {"alertname": _mostly(st.just("HighLatency"), _LABEL_VALUE)},
    optional={name: _mostly(st.sampled_from([DEMO, "checkout", "critical", "2.3.0"]) | _AWKWARD | _TEXT, _LABEL_VALUE)
              for name in ("severity", "service", "release", "version", "job")},
).flatmap(lambda fixed: st.dictionaries(_TEXT, _mostly(_TEXT, _LABEL_VALUE), max_size=2).map(
    lambda more: {**more, **fixed}))


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    """Mostly well-formed v4 payloads with awkward parts, sometimes anything JSON."""
    status = draw(_mostly(st.sampled_from(["firing", "resolved"]), _LABEL_VALUE))
    alerts = [{"status": status, "labels": draw(_mostly(_LABELS, _LABEL_VALUE)),
               "annotations": draw(st.dictionaries(_TEXT, _mostly(_TEXT, _LABEL_VALUE), max_size=2)),
               "startsAt": draw(st.one_of(_GOOD_TIME, _TIME)), "endsAt": draw(_mostly(_GOOD_TIME, _TIME)),
               "fingerprint": draw(_mostly(_TEXT, _AWKWARD | st.integers()))}
              for _ in range(draw(_mostly(st.integers(1, 3), st.just(0))))]
    body = {"version": draw(_mostly(st.just("4"), _LABEL_VALUE)), "groupKey": draw(_TEXT), "status": status,
            "receiver": "vigil", "commonLabels": draw(_mostly(st.just({}), st.dictionaries(_LABEL_NAME, _LABEL_VALUE))),
            "truncatedAlerts": draw(_mostly(st.integers(), _AWKWARD)), "alerts": alerts}
    junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | _TEXT,
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3))
    return draw(_mostly(st.just(body), junk))


@pytest.fixture(scope="module")
def served(demo_store: DemoStore) -> Iterator[Served]:
    with served_copy(demo_store) as served:
        yield served


def _post(served: Served, content: bytes) -> int:
    response = served.client.post("/api/v1/alertmanager", content=content, headers=HEADERS)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["detail"]
    return response.status_code


def _every_alert_reads_back(served: Served) -> None:
    with served.store.read() as session:
        for alert in list_alerts(session):
            assert f"{alert.started_at:%Y-%m-%d %H:%M} {alert.last_seen_at:%Y}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=bodies())
def test_no_body_gets_a_5xx_and_what_is_accepted_reads_back(served: Served, body: Any) -> None:
    _post(served, json.dumps(body).encode())
    _every_alert_reads_back(served)


@pytest.mark.parametrize(("content", "status"), [
    (b"[" * 200_000, 400),
    (b'{"a": ' * 50 + b"1" + b"}" * 50, 422),
    (b"\xff\xfe", 400),
    (b" " * (6 * 1024 * 1024), 413),
])
def test_bodies_no_alertmanager_sends_get_a_4xx(served: Served, content: bytes, status: int) -> None:
    assert _post(served, content) == status


def _firing(**labels: Any) -> bytes:
    alert = {"status": "firing", "labels": {"alertname": "X", **labels}, "startsAt": "2026-11-25T11:00:00Z",
             "endsAt": "0001-01-01T00:00:00Z"}
    return json.dumps({"version": "4", "groupKey": "g", "status": "firing", "receiver": "vigil",
                       "alerts": [alert]}).encode()


@pytest.mark.parametrize("release", ["²", "99999999999999999999", str(2**63), "٣"])
def test_a_release_label_that_is_no_release_number_is_stored_unmapped(served: Served, release: str) -> None:
    assert _post(served, _firing(release=release, service="nowhere")) == 200


def test_a_start_past_the_last_representable_instant_is_refused_and_alert_list_still_works(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = json.loads(_firing())
    alert["alerts"][0]["startsAt"] = "9999-12-31T23:59:59-23:59"
    response = served.client.post("/api/v1/alertmanager", content=json.dumps(alert), headers=HEADERS)
    assert response.status_code == 422 and "outside 1970..2200" in response.json()["detail"]
    with pytest.raises(SystemExit) as done:
        main(["alert", "list", "--db", served.url])
    assert done.value.code in (0, None), capsys.readouterr()



@pytest.fixture
def pg_receiver(pg_url: str) -> Iterator[tuple[Store, TestClient]]:
    """The receiver on a PostgreSQL store, shared by all examples of the test that uses it."""
    store = Store(pg_url)
    app = FastAPI()
    app.include_router(alertmanager_router(store, ManualClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))))
    yield store, TestClient(app)
    store.dispose()


@pytest.mark.postgres
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=bodies())
def test_no_body_gets_a_5xx_from_the_receiver_on_postgresql(pg_receiver: tuple[Store, TestClient],
                                                            body: Any) -> None:
    """PostgreSQL enforces what SQLite does not (column lengths, no NUL in text): the same bodies there."""
    store, client = pg_receiver
    response = client.post("/api/v1/alertmanager", content=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    with store.read() as session:
        assert all(f"{a.started_at:%Y} {a.last_seen_at:%Y}" for a in list_alerts(session))
