"""A store whose disk fills up, or that may not be written: each write that cannot be saved is a
StoreError saying why, nothing half-written stays, and what was saved before reads back intact."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from vigil.errors import StoreError
from vigil.store import Store
from vigil.store.audit import AuditEntry, append
from vigil.store.verification import verify_store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB filesystem (tmpfs) when this runs as root; otherwise a folder whose stores are capped
    at the same size through SQLite's max_page_count, set on every connection (see ``_cap``)."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], check=False).returncode == 0
    yield folder
    if mounted:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)  # lazy: a failed test may hold it


def _cap(store: Store, folder: Path) -> None:
    if os.path.ismount(folder):
        return
    for engine in (store._writer, store._reader):  # the cap is a property of each connection
        event.listen(engine, "connect", lambda conn, _rec: conn.execute("PRAGMA max_page_count = 500"))
    store.dispose()


def _entries(store: Store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_a_full_disk_is_a_store_error_and_loses_nothing_saved(small_disk: Path) -> None:
    store = Store(f"sqlite:///{small_disk / 'vigil.db'}")
    _cap(store, small_disk)
    saved = _entries(store)
    with pytest.raises(StoreError, match="the disk is full; this change was not saved") as caught:
        for n in range(10_000):
            with store.write() as session:
                append(session, at=NOW, actor="test", action="test.filler", entity="filler", entity_id=str(n),
                       payload={"text": "x" * 20_000})
            saved += 1
    assert "OperationalError" not in str(caught.value) and saved > 0
    assert _entries(store) == saved  # every committed write, and nothing of the one that failed
    with store.read() as session:
        assert verify_store(session) == []
    store.dispose()


def test_a_store_that_may_not_be_written_is_a_store_error_saying_so(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    store.dispose()
    read_only = Store(f"sqlite:///file:{tmp_path / 'vigil.db'}?mode=ro&uri=true", migrate=False)
    with pytest.raises(StoreError, match="the store is read-only"), read_only.write() as session:
        append(session, at=NOW, actor="test", action="test.filler", entity="filler", entity_id="1", payload={})
    read_only.dispose()
