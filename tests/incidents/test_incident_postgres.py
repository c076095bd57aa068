"""The incident lifecycle on PostgreSQL: same figures, same refusals, intact audit chain."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from vigil.alerts.models import Alert
from vigil.alerts.service import fire_alert
from vigil.errors import Conflict
from vigil.incidents import effectiveness
from vigil.incidents.rca import load_rca, record_rca
from vigil.incidents.service import set_status
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import verify_chain

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers

pytestmark = pytest.mark.postgres
ADMIN = "host=127.0.0.1 user=postgres dbname=postgres"


@pytest.fixture
def pg_store() -> Iterator[Store]:
    name = f"vigil_alerts_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = Store(f"postgresql+psycopg://postgres@127.0.0.1/{name}")
    try:
        yield store
    finally:
        store.dispose()
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_incident_lifecycle_on_postgres(
    pg_store: Store, scenario: Callable[[Store, Release], str], rca_file: Path, plan_text: str
) -> None:
    release = create_release(pg_store, parse_plan(plan_text), plan_text, "plan.yaml", now=T0, slug="pg")
    ticket = scenario(pg_store, release)
    with pg_store.write() as s, pytest.raises(Conflict):
        set_status(s, ticket, "closed", actor="Ana Costa", now=T0 + timedelta(hours=5))
    with pg_store.write() as s:
        record_rca(s, ticket, load_rca(rca_file), actor="Ravi", now=T0 + timedelta(hours=5))
        set_status(s, ticket, "closed", actor="Ana Costa", now=T0 + timedelta(hours=6))
    with pg_store.read() as s:
        fig = effectiveness.for_release(s, release.id)
        assert (fig.true_positives, fig.false_positives, fig.missed) == (1, 1, 1)
        assert fig.times["acknowledge"].mean == 7.0 and fig.times["resolve"].minutes == [60.0]
        assert verify_chain(s) == []


def test_open_fingerprint_is_unique_on_postgres(pg_store: Store, plan_text: str) -> None:
    release = create_release(pg_store, parse_plan(plan_text), plan_text, "plan.yaml", now=T0, slug="pg")
    for minute in range(3):
        with pg_store.write() as s:
            fire_alert(
                s,
                release_id=release.id,
                rule="r",
                severity="warning",
                fingerprint="same",
                summary="",
                labels={},
                now=T0 + timedelta(minutes=minute),
                source="test",
            )
    with pg_store.read() as s:
        assert s.scalar(select(func.count(Alert.id))) == 1
