"""Verifying the archive: every file's hash recomputed, every row checked against its sealed audit entry,
every tombstone checked against its purge record.

The audit chain proves the audit rows were not changed; comparing each evidence row with the
``evidence.archived`` entry that sealed it extends that proof to the evidence metadata.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.evidence.archive import blob_path
from vigil.evidence.models import EvidenceItem
from vigil.store.audit import AuditEntry


@dataclass(frozen=True)
class ArchiveProblem:
    item_id: int | None
    message: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_archive(session: Session, root: Path, *, release_id: int | None = None) -> list[ArchiveProblem]:
    """Everything wrong with the archive (or one release's part of it); empty when intact."""
    query = select(EvidenceItem).order_by(EvidenceItem.id)
    if release_id is not None:
        query = query.where(EvidenceItem.release_id == release_id)
    items = list(session.scalars(query))
    sealed = _audit_by_item(session)
    live = {i.sha256 for i in items if not i.purged}
    hashes: dict[str, str | None] = {}
    problems: list[ArchiveProblem] = []
    for item in items:
        name = f"evidence {item.id} ({item.kind}, {item.filename})"
        problems += _check_record(item, name, sealed.get(item.id, {}))
        path = blob_path(root, item.sha256)
        if item.purged:
            if path.exists() and item.sha256 not in live:
                problems.append(
                    ArchiveProblem(item.id, f"{name}: purged, but its file {path} is still there")
                )
            continue
        if item.sha256 not in hashes:
            hashes[item.sha256] = file_sha256(path) if path.is_file() else None
        actual = hashes[item.sha256]
        if actual is None:
            problems.append(ArchiveProblem(item.id, f"{name}: file {path} is missing"))
        elif actual != item.sha256:
            problems.append(
                ArchiveProblem(item.id, f"{name}: file {path} was altered (content hashes to {actual[:12]}…)")
            )
    return problems


def _check_record(item: EvidenceItem, name: str, entries: dict[str, AuditEntry]) -> list[ArchiveProblem]:
    out = []
    archived = entries.get("evidence.archived")
    if archived is None:
        out.append(ArchiveProblem(item.id, f"{name}: no audit entry sealed it (row inserted outside vigil)"))
    else:
        sealed = archived.payload
        for field, value in (
            ("sha256", item.sha256),
            ("kind", item.kind),
            ("size", item.size),
            ("retain_until", item.retain_until.isoformat()),
        ):
            if sealed.get(field) != value:
                out.append(
                    ArchiveProblem(
                        item.id,
                        f"{name}: record altered ({field} differs from the value "
                        f"sealed in audit entry {archived.seq})",
                    )
                )
    if item.purged:
        if "evidence.purged" not in entries:
            out.append(ArchiveProblem(item.id, f"{name}: tombstone without a purge audit entry"))
        if item.purged_at is not None and item.purged_at < item.retain_until:
            out.append(ArchiveProblem(item.id, f"{name}: purged before its retention ended"))
    elif "evidence.purged" in entries:
        out.append(ArchiveProblem(item.id, f"{name}: audit says it was purged but the row is live again"))
    return out


def _audit_by_item(session: Session) -> dict[int, dict[str, AuditEntry]]:
    out: dict[int, dict[str, AuditEntry]] = {}
    rows = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "evidence", AuditEntry.action.in_(("evidence.archived", "evidence.purged"))
        )
    )
    for entry in rows:
        if entry.entity_id.isdigit():
            # The first sealing entry counts; a later forged one cannot replace it.
            out.setdefault(int(entry.entity_id), {}).setdefault(entry.action, entry)
    return out
