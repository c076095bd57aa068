"""Retention: purge only what expired, keep a tombstone, never touch what is on legal hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from vigil.errors import PermissionDenied, VigilError
from vigil.evidence.archive import archive, blob_path
from vigil.evidence.models import EvidenceItem
from vigil.evidence.retention import purge, set_legal_hold
from vigil.evidence.verify import verify_archive
from vigil.store.audit import AuditEntry, verify_chain


def _put(store, root, release, clock, content: bytes, kind: str):
    with store.write() as s:
        return archive(
            s,
            root=root,
            kind=kind,
            release_id=release.id,
            requirement_ids=["AUD-03"],
            content=content,
            filename=f"{kind}.txt",
            media_type="text/plain",
            creator="Ana Costa",
            now=clock.now(),
            retention_overrides={"log_excerpt": "1y"},
        )


def test_purge_removes_expired_items_with_tombstones_and_keeps_held_and_unexpired(
    store, root, release, clock
):
    expired = _put(store, root, release, clock, b"old log lines", "log_excerpt")  # 1 year
    held = _put(store, root, release, clock, b"log under investigation", "log_excerpt")
    kept = _put(store, root, release, clock, b"junit results", "junit")  # 7 years
    set_legal_hold(store, held.id, hold=True, reason="case 2026-17", actor="Mei Tan", now=clock.now())

    clock.advance(timedelta(days=200))
    assert purge(store, root, actor="retention-job", now=clock.now()).purged == []

    clock.advance(timedelta(days=300))  # now past one year, well short of seven
    preview = purge(store, root, actor="retention-job", now=clock.now(), dry_run=True)
    assert preview.purged == [expired.id] and blob_path(root, expired.sha256).exists()

    report = purge(store, root, actor="retention-job", now=clock.now())
    assert report.purged == [expired.id] and report.held == [held.id]
    assert not blob_path(root, expired.sha256).exists()
    assert blob_path(root, held.sha256).exists() and blob_path(root, kept.sha256).exists()
    with store.read() as s:
        tomb = s.get(EvidenceItem, expired.id)
        assert tomb is not None and tomb.purged_at == clock.now() and tomb.purged_by == "retention-job"
        assert tomb.sha256 == expired.sha256  # the tombstone still says what existed
        assert s.scalar(select(AuditEntry.entity_id).where(AuditEntry.action == "evidence.purged")) == str(
            expired.id
        )
        assert verify_archive(s, root) == [] and verify_chain(s) == []

    clock.advance(timedelta(days=7 * 366))
    later = purge(store, root, actor="retention-job", now=clock.now())
    assert later.purged == [kept.id] and later.held == [held.id]


def test_a_file_shared_with_a_live_item_survives_the_purge_of_the_other(store, root, release, clock):
    short = _put(store, root, release, clock, b"same bytes", "log_excerpt")
    long = _put(store, root, release, clock, b"same bytes", "junit")
    clock.advance(timedelta(days=400))
    assert purge(store, root, actor="job", now=clock.now()).purged == [short.id]
    assert blob_path(root, long.sha256).exists()
    with store.read() as s:
        assert verify_archive(s, root) == []


def test_legal_hold_needs_a_reason_and_the_sponsor_or_release_owner(store, root, release, clock):
    item = _put(store, root, release, clock, b"x", "junit")
    with pytest.raises(VigilError, match="needs a reason"):
        set_legal_hold(store, item.id, hold=True, reason=" ", actor="Mei Tan", now=clock.now())
    with pytest.raises(PermissionDenied, match="Sam Okafor may not change a legal hold"):
        set_legal_hold(store, item.id, hold=True, reason="audit", actor="Sam Okafor", now=clock.now())
    set_legal_hold(store, item.id, hold=True, reason="audit", actor="Ana Costa", now=clock.now())
    set_legal_hold(store, item.id, hold=False, reason="", actor="Ana Costa", now=clock.now())
    clock.advance(timedelta(days=8 * 366))
    assert purge(store, root, actor="job", now=clock.now()).purged == [item.id]


def test_a_tombstone_whose_file_reappears_or_that_lacks_its_purge_record_is_reported(
    store, root, release, clock
):
    item = _put(store, root, release, clock, b"short lived", "log_excerpt")
    clock.advance(timedelta(days=400))
    purge(store, root, actor="job", now=clock.now())
    path = blob_path(root, item.sha256)
    path.write_bytes(b"short lived")
    with store.read() as s:
        problems = verify_archive(s, root)
    assert len(problems) == 1 and "purged, but its file" in problems[0].message
