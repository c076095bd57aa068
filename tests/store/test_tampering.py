"""Whoever can write the database cannot rewrite history unseen: every tampering is named by verification.

A store holding a whole release (checkpoints, readings, decisions, a rollback, an alert and its incident, a
sealed monitoring log) is built once; each test copies it, tampers with it through plain SQL, as someone
with the database file would, and checks that ``verify_store`` names what was changed. The chain's head
is published beside the database (vigil.store.witness), where the tampering does not reach.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from governance_fixtures import EXAMPLE, T0
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.reports.sealing import seal_monitoring_log
from vigil.store import Store
from vigil.store.audit import GENESIS, AuditEntry, entry_hash
from vigil.store.integrity import tracked_tables
from vigil.store.verification import verify_recent, verify_store

pytestmark = pytest.mark.unaudited_writes  # every test here writes past the services on purpose
SLUG = "checkout-2.3.0"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example leaky canary on a short schedule: rolled back at T+2h, with an alert and an incident."""
    folder = tmp_path_factory.mktemp("tamper-template")
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "checkpoints: [T+0, T+15m, T+30m, T+1h, T+2h, T+4h, T+8h, T+24h]", "checkpoints: [T+0, T+1h, T+2h]")
    store = Store(f"sqlite:///{folder / 'vigil.db'}")
    clock = ManualClock(T0)
    create_release(store, parse_plan(text, "plan.yaml"), text, "plan.yaml", now=clock.now(), slug=SLUG)
    watch(store, clock, [SLUG])
    seal_monitoring_log(store, SLUG, creator="vigil", now=clock.now())
    store.dispose()
    return folder


@pytest.fixture
def copy(template: Path, tmp_path: Path) -> Iterator[Path]:
    for item in template.iterdir():  # the database, its published heads and its evidence folder
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, tmp_path / item.name)
    yield tmp_path / "vigil.db"


def problems_of(db: Path) -> list[str]:
    store = Store(f"sqlite:///{db}")
    try:
        with store.read() as session:
            return verify_store(session)
    finally:
        store.dispose()


def sql(db: Path, statement: str, *params: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement, params)


def one(db: Path, query: str) -> tuple[object, ...]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None, query
    return tuple(row)


