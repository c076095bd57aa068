"""Receivers firing the same alert at once, each with its own store connection: every fire is counted
(the counter is one SQL update, not read-modify-write), a race to create a new alert ends in one alert
and no error, and the audit chain with its record seals verifies clean afterwards."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from vigil.alerts.models import Alert
from vigil.alerts.service import fire_alert
from vigil.store import Store
from vigil.store.verification import verify_store

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
WORKERS, FIRES, ALERTS = 4, 60, 3  # per worker, per alert


def _fire_all(url: str, start: threading.Barrier, errors: list[BaseException], worker: int) -> None:
    store = Store(url, migrate=False)
    try:
        for n in range(ALERTS):
            start.wait(timeout=60)  # everyone races to create alert n, then keeps firing it
            for i in range(FIRES):
                with store.write() as session:
                    fire_alert(session, release_id=None, rule="HighLatency", severity="critical",
                               fingerprint=f"am/race-{n}", summary="p99 high", labels={"n": str(n)},
                               now=T0 + timedelta(seconds=i * WORKERS + worker), source="alertmanager")
    except BaseException as exc:  # collected: the test asserts there are none
        errors.append(exc)
        start.abort()
    finally:
        store.dispose()


@pytest.mark.timeout(300)
def test_concurrent_fires_lose_no_increment_and_race_to_one_alert(db_url: str) -> None:
    store = Store(db_url)  # on SQLite and on PostgreSQL (the alert tests' own ``store`` is SQLite only)
    start, errors = threading.Barrier(WORKERS), []
    workers = [threading.Thread(target=_fire_all, args=(store.url, start, errors, w)) for w in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=280)
    assert errors == []
    with store.read() as session:
        alerts = list(session.scalars(select(Alert).order_by(Alert.fingerprint)))
        assert [(a.fingerprint, a.occurrences) for a in alerts] == [
            (f"am/race-{n}", WORKERS * FIRES) for n in range(ALERTS)]
        last = T0 + timedelta(seconds=(FIRES - 1) * WORKERS + WORKERS - 1)
        assert all(a.last_seen_at == last and a.started_at <= T0 + timedelta(seconds=WORKERS) for a in alerts)
        assert verify_store(session) == []
    store.dispose()
