"""The content-addressed archive: bytes on disk at ``<root>/sha256/ab/cdef…``, metadata in the store.

``archive`` is the one call every domain uses to seal an artefact (smoke results, JUnit files, reports,
log excerpts, RCA documents, approvals). It writes the file before the caller's transaction commits; a
rolled-back transaction leaves at most an unreferenced file, which is harmless and reported by verify.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.evidence.models import EvidenceItem, EvidenceRequirement
from vigil.evidence.requirement_ids import requirement_ids as known_requirement_ids
from vigil.settings import Settings
from vigil.store.audit import append as audit
from vigil.store.private import private_dirs

KINDS_HINT = (
    "smoke_result, junit, retrospective, handover, closure_report, lessons, approval, dashboard, "
    "incident_report, incident_ticket, rca, log_excerpt, alerting, other"
)


def evidence_root(store_url: str, explicit: str | Path | None = None) -> Path:
    """The archive folder: the flag, else ``VIGIL_EVIDENCE_DIR``, else next to a SQLite store, else ./."""
    chosen = explicit or Settings().evidence_dir
    if chosen:
        return Path(chosen)
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        return db.parent / f"{db.stem}-evidence"
    return Path("vigil-evidence")


def blob_path(root: Path, sha256: str) -> Path:
    return root / "sha256" / sha256[:2] / sha256[2:]


def archive(
    session: Session,
    *,
    root: Path,
    kind: str,
    release_id: int | None,
    requirement_ids: Iterable[str],
    content: bytes,
    filename: str,
    media_type: str,
    creator: str,
    now: datetime,
    retention_overrides: dict[str, str] | None = None,
) -> EvidenceItem:
    """Seal ``content`` as evidence of ``kind`` for ``release_id``, tagged with ``requirement_ids``.

    Stores the bytes once per SHA-256, records kind, release, requirements, creator, time and the
    retention deadline (per kind, see ``retention.period_for``; ``retention_overrides`` is the plan's
    ``governance.retention``), and appends an ``evidence.archived`` audit entry in the same transaction.
    """
    from vigil.evidence.retention import period_for

    if not kind or not kind.replace("_", "").isalnum():
        raise VigilError(f"evidence kind '{kind}' must be a word such as {KINDS_HINT}")
    requirements = known_requirement_ids(requirement_ids)
    digest = hashlib.sha256(content).hexdigest()
    item = EvidenceItem(
        sha256=digest,
        kind=kind,
        release_id=release_id,
        filename=safe_name(filename),
        media_type=media_type,
        size=len(content),
        creator=creator,
        created_at=now,
        retain_until=now + period_for(kind, retention_overrides),
        legal_hold=False,
        hold_reason="",
    )
    item.requirements = [EvidenceRequirement(requirement_id=r) for r in requirements]
    session.add(item)
    session.flush()
    audit(
        session,
        at=now,
        actor=creator,
        action="evidence.archived",
        entity="evidence",
        entity_id=item.id,
        release_id=release_id,
        payload={
            "sha256": digest,
            "kind": kind,
            "filename": item.filename,
            "size": len(content),
            "requirements": requirements,
            "retain_until": item.retain_until.isoformat(),
        },
    )
    # Written while this transaction holds the audit-head lock, which purge also holds while it deletes
    # files: a purge can never remove a blob between our existence check and our commit.
    _store_blob(root, digest, content)
    return item


def safe_name(filename: str) -> str:
    """A file name that survives every tool an auditor uses (sha256sum lines, tar, Windows)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name).strip("._")
    return name[:200] or "evidence"


def read_blob(root: Path, item: EvidenceItem) -> bytes:
    if item.purged:
        raise VigilError(f"evidence {item.id} was purged on {item.purged_at:%Y-%m-%d} (tombstone only)")
    path = blob_path(root, item.sha256)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise VigilError(f"evidence {item.id}: file {path} is missing (run `vigil verify`)") from None


def _store_blob(root: Path, digest: str, content: bytes) -> None:
    """Write atomically (temp file + rename) and read-only; an existing blob is left untouched so a
    tampered file is never silently repaired - verify must still see it."""
    path = blob_path(root, digest)
    if path.exists():
        return
    private_dirs(path.parent)  # the archive and its folders: 0700, whatever the umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o400)  # read-only, and for its owner only (mkstemp made it 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
