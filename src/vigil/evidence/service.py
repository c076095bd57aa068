"""Evidence operations the CLI and other domains call: add a file by hand, list, look up by requirement."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.evidence.archive import archive
from vigil.evidence.models import EvidenceItem, EvidenceRequirement
from vigil.evidence.requirement_ids import requirement_id
from vigil.evidence.requirement_ids import requirement_ids as known_requirement_ids
from vigil.releases.roles import authorize
from vigil.releases.service import get_release, plan_of
from vigil.store import Store

# Anyone named in the release may supply evidence; viewers may only look.
CONTRIBUTORS = ("release_owner", "monitoring_owner", "service_owner", "sponsor", "participant")


def add_file(
    store: Store,
    root: Path,
    release_ref: str,
    path: Path,
    *,
    kind: str,
    requirement_ids: list[str],
    actor: str,
    now: datetime,
) -> EvidenceItem:
    """Archive a file someone supplies by hand (a dashboard export, an RCA document, a ticket list…)."""
    known_requirement_ids(requirement_ids)  # an unknown ID is refused before anything is read or stored
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise VigilError(f"cannot read {path}: {exc.strerror or exc}") from None
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, CONTRIBUTORS, "add evidence", now)
    with store.write() as session:
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return seal(session, root, release_id, kind=kind, requirement_ids=requirement_ids, content=content,
                    filename=path.name, media_type=media, creator=actor, now=now)


def seal(
    session: Session,
    root: Path,
    release_id: int,
    *,
    kind: str,
    requirement_ids: list[str],
    content: bytes,
    filename: str,
    media_type: str,
    creator: str,
    now: datetime,
) -> EvidenceItem:
    """``archive`` with the release's own retention overrides: what governance domains call."""
    release = get_release(session, release_id)
    return archive(
        session,
        root=root,
        kind=kind,
        release_id=release_id,
        requirement_ids=requirement_ids,
        content=content,
        filename=filename,
        media_type=media_type,
        creator=creator,
        now=now,
        retention_overrides=plan_of(release).governance.retention,
    )


def items_for(
    session: Session,
    release_id: int | None = None,
    *,
    requirement: str | None = None,
    kind: str | None = None,
    include_purged: bool = False,
) -> list[EvidenceItem]:
    query = select(EvidenceItem).order_by(EvidenceItem.id)
    if release_id is not None:
        query = query.where(EvidenceItem.release_id == release_id)
    if requirement is not None:
        query = query.where(
            EvidenceItem.id.in_(
                select(EvidenceRequirement.evidence_id).where(
                    EvidenceRequirement.requirement_id == requirement_id(requirement)
                )
            )
        )
    if kind is not None:
        query = query.where(EvidenceItem.kind == kind)
    if not include_purged:
        query = query.where(EvidenceItem.purged_at.is_(None))
    return list(session.scalars(query))
