"""Export evidence as one bundle an auditor checks with standard tools.

Layout (a folder, or the same inside a .tar / .tar.gz):
    MANIFEST.sha256   ``<sha256>  files/<id>-<name>`` lines: ``sha256sum -c MANIFEST.sha256`` checks it
    manifest.json     every item's metadata (kind, release, requirements, creator, times, retention)
    audit.jsonl       the audit entries of the exported releases, with their chain hashes
    files/…           the archived bytes
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.evidence.archive import read_blob
from vigil.evidence.models import EvidenceItem
from vigil.evidence.verify import verify_archive
from vigil.evidence.versions import version_infos
from vigil.store.audit import GENESIS, AuditEntry, AuditHead


def export_bundle(session: Session, root: Path, dest: Path, *, release_id: int | None, now: datetime) -> int:
    """Write the bundle to ``dest`` (folder, ``.tar`` or ``.tar.gz``); refuse if the archive is damaged."""
    problems = verify_archive(session, root, release_id=release_id)
    if problems:
        raise VigilError(f"not exporting a damaged archive: {problems[0].message} (run `vigil verify`)")
    if dest.exists():
        raise VigilError(f"{dest} already exists; choose a new path for the bundle")
    query = select(EvidenceItem).where(EvidenceItem.purged_at.is_(None)).order_by(EvidenceItem.id)
    if release_id is not None:
        query = query.where(EvidenceItem.release_id == release_id)
    items = list(session.scalars(query))
    with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
        folder = Path(tmp) / "bundle"
        _write_folder(session, root, folder, items, release_id, now)
        if dest.name.endswith((".tar", ".tar.gz", ".tgz")):
            with tarfile.open(dest, "w" if dest.name.endswith(".tar") else "w:gz") as tar:
                tar.add(folder, arcname=dest.name.split(".tar")[0].removesuffix(".tgz"))
        else:
            shutil.copytree(folder, dest)
    return len(items)


def _write_folder(
    session: Session,
    root: Path,
    folder: Path,
    items: list[EvidenceItem],
    release_id: int | None,
    now: datetime,
) -> None:
    files = folder / "files"
    files.mkdir(parents=True)
    lines, meta = [], []
    versions = version_infos(session, items)
    for item in items:
        relative = f"files/{item.id}-{item.filename}"
        (folder / relative).write_bytes(read_blob(root, item))
        lines.append(f"{item.sha256}  {relative}\n")
        meta.append({**_describe(item, relative), "version": versions[item.id].version,
                     "superseded_by_version": versions[item.id].superseded_by})
    audit_rows = _audit_rows(session, release_id)
    (folder / "audit.jsonl").write_text(
        "".join(json.dumps(r, sort_keys=True) + "\n" for r in audit_rows), encoding="utf-8"
    )
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "exported_at": now.isoformat(),
                "release_id": release_id,
                "items": meta,
                "audit_entries": len(audit_rows),
                # The chain's head when exported: keep it apart from the store, and `vigil verify --head
                # SEQ:HASH` later proves the chain still holds that entry unchanged.
                "audit_head": _head(session),
                "how_to_verify": "sha256sum -c MANIFEST.sha256",
            },
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    from vigil.evidence.verify import file_sha256

    for extra in ("manifest.json", "audit.jsonl"):
        lines.append(f"{file_sha256(folder / extra)}  {extra}\n")
    (folder / "MANIFEST.sha256").write_text("".join(lines), encoding="utf-8")


def _head(session: Session) -> dict[str, Any]:
    head = session.get(AuditHead, 1)
    return {"seq": head.seq, "hash": head.hash} if head is not None else {"seq": 0, "hash": GENESIS}


def _describe(item: EvidenceItem, relative: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "path": relative,
        "sha256": item.sha256,
        "kind": item.kind,
        "release_id": item.release_id,
        "requirements": item.requirement_ids,
        "filename": item.filename,
        "media_type": item.media_type,
        "size": item.size,
        "creator": item.creator,
        "created_at": item.created_at.isoformat(),
        "retain_until": item.retain_until.isoformat(),
        "legal_hold": item.legal_hold,
    }


def _audit_rows(session: Session, release_id: int | None) -> list[dict[str, Any]]:
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if release_id is not None:
        query = query.where(AuditEntry.release_id == release_id)
    return [
        {
            "seq": e.seq,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "release_id": e.release_id,
            "payload": e.payload,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in session.scalars(query)
    ]
