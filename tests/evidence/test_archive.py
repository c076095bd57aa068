"""The content-addressed archive: storage layout, metadata, retention periods, verification."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from vigil.clock import ManualClock
from vigil.errors import PermissionDenied, VigilError
from vigil.evidence.archive import archive, blob_path
from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import add_file
from vigil.evidence.verify import verify_archive
from vigil.releases.models import Release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain


def _archive(
    store: Store,
    root: Path,
    release: Release,
    clock: ManualClock,
    content: bytes,
    kind: str = "junit",
    overrides: dict[str, str] | None = None,
) -> EvidenceItem:
    with store.write() as s:
        return archive(
            s,
            root=root,
            kind=kind,
            release_id=release.id,
            requirement_ids=["dep-02", "AUD-03"],
            content=content,
            filename="../results file.xml",
            media_type="application/xml",
            creator="Ana Costa",
            now=clock.now(),
            retention_overrides=overrides,
        )


def test_archive_stores_bytes_under_their_sha256_with_metadata_and_audit(store, root, release, clock):
    content = b"<testsuite><testcase name='a'/></testsuite>"
    item = _archive(store, root, release, clock, content)
    digest = hashlib.sha256(content).hexdigest()
    path = root / "sha256" / digest[:2] / digest[2:]
    assert path.read_bytes() == content
    assert item.sha256 == digest and item.size == len(content)
    assert item.filename == "results_file.xml"  # no path parts, no spaces: safe in sha256sum lines
    assert item.requirement_ids == ["AUD-03", "DEP-02"]
    assert item.creator == "Ana Costa" and item.created_at == clock.now()
    # Default retention: seven years (plus leap days), never shorter than 7 * 365 days.
    assert item.retain_until - clock.now() >= timedelta(days=7 * 365)
    with store.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "evidence.archived"))
        assert entry is not None and entry.payload["sha256"] == digest
        assert verify_chain(s) == [] and verify_archive(s, root) == []


def test_same_content_is_stored_once_but_recorded_per_use(store, root, release, clock):
    a = _archive(store, root, release, clock, b"same bytes")
    b = _archive(store, root, release, clock, b"same bytes", kind="log_excerpt")
    assert a.id != b.id and a.sha256 == b.sha256
    assert len([p for p in (root / "sha256").rglob("*") if p.is_file()]) == 1
    # log_excerpt has its own (shorter) default period.
    assert b.retain_until < a.retain_until


def test_retention_period_comes_from_plan_then_file_then_defaults(
    store, root, release, clock, tmp_path, monkeypatch
):
    from vigil.evidence.retention import _file_periods

    conf = tmp_path / "retention.yaml"
    conf.write_text("default: 3y\njunit: 90d\n")
    monkeypatch.setenv("VIGIL_RETENTION_FILE", str(conf))
    _file_periods.cache_clear()
    from_file = _archive(store, root, release, clock, b"1")
    assert from_file.retain_until - clock.now() == timedelta(days=90)
    other = _archive(store, root, release, clock, b"2", kind="rca")
    assert other.retain_until - clock.now() == timedelta(days=3 * 365 + 1)  # 3 years and a leap day
    from_plan = _archive(store, root, release, clock, b"3", overrides={"junit": "10y"})
    assert from_plan.retain_until - clock.now() == timedelta(days=10 * 365 + 3)


def test_a_broken_retention_file_is_one_clear_error(store, root, release, clock, tmp_path, monkeypatch):
    from vigil.evidence.retention import _file_periods

    conf = tmp_path / "retention.yaml"
    conf.write_text("junit: seven years\n")
    monkeypatch.setenv("VIGIL_RETENTION_FILE", str(conf))
    _file_periods.cache_clear()
    with pytest.raises(VigilError, match="junit: 'seven years' is not a retention period"):
        _archive(store, root, release, clock, b"x")
    with store.read() as s:
        assert s.scalar(select(EvidenceItem.id)) is None


def test_editing_one_byte_of_an_archived_file_is_named(store, root, release, clock):
    good = _archive(store, root, release, clock, b"first artefact")
    bad = _archive(store, root, release, clock, b"second artefact")
    path = blob_path(root, bad.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    with store.read() as s:
        problems = verify_archive(s, root)
    assert [p.item_id for p in problems] == [bad.id]
    assert "was altered" in problems[0].message and good.id != bad.id


@pytest.mark.unaudited_writes  # edits an evidence row behind the service's back
def test_a_missing_file_and_an_edited_row_are_named(store, root, release, clock):
    gone = _archive(store, root, release, clock, b"will vanish")
    edited = _archive(store, root, release, clock, b"row will be edited")
    blob_path(root, gone.sha256).unlink()
    with store.write() as s:
        s.execute(
            text("UPDATE evidence_items SET retain_until = retain_until - 1000000 WHERE id = :i"),
            {"i": edited.id},
        )
    with store.read() as s:
        messages = {p.item_id: p.message for p in verify_archive(s, root)}
    assert "is missing" in messages[gone.id]
    assert "record altered (retain_until" in messages[edited.id]


def test_add_file_needs_a_role_on_the_release_and_the_refusal_is_audited(
    store, root, release, clock, tmp_path
):
    f = tmp_path / "dash.json"
    f.write_text("{}")
    with pytest.raises(PermissionDenied, match="Eve may not add evidence"):
        add_file(
            store,
            root,
            release.slug,
            f,
            kind="dashboard",
            requirement_ids=["REQ-28"],
            actor="Eve",
            now=clock.now(),
        )
    with store.read() as s:
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "permission.denied")) == "Eve"
        assert s.scalar(select(EvidenceItem.id)) is None
    item = add_file(
        store,
        root,
        release.slug,
        f,
        kind="dashboard",
        requirement_ids=["REQ-28"],
        actor="Sam Okafor",
        now=clock.now(),
    )
    assert item.media_type == "application/json" and item.kind == "dashboard"


def test_bad_kind_is_refused_before_anything_is_written(store, root, release, clock):
    with pytest.raises(VigilError, match="evidence kind"):
        _archive(store, root, release, clock, b"x", kind="../etc")
    assert not root.exists()