def rehash_chain(db: Path) -> None:
    """Recompute every entry's hash and link and reset the head: what a careful forger does last."""
    store = Store(f"sqlite:///{db}")
    with store.read() as session:
        entries = [(e.id, e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.release_id, e.payload)
                   for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    store.dispose()
    prev = GENESIS
    with sqlite3.connect(db) as conn:
        for new_seq, (entry_id, _, at, actor, action, entity, entity_id, release_id, payload) in enumerate(
                entries, start=1):
            digest = entry_hash(new_seq, at, actor, action, entity, entity_id, release_id, payload, prev)
            conn.execute("UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?",
                         (new_seq, prev, digest, entry_id))
            prev = digest
        conn.execute("UPDATE audit_head SET seq = ?, hash = ?", (len(entries), prev))


def test_an_untouched_store_verifies_clean(copy: Path) -> None:
    assert problems_of(copy) == []


# (what is changed, the SQL, what the problem must name)
ROW_EDITS: list[tuple[str, str, str]] = [
    ("a checkpoint's state", "UPDATE checkpoints SET note = 'all fine' WHERE name = 'T+2h'", "checkpoints row"),
    ("a decision", "UPDATE decisions SET go_no_go = 'continue', health = 'healthy' WHERE go_no_go = 'rollback'",
     "decisions row"),
    ("a reading", "UPDATE metric_readings SET current = 50.0, status = 'ok' WHERE metric = 'memory_usage'",
     "metric_readings row"),
    ("the rollback", "UPDATE rollback_events SET verified = 0, verification = 'never happened'",
     "rollback_events row"),
    ("an incident", "UPDATE incidents SET severity = 'low'", "incidents row"),
    ("the release", "UPDATE releases SET status = 'completed'", "releases row"),
    ("an alert", "UPDATE alerts SET severity = 'info'", "alerts row"),
    ("the plan snapshot", "UPDATE plans SET created_at = created_at + 1", "plans row"),
    ("an evidence row", "UPDATE evidence_items SET created_at = created_at + 1", "evidence_items row"),
    ("a forged checkpoint", "INSERT INTO checkpoints (release_id, name, offset_seconds, due_at, evaluated_at, state, "
     "traffic_percent, window_start, window_end, note) SELECT release_id, 'T+3h', 10800, due_at, evaluated_at, "
     "state, traffic_percent, window_start, window_end, '' FROM checkpoints LIMIT 1", "written outside vigil"),
    ("a deleted reading", "DELETE FROM metric_readings WHERE id = (SELECT max(id) FROM metric_readings)",
     "deleted outside vigil"),
    ("a deleted evidence row", "DELETE FROM evidence_items", "evidence_items row"),
]


@pytest.mark.parametrize(("what", "statement", "named"), ROW_EDITS, ids=[r[0] for r in ROW_EDITS])
def test_a_domain_record_changed_behind_vigils_back_is_named(copy: Path, what: str, statement: str,
                                                             named: str) -> None:
    if "evidence_items" in statement and "DELETE" in statement:
        sql(copy, "DELETE FROM evidence_requirements")
    sql(copy, statement)
    found = problems_of(copy)
    assert any(named in p for p in found), (what, found)


def test_every_column_of_every_tracked_record_is_covered(copy: Path) -> None:
    """The rule, not the instance: changing any sealed column of any stored record is found, by row."""
    with sqlite3.connect(copy) as conn:
        targets = []
        for name, spec in sorted(tracked_tables().items()):
            row = conn.execute(f"SELECT id FROM {name} ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                continue
            targets += [(name, int(row[0]), column) for column in spec.columns if column != "id"]
    assert len({t[0] for t in targets}) >= 8  # the template holds records of most domains
    for name, row_id, column in targets:
        work = copy.with_name(f"edit-{name}-{column}.db")
        shutil.copy2(copy, work)
        shutil.copy2(f"{copy}.audit-heads", f"{work}.audit-heads")
        with sqlite3.connect(work) as conn:
            conn.execute("PRAGMA foreign_keys = OFF")
            (value,) = conn.execute(f"SELECT {column} FROM {name} WHERE id = ?", (row_id,)).fetchone()
            conn.execute(f"UPDATE {name} SET {column} = ? WHERE id = ?", (_other(value), row_id))
        found = problems_of(work)
        assert any(f"{name} row {row_id}" in p and "altered" in p for p in found), (name, column, found)


def _other(value: object) -> object:
    if value is None:
        return 1
    if isinstance(value, bool | int):
        return 1 - int(value) if value in (0, 1) else int(value) + 1  # booleans are stored as 0 / 1
    if isinstance(value, float):
        return value + 1.5
    text = str(value)
    if text.startswith(("{", "[")):
        return json.dumps({"forged": True})
    return text + "x"


def test_an_edited_audit_entry_is_named(copy: Path) -> None:
    sql(copy, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    assert any("audit entry 3" in p and "altered" in p for p in problems_of(copy))


def test_a_deleted_audit_entry_is_named(copy: Path) -> None:
    sql(copy, "DELETE FROM audit_log WHERE seq = 4")
    assert any("expected 4" in p for p in problems_of(copy))


def test_reordered_audit_entries_are_named(copy: Path) -> None:
    sql(copy, "UPDATE audit_log SET seq = -1 WHERE seq = 2")
    sql(copy, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
    sql(copy, "UPDATE audit_log SET seq = 3 WHERE seq = -1")
    assert any("re-ordered" in p or "altered" in p for p in problems_of(copy))


def test_a_truncated_log_with_its_head_reset_is_found_by_the_published_head(copy: Path) -> None:
    (seq, digest) = one(copy, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1 OFFSET 5")
    sql(copy, "DELETE FROM audit_log WHERE seq > ?", seq)
    sql(copy, "UPDATE audit_head SET seq = ?, hash = ?", seq, digest)
    found = problems_of(copy)
    assert any("no longer in the chain" in p for p in found), found


def test_a_rewritten_and_rehashed_chain_is_found_by_the_published_head(copy: Path) -> None:
    sql(copy, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    sql(copy, "UPDATE decisions SET go_no_go = 'continue' WHERE go_no_go = 'rollback'")
    rehash_chain(copy)
    found = problems_of(copy)
    assert any("re-hashed" in p for p in found), found
    assert any("decisions row" in p for p in found), found


def test_a_forged_seal_with_a_rehashed_chain_is_still_found(copy: Path) -> None:
    """Change a decision, re-seal its digest in the chain, re-hash everything: the published head differs."""
    sql(copy, "UPDATE decisions SET go_no_go = 'continue' WHERE go_no_go = 'rollback'")
    (decision_id,) = one(copy, "SELECT id FROM decisions WHERE go_no_go = 'continue' ORDER BY id DESC LIMIT 1")
    store = Store(f"sqlite:///{copy}")
    from vigil.store.integrity import _rows, row_digest

    with store.read() as session:
        (row,) = list(_rows(session, tracked_tables()["decisions"], [int(decision_id)]))  # type: ignore[arg-type]
        forged = row_digest(dict(row))
        seals = [(e.id, e.payload) for e in session.scalars(select(AuditEntry).where(
            AuditEntry.action == "records.sealed"))]
    store.dispose()
    with sqlite3.connect(copy) as conn:
        for entry_id, payload in seals:
            rows = payload["rows"].get("decisions", {})
            if str(decision_id) in rows:
                rows[str(decision_id)] = forged
                conn.execute("UPDATE audit_log SET payload = ? WHERE id = ?", (json.dumps(payload), entry_id))
    rehash_chain(copy)
    found = problems_of(copy)
    assert not any("decisions row" in p for p in found)  # the seal itself was forged…
    assert any("re-hashed" in p for p in found), found  # …and the published head tells


def test_an_emptied_audit_log_is_found(copy: Path) -> None:
    sql(copy, "DELETE FROM audit_log")
    sql(copy, "UPDATE audit_head SET seq = 0, hash = ?", GENESIS)
    found = problems_of(copy)
    assert any("no longer in the chain" in p for p in found), found


def test_an_emptied_audit_log_on_a_store_without_evidence_is_found(copy: Path) -> None:
    sql(copy, "DELETE FROM evidence_requirements")
    sql(copy, "DELETE FROM evidence_items")
    sql(copy, "DELETE FROM audit_log")
    sql(copy, "DELETE FROM audit_head")
    found = problems_of(copy)
    assert any("no longer in the chain" in p for p in found), found
    assert any("written outside vigil" in p for p in found), found  # every record has lost its seal


def test_a_removed_witness_is_reported(copy: Path) -> None:
    Path(f"{copy}.audit-heads").unlink()
    assert any("published heads" in p and "missing" in p for p in problems_of(copy))


def test_the_recent_check_starts_at_the_last_verified_entry_and_still_sees_new_tampering(copy: Path) -> None:
    store = Store(f"sqlite:///{copy}")
    with store.read() as session:
        assert verify_recent(session) == []  # marks the head verified
    _append_entries(store, 3)  # after the mark: the next recent check recomputes these
    (last,) = one(copy, "SELECT max(seq) FROM audit_log")
    sql(copy, "UPDATE audit_log SET actor = 'mallory' WHERE seq = ?", last)
    with store.read() as session:
        assert any(f"audit entry {last}" in p for p in verify_recent(session))
    store.dispose()


def test_the_recent_check_reads_only_entries_after_the_mark(copy: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from vigil.store import audit

    store = Store(f"sqlite:///{copy}")
    with store.read() as session:
        verify_recent(session)
    _append_entries(store, 2)
    calls: list[int] = []
    original: Callable[..., str] = audit.entry_hash
    monkeypatch.setattr(audit, "entry_hash", lambda seq, *rest: calls.append(seq) or original(seq, *rest))
    with store.read() as session:
        assert verify_recent(session) == []
    store.dispose()
    assert len(calls) == 2


def _append_entries(store: Store, count: int) -> None:
    from vigil.store.audit import append

    for i in range(count):
        with store.write() as session:
            append(session, at=T0 + timedelta(days=1, minutes=i), actor="ana", action="test.note",
                   entity="note", entity_id=i, payload={"i": i})


def test_the_published_head_follows_every_commit(copy: Path) -> None:
    store = Store(f"sqlite:///{copy}")
    _append_entries(store, 2)
    store.dispose()
    lines = [json.loads(line) for line in Path(f"{copy}.audit-heads").read_text().splitlines()]
    (seq, digest) = one(copy, "SELECT seq, hash FROM audit_head")
    assert {"seq": seq, "hash": digest} == lines[-1]
    assert [line["seq"] for line in lines if "seq" in line][-3:] == [seq - 2, seq - 1, seq]


def test_an_exports_head_proves_the_chain_later(copy: Path, tmp_path: Path, vigil_cli) -> None:  # type: ignore[no-untyped-def]
    """The head in an export's manifest, kept apart from the store, checks the chain with `vigil verify --head`."""
    from vigil.evidence.archive import evidence_root
    from vigil.evidence.export import export_bundle

    store = Store(f"sqlite:///{copy}")
    with store.read() as session:
        export_bundle(session, evidence_root(store.url), tmp_path / "bundle", release_id=None, now=T0)
    store.dispose()
    head = json.loads((tmp_path / "bundle" / "manifest.json").read_text())["audit_head"]
    published = f"{head['seq']}:{head['hash']}"
    assert vigil_cli("verify", "--head", published, "--db", str(copy))[0] == 0
    Path(f"{copy}.audit-heads").unlink()  # the attacker also removed the file beside the store…
    rehash_chain(copy)
    sql(copy, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    rehash_chain(copy)
    code, out = vigil_cli("verify", "--head", published, "--db", str(copy))
    assert code != 0 and "differs from the published head" in out  # …but not the exported head
    code, out = vigil_cli("verify", "--head", "12:abc", "--db", str(copy))
    assert code == 2 and "SEQ:HASH" in out
