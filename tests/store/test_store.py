"""The store behaves the same on SQLite and PostgreSQL: migrations, exact timestamps, the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import IntegrityError

import audit_guard
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release, get_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, append, verify_chain
from vigil.watch.models import Checkpoint

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_migrations_create_every_table_once(store: Store) -> None:
    tables = set(inspect(store._reader).get_table_names())
    assert {"releases", "people", "release_roles", "plans", "checkpoints", "metric_readings", "decisions",
            "rollback_events", "audit_log", "alembic_version"} <= tables
    store.migrate()  # a second run is a no-op, not an error
    with store.read() as session:
        assert session.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_release_round_trip_keeps_exact_aware_timestamps(store: Store, demo_plan_text: str) -> None:
    plan = parse_plan(demo_plan_text)
    now = datetime(2026, 11, 24, 7, 59, 59, 123456, tzinfo=timezone(timedelta(hours=5)))
    release = create_release(store, plan, demo_plan_text, "plan.yaml", now=now)
    with store.read() as session:
        loaded = get_release(session, release.slug)
        assert loaded.created_at == now and loaded.created_at.tzinfo is not None
        assert loaded.started_at == plan.release.date
        assert {r.role for r in loaded.roles} == {"release_owner", "monitoring_owner", "service_owner",
                                                  "sponsor", "participant"}
        assert loaded.plan.source_text == demo_plan_text
        # Comparisons happen on integers in the database, so microseconds decide order exactly.
        later = session.scalar(select(Release.id).where(Release.created_at > now - timedelta(microseconds=1)))
        assert later == release.id
        assert session.scalar(select(Release.id).where(Release.created_at > now)) is None


@pytest.mark.unaudited_writes  # inserts a duplicate row directly
def test_checkpoint_key_is_unique(store: Store, demo_plan_text: str) -> None:
    release = create_release(store, parse_plan(demo_plan_text), demo_plan_text, "p", now=T0)

    def row() -> Checkpoint:
        return Checkpoint(release_id=release.id, name="T+1h", offset_seconds=3600, due_at=T0, evaluated_at=T0,
                          state="evaluated", traffic_percent=5, window_start=T0, window_end=T0)

    with store.write() as session:
        session.add(row())
    with pytest.raises(IntegrityError), store.write() as session:
        session.add(row())
    with store.read() as session:
        assert session.scalar(text("SELECT count(*) FROM checkpoints")) == 1


@pytest.mark.unaudited_writes  # checks the guard that every other test runs under
def test_the_audit_guard_names_a_page_visible_write_committed_without_an_audit_entry(
        store: Store, demo_plan_text: str) -> None:
    release = create_release(store, parse_plan(demo_plan_text), demo_plan_text, "p", now=T0)
    assert audit_guard.unaudited == []  # creating a release is audited
    with store.write() as session:
        # Raw SQL: an ORM update of a release would be sealed in the chain (vigil.store.integrity).
        session.execute(text("UPDATE releases SET status = 'closed' WHERE id = :id"), {"id": release.id})
    with store.write() as session:  # telemetry no page shows is not a page-visible write
        session.execute(text("UPDATE api_tokens SET last_used_at=1 WHERE id = 0"))
    assert audit_guard.unaudited == ["releases"]


def test_audit_chain_detects_alteration_deletion_and_reordering(store: Store) -> None:
    with store.write() as session:
        for i in range(5):
            append(session, at=T0 + timedelta(minutes=i), actor="ana", action="test.step", entity="thing",
                   entity_id=i, payload={"i": i, "text": "é ✓"})
    with store.read() as session:
        assert verify_chain(session) == []

    with store.write() as session:  # alter one field of entry 3
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="mallory"))
    with store.read() as session:
        problems = verify_chain(session)
    assert [p.seq for p in problems] == [3]
    assert "altered" in problems[0].message

    with store.write() as session:  # put it back, then delete entry 2
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="ana"))
        session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    with store.read() as session:
        messages = " ".join(p.message for p in verify_chain(session))
    assert "expected 2" in messages and "chain broken" in messages


def test_audit_chain_detects_truncated_tail(store: Store) -> None:
    with store.write() as session:
        for i in range(3):
            append(session, at=T0, actor="a", action="x", entity="e", entity_id=i)
    with store.write() as session:
        session.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    with store.read() as session:
        assert any("head" in p.message for p in verify_chain(session))


def test_sqlite_store_uses_wal(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    with store.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def _head() -> str:
    """The newest migration (a later one may be added at any time: the test must not name it)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from vigil.store.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


# A store stamped under the old numbering (0001 → 0004 → 0003 → 0005 → 0002 → …): the new id its schema is
# at, and the old id that was written for that same schema.
OLD_STAMPS = [("0005", "0002"), ("0002", "0004"), ("0004", "0005")]


@pytest.mark.parametrize(("schema_at", "old_stamp"), OLD_STAMPS)
def test_a_store_stamped_before_the_renumbering_upgrades_to_head(
    db_url: str, schema_at: str, old_stamp: str
) -> None:
    old = Store(db_url, migrate=False)
    old.migrate(to=schema_at)
    with old.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": old_stamp})
    old.dispose()

    store = Store(db_url)  # without the restamp: "table already exists", or tables silently never made
    tables = set(inspect(store._reader).get_table_names())
    assert {"action_items", "alert_rule_states", "server_secrets", "log_records"} <= tables
    with store.read() as session:
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
    store.dispose()


def test_a_store_stamped_under_the_new_numbering_keeps_its_stamp(db_url: str) -> None:
    fresh = Store(db_url, migrate=False)
    fresh.migrate(to="0004")  # governance, alerts and web: "0004" here is the new meaning
    fresh.migrate()
    tables = set(inspect(fresh._reader).get_table_names())
    assert {"server_secrets", "log_records"} <= tables
    fresh.dispose()
